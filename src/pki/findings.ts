/**
 * Every problem `cert check` can report, with a stable code. Codes are part of the CLI contract
 * (scripts match on them); docs/cert-check-codes.md is generated from this table by a test that
 * fails when the two disagree.
 */

export type Severity = 'error' | 'warning';

export interface Finding<Code extends string = RuleCode> {
  code: Code;
  severity: Severity;
  /** The file (or flag) the finding is about. */
  file: string;
  /** One line: what is wrong. Never contains key material. */
  message: string;
  /** One line: what to do. */
  fix: string;
}

export const RULES = {
  // Rule 1: files are PEM, keys unencrypted.
  TLS_VOLUME_MISSING: { rule: 1, summary: 'the --tls-volume directory does not exist or is not a directory' },
  FILE_MISSING: { rule: 1, summary: 'a required file (tls.crt, tls.key, the CA file) is absent' },
  FILE_EMPTY: { rule: 1, summary: 'the file is empty' },
  FILE_TOO_LARGE: { rule: 1, summary: 'the file is larger than any certificate or key file can be (4 MiB)' },
  FILE_OUTSIDE_VOLUME: { rule: 1, summary: 'the file is a symlink that leads outside the TLS volume' },
  FILE_UNREADABLE: { rule: 1, summary: 'the file cannot be read (permissions, not a regular file)' },
  FILE_DER: { rule: 1, summary: 'the file is DER (binary); it must be PEM' },
  FILE_NOT_PEM: { rule: 1, summary: 'the file holds neither PEM nor DER' },
  CERT_MISSING: { rule: 1, summary: 'a PEM file that must hold certificates holds none' },
  CERT_UNPARSABLE: { rule: 1, summary: 'a CERTIFICATE block is not a valid X.509 certificate' },
  KEY_MISSING: { rule: 1, summary: 'no private key where one is required (tls.key, envoy.pem)' },
  KEY_ENCRYPTED: { rule: 1, summary: 'the private key is encrypted; it must be unencrypted' },
  KEY_UNPARSABLE: { rule: 1, summary: 'a PRIVATE KEY block is not a valid key' },
  KEY_IN_CA_FILE: { rule: 1, summary: 'the CA bundle holds a private key' },
  // Rule 2: the key belongs to the leaf.
  KEY_MISMATCH: { rule: 2, summary: 'the private key is not the key of the first certificate of the chain' },
  // Rule 3: the SAN covers the hostname.
  SAN_MISSING: { rule: 3, summary: "the leaf has no subjectAltName; Deephaven's (Java's) hostname verification never uses the Common Name" },
  SAN_HOST_MISMATCH: { rule: 3, summary: 'no SAN entry matches the hostname' },
  SAN_WILDCARD: { rule: 3, summary: 'warning: the hostname matches only through a wildcard SAN entry' },
  SAN_WILDCARD_PUBLIC_SUFFIX: { rule: 3, summary: 'the hostname matches only through a wildcard over a public suffix (`*.co.uk`, `*.s3.amazonaws.com`; Public Suffix List, private section included)' },
  // Rule 4: leaf usage.
  LEAF_IS_CA: { rule: 4, summary: 'the leaf is a CA certificate (basicConstraints CA:TRUE)' },
  KU_NO_DIGITAL_SIGNATURE: { rule: 4, summary: 'the leaf Key Usage lacks digitalSignature' },
  EKU_NO_SERVER_AUTH: { rule: 4, summary: 'the leaf Extended Key Usage lacks serverAuth' },
  EKU_NO_CLIENT_AUTH: { rule: 4, summary: 'the leaf Extended Key Usage lacks clientAuth (error with --mtls, warning otherwise)' },
  // Rule 5: the chain.
  CHAIN_ORDER: { rule: 5, summary: 'warning: tls.crt is not exactly the path (leaf first, each certificate issued by the next): out of order, a duplicate or a spare certificate; the fix names the order' },
  CHAIN_BROKEN: { rule: 5, summary: 'a certificate in the chain is not issued by the one after it, in any order' },
  CHAIN_MISSING_INTERMEDIATE: { rule: 5, summary: 'an intermediate CA between the chain and the CA bundle is missing from the chain' },
  CHAIN_UNTRUSTED: { rule: 5, summary: 'the chain does not lead to any certificate in the CA bundle' },
  CA_FILE_NOT_CA: { rule: 5, summary: 'warning: a certificate in the CA bundle is not a CA' },
  HANDSHAKE_FAILED: { rule: 5, summary: 'every rule passed, but a real TLS handshake on loopback (client trusting only the CA file, SNI, hostname verification) failed' },
  CHAIN_BAD_SIGNATURE: { rule: 5, summary: "a certificate's signature does not verify with the key of the CA named as its issuer (or names two signature algorithms)" },
  ISSUER_NOT_CA: { rule: 5, summary: 'a certificate that issues another in the path is not a CA (basicConstraints CA:TRUE missing)' },
  ISSUER_NO_KEY_CERT_SIGN: { rule: 5, summary: "an issuing CA's Key Usage lacks keyCertSign" },
  PATH_LENGTH_EXCEEDED: { rule: 5, summary: "more CAs follow a CA in the path than its pathLenConstraint allows" },
  NAME_CONSTRAINTS_VIOLATED: { rule: 5, summary: "a name (DNS, IP, subject) is outside a CA's permitted subtrees or inside its excluded ones, or the constraints cannot be evaluated" },
  CRITICAL_EXTENSION_UNKNOWN: { rule: 5, summary: "a certificate of the path has a critical extension Java's validator does not process" },
  CERT_MALFORMED: { rule: 5, summary: 'a certificate of the path breaks an RFC 5280 structure rule (an extension whose value is not its RFC 5280 syntax, a duplicate extension, nameConstraints on a leaf, empty subject without critical SAN)' },
  // Rule 6: validity.
  CERT_EXPIRED: { rule: 6, summary: 'a certificate has expired' },
  CERT_NOT_YET_VALID: { rule: 6, summary: 'a certificate is not valid yet' },
  CERT_EXPIRES_SOON: { rule: 6, summary: 'warning: a certificate expires within --warn-days (default 30)' },
  // Rule 7: what the services' JVMs accept (table in docs/cert-check-codes.md).
  JAVA_KEY_REFUSED: { rule: 7, summary: "a key in the path is one the JVM refuses (RSA < 1024, EC under 224 bits, a curve other than P-256/P-384/P-521, explicit curve) or that is refused by policy (DSA anywhere, an RSA size not a multiple of 8)" },
  JAVA_KEY_WEAK: { rule: 7, summary: 'warning: an RSA key of 1024 to 2047 bits, accepted by Java 17 but legacy' },
  JAVA_SIGNATURE_REFUSED: { rule: 7, summary: 'a certificate below the anchor is signed with MD2 or MD5, which the JVM refuses' },
  JAVA_SIGNATURE_WEAK: { rule: 7, summary: 'warning: a certificate below the anchor is signed with SHA-1, accepted by the JVM only under a private CA' },
  // Envoy (rule 3 for the Envoy identity).
  ENVOY_HOSTNAME_MISSING: { rule: 3, summary: 'warning: envoy.pem is present but no --envoy-hostname was given to check it against' },
} as const;

export type RuleCode = keyof typeof RULES;

export interface Stricter {
  code: RuleCode;
  what: string;
  why: string;
}

/**
 * Where `cert check` refuses, on purpose, what a Java 17 TLS pair accepts (besides the policy
 * rows of the JVM rules, java-policy.ts). docs/cert-check-codes.md shows this table, and the
 * Java oracle test (test/pki/java-oracle.test.ts) accepts no other refusal of a chain Java takes.
 */
export const STRICTER_THAN_JAVA: Stricter[] = [
  { code: 'LEAF_IS_CA', what: 'a leaf that is a CA (basicConstraints CA:TRUE)', why: 'trust model rule 4: a service never holds a CA key' },
  { code: 'CRITICAL_EXTENSION_UNKNOWN', what: 'a critical extension nobody processes on the trust anchor', why: "Java never reads the anchor's extensions; RFC 5280 4.2 and x509-limbo refuse it" },
  { code: 'CERT_MALFORMED', what: 'a non-critical nameConstraints', why: 'a client that ignores it accepts names the CA may not issue, so it protects nobody (RFC 5280 4.2.1.10: MUST be critical)' },
  {
    code: 'CERT_MALFORMED',
    what: 'an extension RFC 5280 defines whose value is not its syntax (an authorityInfoAccess that is not a SEQUENCE OF AccessDescription)',
    why: 'Java skips a non-critical extension it cannot parse, so what it says is silently lost; stricter clients refuse the certificate',
  },
  {
    code: 'SAN_WILDCARD_PUBLIC_SUFFIX',
    what: 'a hostname matched only through a wildcard over a public suffix (`*.co.uk`, `*.s3.amazonaws.com`)',
    why: "Java checks the Public Suffix List only for chains to its own cacerts; the key could impersonate every domain under the suffix, and no cluster machine is named that way",
  },
];

export function errorFinding<Code extends string = RuleCode>(code: Code, file: string, message: string, fix: string): Finding<Code> {
  return { code, severity: 'error', file, message, fix };
}

export function warningFinding<Code extends string = RuleCode>(code: Code, file: string, message: string, fix: string): Finding<Code> {
  return { code, severity: 'warning', file, message, fix };
}

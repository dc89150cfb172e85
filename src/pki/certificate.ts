import { X509Certificate, createHash } from 'node:crypto';
import forge from 'node-forge';

/**
 * One parsed certificate with the fields the rules and `cert inspect` need. node:crypto parses
 * and verifies; node-forge's ASN.1 reader supplies what node:crypto does not expose (key usage
 * bits, basicConstraints path length, typed SAN entries).
 */
export interface Certificate {
  x509: X509Certificate;
  der: Buffer;
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  sha256: string;
  san: SubjectAltNames | undefined;
  /** Undefined when the extension is absent (which RFC 5280 reads as "any usage"). */
  keyUsage: KeyUsage[] | undefined;
  extKeyUsage: string[] | undefined;
  basicConstraints: { ca: boolean; pathLength: number | undefined } | undefined;
  publicKey: PublicKeyInfo;
  selfIssued: boolean;
}

export interface SubjectAltNames {
  dns: string[];
  ip: string[];
  email: string[];
  uri: string[];
}

export type KeyUsage =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';

const KEY_USAGES: KeyUsage[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

export interface PublicKeyInfo {
  type: string;
  bits: number | undefined;
  curve: string | undefined;
}

const EKU_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
};

const OID = {
  subjectAltName: '2.5.29.17',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
} as const;

/** Throws node's own error for bytes that are not a certificate; callers turn that into a rule. */
export function parseCertificate(der: Buffer): Certificate {
  const x509 = new X509Certificate(der);
  const extensions = readExtensions(der);
  const bc = extensions.get(OID.basicConstraints);
  const ku = extensions.get(OID.keyUsage);
  const eku = extensions.get(OID.extKeyUsage);
  const san = extensions.get(OID.subjectAltName);
  return {
    x509,
    der,
    subject: oneLineName(x509.subject),
    issuer: oneLineName(x509.issuer),
    serialNumber: x509.serialNumber,
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    sha256: createHash('sha256').update(der).digest('hex'),
    san: san ? readSan(san) : undefined,
    keyUsage: ku ? KEY_USAGES.filter((name) => ku[name] === true) : undefined,
    extKeyUsage: eku ? readEku(eku) : undefined,
    basicConstraints: bc
      ? { ca: bc.cA === true, pathLength: typeof bc.pathLenConstraint === 'number' ? bc.pathLenConstraint : undefined }
      : undefined,
    publicKey: describePublicKey(x509),
    selfIssued: oneLineName(x509.subject) === oneLineName(x509.issuer),
  };
}

/** A Name for messages: quoted, or said to be empty rather than shown as "". */
export function quotedName(name: string): string {
  return name ? `"${name}"` : '(empty name)';
}

export function isCA(cert: Certificate): boolean {
  return cert.basicConstraints?.ca === true;
}

/** Colon-separated upper-case hex, the way keytool and openssl print fingerprints. */
export function formatFingerprint(hex: string): string {
  return hex.toUpperCase().match(/.{2}/g)!.join(':');
}

/**
 * "CN=a\nO=b" (node's form) → "CN=a, O=b", the order node gives (most significant first). An
 * empty Name (a subject RFC 5280 4.1.2.6 allows when the SAN is critical) is undefined in node,
 * and "" here.
 */
function oneLineName(name: string | undefined): string {
  return (name ?? '').split('\n').filter(Boolean).join(', ');
}

function describePublicKey(x509: X509Certificate): PublicKeyInfo {
  const key = x509.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  const type = key.asymmetricKeyType ?? 'unknown';
  const bits =
    details.modulusLength ?? (details.namedCurve ? curveBits(details.namedCurve) : type === 'ed25519' ? 256 : undefined);
  return { type: type.toUpperCase() === 'RSA-PSS' ? 'RSA-PSS' : type.toUpperCase(), bits, curve: curveName(details.namedCurve) };
}

function curveName(namedCurve: string | undefined): string | undefined {
  if (!namedCurve) return undefined;
  const aliases: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
  return aliases[namedCurve] ?? namedCurve;
}

function curveBits(namedCurve: string): number | undefined {
  const bits: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521, secp256k1: 256 };
  return bits[namedCurve];
}

type ForgeExtension = Record<string, unknown> & {
  id: string;
  cA?: boolean;
  pathLenConstraint?: number;
  altNames?: { type: number; value: string; ip?: string }[];
};

function readExtensions(der: Buffer): Map<string, ForgeExtension> {
  const result = new Map<string, ForgeExtension>();
  const asn1 = forge.asn1;
  const certificate = asn1.fromDer(forge.util.createBuffer(der.toString('binary')), false);
  const tbs = (certificate.value as forge.asn1.Asn1[])[0];
  const fields = (tbs?.value ?? []) as forge.asn1.Asn1[];
  // Extensions are the [3] EXPLICIT field of TBSCertificate (RFC 5280 4.1).
  const wrapper = fields.find((field) => field.tagClass === asn1.Class.CONTEXT_SPECIFIC && field.type === 3);
  const list = ((wrapper?.value as forge.asn1.Asn1[] | undefined)?.[0]?.value ?? []) as forge.asn1.Asn1[];
  const fromAsn1 = (forge.pki as unknown as { certificateExtensionFromAsn1(ext: forge.asn1.Asn1): ForgeExtension })
    .certificateExtensionFromAsn1;
  for (const ext of list) {
    const parsed = fromAsn1(ext);
    result.set(parsed.id, parsed);
  }
  return result;
}

function readSan(ext: ForgeExtension): SubjectAltNames {
  const san: SubjectAltNames = { dns: [], ip: [], email: [], uri: [] };
  for (const name of ext.altNames ?? []) {
    // GeneralName tags, RFC 5280 4.2.1.6.
    if (name.type === 2) san.dns.push(name.value);
    else if (name.type === 7 && name.ip) san.ip.push(name.ip);
    else if (name.type === 1) san.email.push(name.value);
    else if (name.type === 6) san.uri.push(name.value);
  }
  return san;
}

function readEku(ext: ForgeExtension): string[] {
  // forge sets a boolean per known usage name and per unknown OID; we map both to stable names.
  const names: string[] = [];
  for (const [key, value] of Object.entries(ext)) {
    if (value !== true || key === 'critical') continue;
    const fromOid = EKU_NAMES[key];
    if (fromOid) names.push(fromOid);
    else if (Object.values(EKU_NAMES).includes(key)) names.push(key);
    else if (/^\d+(\.\d+)+$/.test(key)) names.push(key);
  }
  return [...new Set(names)];
}

import { CURVES, type Certificate } from './certificate.js';

/**
 * What the services' JVMs (Java 17 and 21, default java.security) refuse or only tolerate in a
 * server's certificate path. Sources: jdk.certpath.disabledAlgorithms ("MD2, MD5, SHA1 jdkCA &
 * usage TLSServer, RSA keySize < 1024, DSA keySize < 1024, EC keySize < 224"),
 * jdk.tls.disabledAlgorithms ("MD5withRSA, EC keySize < 224"), jdk.security.legacyAlgorithms
 * ("SHA1, RSA keySize < 2048, DSA keySize < 2048"), and the TLS signature schemes JSSE
 * implements (ECDSA only on secp256r1/384r1/521r1 since JDK 16 removed the other curves).
 * Each rule was checked against a real Java 17 handshake (test/pki/java-oracle.test.ts).
 */

export type JavaCode = 'JAVA_KEY_REFUSED' | 'JAVA_KEY_WEAK' | 'JAVA_SIGNATURE_REFUSED' | 'JAVA_SIGNATURE_WEAK';

export interface JavaRule {
  code: JavaCode;
  what: string;
  why: string;
}

/** The table docs/cert-check-codes.md shows; `javaProblems` applies exactly these rules. */
export const JAVA_RULES: JavaRule[] = [
  { code: 'JAVA_SIGNATURE_REFUSED', what: 'MD2 or MD5 signature on any certificate below the anchor', why: 'jdk.certpath.disabledAlgorithms: MD2, MD5' },
  { code: 'JAVA_SIGNATURE_WEAK', what: 'SHA-1 signature (warning)', why: 'accepted under a private CA (the SHA1 rule is limited to jdkCA); listed in jdk.security.legacyAlgorithms' },
  { code: 'JAVA_KEY_REFUSED', what: 'RSA key < 1024 bits', why: 'jdk.certpath.disabledAlgorithms: RSA keySize < 1024' },
  { code: 'JAVA_KEY_REFUSED', what: 'RSA key whose size is not a multiple of 8 bits', why: "policy, not the JVM's rule: only broken key generators make them (CA/Browser Forum 6.1.5)" },
  { code: 'JAVA_KEY_WEAK', what: 'RSA key of 1024 to 2047 bits (warning)', why: 'jdk.security.legacyAlgorithms: RSA keySize < 2048' },
  { code: 'JAVA_KEY_REFUSED', what: 'EC key on a curve under 224 bits (P-192)', why: 'jdk.certpath and jdk.tls.disabledAlgorithms: EC keySize < 224' },
  { code: 'JAVA_KEY_REFUSED', what: 'EC key on a curve other than P-256, P-384, P-521 (secp256k1, brainpool, P-224)', why: 'no TLS signature scheme in JSSE; SunEC has no such curve since JDK 16' },
  { code: 'JAVA_KEY_REFUSED', what: 'EC key with explicit curve parameters', why: 'Java decodes only named curves (RFC 5480)' },
  { code: 'JAVA_KEY_REFUSED', what: 'DSA key on the leaf', why: 'no TLS 1.3 signature scheme to sign the handshake with' },
  { code: 'JAVA_KEY_REFUSED', what: 'DSA key on a CA (intermediate or root), any size', why: "policy, not Java 17's rule (it verifies a CA's DSA signature of 1024+ bits): FIPS 186-5 withdrew DSA for signing, TLS 1.3 has no DSA scheme, and a Java 25 client refuses DSA-signed certificates in TLS 1.3" },
  { code: 'JAVA_KEY_REFUSED', what: 'unknown key algorithm', why: 'no provider can use it' },
];

export interface JavaProblem {
  code: JavaCode;
  cert: Certificate;
  reason: string;
}

const ALLOWED_CURVES = new Set(['1.2.840.10045.3.1.7', '1.3.132.0.34', '1.3.132.0.35']);

const SIGNATURES: Record<string, { name: string; hash: 'md' | 'sha1' | 'ok' }> = {
  '1.2.840.113549.1.1.2': { name: 'md2WithRSAEncryption', hash: 'md' },
  '1.2.840.113549.1.1.4': { name: 'md5WithRSAEncryption', hash: 'md' },
  '1.2.840.113549.1.1.5': { name: 'sha1WithRSAEncryption', hash: 'sha1' },
  '1.2.840.10045.4.1': { name: 'ecdsa-with-SHA1', hash: 'sha1' },
  '1.2.840.10040.4.3': { name: 'dsa-with-SHA1', hash: 'sha1' },
};

/** Problems of the key of `cert`, which the JVM signs the handshake with (leaf) or verifies signatures with. */
export function javaKeyProblem(cert: Certificate, isLeaf: boolean): Omit<JavaProblem, 'cert'> | undefined {
  const key = cert.publicKey;
  switch (key.type) {
    case 'RSA':
    case 'RSA-PSS':
      if ((key.bits ?? 0) < 1024) return { code: 'JAVA_KEY_REFUSED', reason: `an RSA key of ${key.bits ?? 'unknown'} bits, under the JVM's minimum of 1024` };
      // Not the JVM's rule but ours: a modulus of an odd size comes from a broken key generator.
      if ((key.bits ?? 0) % 8 !== 0) return { code: 'JAVA_KEY_REFUSED', reason: `an RSA key of ${key.bits} bits, not a multiple of 8 (policy: a sign of a broken key generator)` };
      if ((key.bits ?? 0) < 2048) return { code: 'JAVA_KEY_WEAK', reason: `an RSA key of ${key.bits} bits, which the JVM still accepts but lists as legacy (use 2048 or more)` };
      return undefined;
    case 'EC':
      if (key.curveOid === 'explicit') return { code: 'JAVA_KEY_REFUSED', reason: 'an EC key with explicit curve parameters, which Java cannot decode' };
      if ((key.bits ?? 0) < 224) return { code: 'JAVA_KEY_REFUSED', reason: `an EC key on ${key.curve ?? 'an unknown curve'} (${key.bits ?? '?'} bits), under the JVM's minimum of 224` };
      if (!key.curveOid || !ALLOWED_CURVES.has(key.curveOid)) {
        return { code: 'JAVA_KEY_REFUSED', reason: `an EC key on ${key.curve ?? CURVES[key.curveOid ?? '']?.name ?? 'an unknown curve'}, for which Java 17 has no TLS signature scheme (only P-256, P-384, P-521)` };
      }
      return undefined;
    case 'ED25519':
    case 'ED448':
      return undefined;
    case 'DSA':
      // The handshake cannot be signed with DSA under TLS 1.3.
      if (isLeaf) return { code: 'JAVA_KEY_REFUSED', reason: 'a DSA key, which has no TLS 1.3 signature scheme to sign the handshake with' };
      // Java 17 still verifies a CA's DSA signature on a certificate (checked with a real Java 17
      // pair), but a Java 25 client refused the same chain (no DSA in its TLS 1.3
      // signature_algorithms_cert) and FIPS 186-5 withdrew DSA for signing: a path that works
      // until the next JVM upgrade is refused now, when reissuing the CA is still a choice.
      return { code: 'JAVA_KEY_REFUSED', reason: `a DSA key${key.bits ? ` of ${key.bits} bits` : ''} (policy: DSA is withdrawn for signing by FIPS 186-5, and JVMs from 25 on refuse DSA-signed certificates in TLS 1.3)` };
    default:
      return { code: 'JAVA_KEY_REFUSED', reason: `a key of type ${key.type} (${key.algorithmOid}), which Java cannot use` };
  }
}

/** Every Java rule broken by a validated path (leaf first, anchor last). */
export function javaProblems(path: Certificate[]): JavaProblem[] {
  const problems: JavaProblem[] = [];
  path.forEach((cert, index) => {
    const key = javaKeyProblem(cert, index === 0);
    if (key) problems.push({ ...key, cert });
    // The anchor's own signature is never checked (it is trusted as given).
    if (index === path.length - 1 && path.length > 1) return;
    const signature = SIGNATURES[cert.signatureAlgorithm];
    if (signature?.hash === 'md') problems.push({ code: 'JAVA_SIGNATURE_REFUSED', cert, reason: `signed with ${signature.name}, which the JVM refuses` });
    else if (signature?.hash === 'sha1') problems.push({ code: 'JAVA_SIGNATURE_WEAK', cert, reason: `signed with ${signature.name}; the JVM accepts SHA-1 only under a private CA and lists it as legacy` });
  });
  return problems;
}

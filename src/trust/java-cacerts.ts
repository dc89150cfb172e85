import { readJksTrustedCertificates } from './jks-read.js';
import { encodeTruststore, type TrustedCertificate } from './pkcs12.js';
import { readTrustedCertificates } from './pkcs12-read.js';

/** The password every JDK and keytool -cacerts assume for the system cacerts. */
export const CACERTS_PASSWORD = 'changeit';

/**
 * The entries of a system cacerts, JKS (what Debian's ca-certificates-java and p11-kit write) or
 * PKCS#12 (what dh-podman writes in their place).
 */
export function readCacerts(bytes: Buffer): TrustedCertificate[] {
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0xfeedfeed) return readJksTrustedCertificates(bytes, CACERTS_PASSWORD);
  return readTrustedCertificates(bytes);
}

/**
 * The cacerts that adding `added` to `existing` gives, as PKCS#12 under "changeit". The JDKs of
 * both OS families default to keystore.type=pkcs12 with keystore.type.compat=true, so they read
 * it as the JKS it replaces; an alias given again replaces the entry, as keytool would.
 */
export function mergeCacerts(existing: TrustedCertificate[], added: TrustedCertificate[]): Buffer {
  const replaced = new Set(added.map((entry) => entry.alias));
  return encodeTruststore([...existing.filter((entry) => !replaced.has(entry.alias)), ...added], CACERTS_PASSWORD);
}

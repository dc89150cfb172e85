import { runtimeError } from '../base/errors.js';
import { readJksTrustedCertificates } from './jks-read.js';
import { encodeTruststore, type TrustedCertificate } from './pkcs12.js';
import { readTrustedCertificates } from './pkcs12-read.js';

/** The password every JDK and keytool -cacerts assume for the system cacerts. */
export const CACERTS_PASSWORD = 'changeit';

/**
 * The entries of a system cacerts, JKS (what Debian's ca-certificates-java and p11-kit write) or
 * PKCS#12 (what dh-podman writes in their place).
 */
export function readCacerts(bytes: Buffer, path = 'cacerts'): TrustedCertificate[] {
  try {
    if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0xfeedfeed) return readJksTrustedCertificates(bytes, CACERTS_PASSWORD);
    return readTrustedCertificates(bytes);
  } catch (error) {
    // Its entries must be kept, so a cacerts that cannot be read stops the build rather than being replaced.
    throw runtimeError('TRUST_CACERTS_UNREADABLE', `the image's ${path} is neither a JKS under "${CACERTS_PASSWORD}" nor a PKCS#12 truststore (${(error as Error).message})`, {
      subject: path,
      fix: 'rebuild the image so its OS tool writes cacerts again, or build without --ca-cert-file',
    });
  }
}

/**
 * The cacerts that adding `added` to `existing` gives, as a password-less PKCS#12, the format of
 * JDK 18+'s own cacerts: every JDK and keytool -cacerts open it with "changeit" (any password
 * does). The JDKs of both OS families default to keystore.type=pkcs12 with
 * keystore.type.compat=true, so they read it as the JKS it replaces; an alias given again
 * replaces the entry, as keytool would.
 */
export function mergeCacerts(existing: TrustedCertificate[], added: TrustedCertificate[]): Buffer {
  const replaced = new Set(added.map((entry) => entry.alias));
  return encodeTruststore([...existing.filter((entry) => !replaced.has(entry.alias)), ...added], undefined);
}

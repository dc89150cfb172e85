import { createHash } from 'node:crypto';
import type { TrustedCertificate } from './pkcs12.js';

/**
 * Reads the trusted certificates of a JKS keystore, the format Debian's ca-certificates-java
 * writes Java's cacerts in: magic FEEDFEED, version 2, then entries (alias, date, certificate),
 * then a SHA-1 over the password, the words "Mighty Aphrodite" and everything before. The
 * digest is checked, so a store that is not what it seems is refused rather than half read.
 * Private-key entries (tag 1) are skipped whole: a truststore holds none, and they are not
 * ours to carry over.
 */
export function readJksTrustedCertificates(bytes: Buffer, password: string): TrustedCertificate[] {
  if (bytes.length < 32 || bytes.readUInt32BE(0) !== 0xfeedfeed) throw new Error('not a JKS keystore (no FEEDFEED magic)');
  const version = bytes.readUInt32BE(4);
  if (version !== 2) throw new Error(`JKS version ${version} is not read (only 2)`);
  const count = bytes.readUInt32BE(8);
  let offset = 12;
  const utf = () => {
    const length = bytes.readUInt16BE(offset);
    // Java's modified UTF-8 equals UTF-8 for the characters aliases and "X.509" hold.
    const text = bytes.subarray(offset + 2, offset + 2 + length).toString('utf8');
    offset += 2 + length;
    return text;
  };
  const blob = () => {
    const length = bytes.readUInt32BE(offset);
    const value = bytes.subarray(offset + 4, offset + 4 + length);
    if (value.length !== length) throw new Error('JKS entry runs past the end of the file');
    offset += 4 + length;
    return value;
  };
  const certificates: TrustedCertificate[] = [];
  for (let i = 0; i < count; i++) {
    const tag = bytes.readUInt32BE(offset);
    offset += 4;
    const alias = utf();
    offset += 8; // creation date
    if (tag === 2) {
      const type = utf();
      if (type !== 'X.509') throw new Error(`JKS entry ${alias} holds a ${type} certificate`);
      certificates.push({ alias, der: Buffer.from(blob()) });
    } else if (tag === 1) {
      blob();
      const chain = bytes.readUInt32BE(offset);
      offset += 4;
      for (let c = 0; c < chain; c++) {
        utf();
        blob();
      }
    } else {
      throw new Error(`JKS entry ${alias} has unknown tag ${tag}`);
    }
  }
  const expected = createHash('sha1').update(Buffer.from(password, 'utf16le').swap16()).update('Mighty Aphrodite', 'utf8').update(bytes.subarray(0, offset)).digest();
  if (!expected.equals(bytes.subarray(offset, offset + 20))) throw new Error('the JKS integrity digest does not match this password');
  return certificates;
}

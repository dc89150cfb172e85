import { createPrivateKey, type KeyObject } from 'node:crypto';
import { asn1, type Asn1 } from '../pki/asn1-codec.js';

/**
 * Reads back a keystore this project wrote: the alias, the chain and the key. Used to tell
 * whether an existing keystore already holds what would be written, since two encodings of the
 * same entry never match byte for byte (salts and IVs are random).
 */
export interface KeystoreContents {
  alias: string | undefined;
  certificates: Buffer[];
  key: KeyObject;
}

const OID = {
  certBag: '1.2.840.113549.1.12.10.1.3',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  friendlyName: '1.2.840.113549.1.9.20',
};

/** Returns undefined for anything it cannot read with this passphrase (then: rewrite it). */
export function readKeystore(bytes: Buffer, passphrase: string): KeystoreContents | undefined {
  try {
    const pfx = asn1.fromDer(bytes.toString('binary'));
    const authSafeOctets = contentOf(child(pfx, 1));
    const authSafe = asn1.fromDer(authSafeOctets);
    const certificates: Buffer[] = [];
    let key: KeyObject | undefined;
    let alias: string | undefined;
    for (const contentInfo of authSafe.value as Asn1[]) {
      const safeContents = asn1.fromDer(contentOf(contentInfo));
      for (const bag of safeContents.value as Asn1[]) {
        const bagId = asn1.derToOid(child(bag, 0).value as string);
        const value = child(child(bag, 1), 0);
        if (bagId === OID.certBag) {
          certificates.push(Buffer.from(child(child(value, 1), 0).value as string, 'binary'));
        } else if (bagId === OID.shroudedKeyBag) {
          const der = Buffer.from(asn1.toDer(value).getBytes(), 'binary');
          key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8', passphrase });
          alias = friendlyName(bag) ?? alias;
        }
      }
    }
    return key ? { alias, certificates, key } : undefined;
  } catch {
    return undefined;
  }
}

function child(node: Asn1, index: number): Asn1 {
  const value = (node.value as Asn1[])[index];
  if (!value) throw new Error('unexpected PKCS#12 structure');
  return value;
}

/** The OCTET STRING inside a ContentInfo of type data. */
function contentOf(contentInfo: Asn1): string {
  return child(child(contentInfo, 1), 0).value as string;
}

function friendlyName(bag: Asn1): string | undefined {
  const attributes = (bag.value as Asn1[])[2];
  for (const attribute of (attributes?.value as Asn1[] | undefined) ?? []) {
    if (asn1.derToOid(child(attribute, 0).value as string) === OID.friendlyName) {
      // forge has already decoded the BMPString into a JS string.
      return child(child(attribute, 1), 0).value as string;
    }
  }
  return undefined;
}

/**
 * The certificate bags of a PKCS#12 truststore with their friendly names (keytool's aliases),
 * in file order. Certificate bags of a Java truststore are not encrypted, so no password is
 * needed to read them; the MAC is not checked here.
 */
export function readTrustedCertificates(bytes: Buffer): { alias: string; der: Buffer }[] {
  const pfx = asn1.fromDer(bytes.toString('binary'));
  const authSafe = asn1.fromDer(contentOf(child(pfx, 1)));
  const out: { alias: string; der: Buffer }[] = [];
  for (const contentInfo of authSafe.value as Asn1[]) {
    const type = asn1.derToOid(child(contentInfo, 0).value as string);
    // 1.2.840.113549.1.7.6 (encryptedData) holds encrypted bags: a truststore Java reads has none.
    if (type !== '1.2.840.113549.1.7.1') throw new Error('the truststore holds encrypted certificate bags');
    for (const bag of asn1.fromDer(contentOf(contentInfo)).value as Asn1[]) {
      if (asn1.derToOid(child(bag, 0).value as string) !== OID.certBag) continue;
      const value = child(child(bag, 1), 0);
      out.push({ alias: friendlyName(bag) ?? '', der: Buffer.from(child(child(value, 1), 0).value as string, 'binary') });
    }
  }
  return out;
}

import { createHash } from 'node:crypto';
import forge from 'node-forge';

/**
 * The truststore encoder as it was built with node-forge (its ASN.1 and PKCS#12 KDF), kept as
 * an oracle: src/trust/pkcs12.ts must write exactly these bytes, so a truststore written by an
 * earlier version is recognised as unchanged and never rewritten.
 */

const { asn1 } = forge;
const sequence = (value: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, value);
const set = (value: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, value);
const oid = (id: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(id).getBytes());
const asn1Null = () => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '');
const integer = (n: number) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(n).getBytes());
const octetStringBytes = (bytes: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, bytes);
const octetString = (bytes: Buffer) => octetStringBytes(bytes.toString('binary'));
const bmpString = (text: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BMPSTRING, false, text);
const explicit0 = (inner: forge.asn1.Asn1) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [inner]);
const attribute = (id: string, value: forge.asn1.Asn1) => sequence([oid(id), set([value])]);

export function forgeTruststore(certificates: { alias: string; der: Buffer }[], password: string, macSalt?: Buffer): Buffer {
  const bags = certificates.map((cert) =>
    sequence([
      oid('1.2.840.113549.1.12.10.1.3'),
      explicit0(sequence([oid('1.2.840.113549.1.9.22.1'), explicit0(octetString(cert.der))])),
      set([attribute('1.2.840.113549.1.9.20', bmpString(cert.alias)), attribute('2.16.840.1.113894.746875.1.1', oid('2.5.29.37.0'))]),
    ]),
  );
  const contentInfo = sequence([oid('1.2.840.113549.1.7.1'), explicit0(octetStringBytes(asn1.toDer(sequence(bags)).getBytes()))]);
  const authSafeDer = asn1.toDer(sequence([contentInfo])).getBytes();
  const salt =
    macSalt ?? createHash('sha256').update('dh-podman pkcs12 mac salt\0').update(Buffer.from(authSafeDer, 'binary')).digest().subarray(0, 16);
  const macKey = forgeKdf(password, salt, 3, 10_000, 32);
  const hmac = forge.hmac.create();
  hmac.start(forge.md.sha256.create(), macKey.toString('binary'));
  hmac.update(authSafeDer);
  const macData = sequence([
    sequence([sequence([oid('2.16.840.1.101.3.4.2.1'), asn1Null()]), octetStringBytes(hmac.digest().getBytes())]),
    octetString(salt),
    integer(10_000),
  ]);
  const pfx = sequence([integer(3), sequence([oid('1.2.840.113549.1.7.1'), explicit0(octetStringBytes(authSafeDer))]), macData]);
  return Buffer.from(asn1.toDer(pfx).getBytes(), 'binary');
}

/** forge's PKCS#12 KDF (RFC 7292 B.2) with SHA-256. */
export function forgeKdf(password: string, salt: Buffer, id: number, iterations: number, size: number): Buffer {
  const key = forge.pkcs12.generateKey(password, forge.util.createBuffer(salt.toString('binary')), id, iterations, size, forge.md.sha256.create());
  return Buffer.from(key.getBytes(), 'binary');
}

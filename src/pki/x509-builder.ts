import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { asn1, type Asn1 } from './asn1-codec.js';
import { signatureAlgorithmFor, type SignatureAlgorithm } from './keys.js';

/**
 * Builds and signs X.509 v3 certificates (RFC 5280). node-forge's certificate API only handles
 * RSA, so the TBSCertificate is assembled here from forge's ASN.1 encoder and signed with
 * node:crypto, which gives DER-encoded ECDSA signatures as X.509 requires.
 */

const { UNIVERSAL, CONTEXT_SPECIFIC } = asn1.Class;
const Type = asn1.Type;

export interface Extension {
  oid: string;
  critical: boolean;
  /** The extension's value before it is wrapped in the extnValue OCTET STRING. */
  value: Asn1;
}

export interface CertificateTemplate {
  serialNumber: Buffer;
  /** DER of the issuer's Name, byte for byte as in the issuer certificate's subject. */
  issuerName: Buffer;
  subjectName: Buffer;
  notBefore: Date;
  notAfter: Date;
  subjectPublicKey: KeyObject;
  extensions: Extension[];
}

/** Returns the DER of the signed certificate. `issuerLabel` names the issuer in errors. */
export function signCertificate(template: CertificateTemplate, issuerKey: KeyObject, issuerLabel: string): Buffer {
  const algorithm = signatureAlgorithmFor(issuerKey, issuerLabel);
  const algorithmIdentifier = encodeAlgorithmIdentifier(algorithm);
  const tbs = sequence([
    asn1.create(CONTEXT_SPECIFIC, 0, true, [integer(Buffer.from([2]))]),
    integer(template.serialNumber),
    algorithmIdentifier,
    embed(template.issuerName),
    sequence([encodeTime(template.notBefore), encodeTime(template.notAfter)]),
    embed(template.subjectName),
    embed(template.subjectPublicKey.export({ type: 'spki', format: 'der' })),
    asn1.create(CONTEXT_SPECIFIC, 3, true, [sequence(template.extensions.map(encodeExtension))]),
  ]);
  const tbsDer = toBuffer(tbs);
  const signature = sign(algorithm.hash, tbsDer, issuerKey);
  return toBuffer(
    sequence([
      embed(tbsDer),
      algorithmIdentifier,
      // The leading 0 is the BIT STRING's count of unused bits.
      asn1.create(UNIVERSAL, Type.BITSTRING, false, binary(Buffer.concat([Buffer.from([0]), signature]))),
    ]),
  );
}

/**
 * 16 random bytes read as a positive INTEGER: the top bit is cleared so it is not negative, and a
 * zero first byte is redrawn so the DER stays minimal and the serial is always 16 bytes, never 0.
 */
export function randomSerialNumber(): Buffer {
  for (;;) {
    const serial = randomBytes(16);
    serial[0] = serial[0]! & 0x7f;
    if (serial[0] !== 0) return serial;
  }
}

export interface NameAttribute {
  type: 'CN' | 'O';
  value: string;
}

const NAME_OIDS: Record<NameAttribute['type'], string> = { CN: '2.5.4.3', O: '2.5.4.10' };

/** One attribute per RDN, most significant first, as UTF8String (RFC 5280 4.1.2.4). */
export function encodeName(attributes: NameAttribute[]): Buffer {
  return toBuffer(
    sequence(
      attributes.map((attribute) =>
        asn1.create(UNIVERSAL, Type.SET, true, [
          sequence([oid(NAME_OIDS[attribute.type]), asn1.create(UNIVERSAL, Type.UTF8, false, binary(Buffer.from(attribute.value, 'utf8')))]),
        ]),
      ),
    ),
  );
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's contents. */
export function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const [, bitString] = childrenOf(spki, readTlv(spki, 0));
  if (!bitString || bitString.tag !== 0x03) throw new Error('SubjectPublicKeyInfo without a BIT STRING');
  // Skip the unused-bits byte: the hash covers the key bits only.
  return createHash('sha1').update(spki.subarray(bitString.contentStart + 1, bitString.end)).digest();
}

/** The exact DER of a certificate's subject Name, to use as the issuer Name of what it signs. */
export function subjectNameOf(certificateDer: Buffer): Buffer {
  const subject = tbsFields(certificateDer)[4];
  if (!subject) throw new Error('certificate without a subject');
  return certificateDer.subarray(subject.start, subject.end);
}

/** The certificate's subjectKeyIdentifier, or undefined when it has none. */
export function subjectKeyIdentifierOf(certificateDer: Buffer): Buffer | undefined {
  const wrapper = tbsFields(certificateDer).find((field) => field.tag === 0xa3);
  if (!wrapper) return undefined;
  const [list] = childrenOf(certificateDer, wrapper);
  if (!list) return undefined;
  const skiOid = Buffer.from([0x55, 0x1d, 0x0e]);
  for (const extension of childrenOf(certificateDer, list)) {
    const parts = childrenOf(certificateDer, extension);
    const id = parts[0];
    const value = parts[parts.length - 1];
    if (!id || !value || !contentOf(certificateDer, id).equals(skiOid)) continue;
    const inner = readTlv(certificateDer, value.contentStart);
    return Buffer.from(contentOf(certificateDer, inner));
  }
  return undefined;
}

// Extensions (RFC 5280 4.2.1).

export function basicConstraints(ca: boolean, pathLength?: number): Extension {
  // DER omits a BOOLEAN equal to its DEFAULT, so CA:FALSE is the empty SEQUENCE.
  const fields: Asn1[] = [];
  if (ca) fields.push(boolean(true));
  if (ca && pathLength !== undefined) fields.push(integer(minimalInteger(pathLength)));
  return { oid: '2.5.29.19', critical: true, value: sequence(fields) };
}

export type KeyUsageBit = 'digitalSignature' | 'keyEncipherment' | 'keyCertSign' | 'cRLSign';
const KEY_USAGE_BITS: Record<KeyUsageBit, number> = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 };

export function keyUsage(usages: KeyUsageBit[]): Extension {
  const bits = usages.map((usage) => KEY_USAGE_BITS[usage]);
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] = bytes[bit >> 3]! | (0x80 >> (bit & 7));
  // DER drops trailing zero bits of a named-bit list and says how many were dropped.
  const unused = bytes.length * 8 - (highest + 1);
  return {
    oid: '2.5.29.15',
    critical: true,
    value: asn1.create(UNIVERSAL, Type.BITSTRING, false, binary(Buffer.concat([Buffer.from([unused]), bytes]))),
  };
}

const EKU_OIDS = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' } as const;

export function extendedKeyUsage(usages: (keyof typeof EKU_OIDS)[]): Extension {
  return { oid: '2.5.29.37', critical: false, value: sequence(usages.map((usage) => oid(EKU_OIDS[usage]))) };
}

/** dNSName is [2] IA5String, iPAddress is [7] OCTET STRING (4 or 16 bytes). */
export function subjectAltName(dns: string[], ips: Buffer[], critical: boolean): Extension {
  return {
    oid: '2.5.29.17',
    critical,
    value: sequence([
      ...dns.map((name) => asn1.create(CONTEXT_SPECIFIC, 2, false, name)),
      ...ips.map((ip) => asn1.create(CONTEXT_SPECIFIC, 7, false, binary(ip))),
    ]),
  };
}

export function subjectKeyIdentifier(id: Buffer): Extension {
  return { oid: '2.5.29.14', critical: false, value: asn1.create(UNIVERSAL, Type.OCTETSTRING, false, binary(id)) };
}

export function authorityKeyIdentifier(id: Buffer): Extension {
  return { oid: '2.5.29.35', critical: false, value: sequence([asn1.create(CONTEXT_SPECIFIC, 0, false, binary(id))]) };
}

// Encoding helpers.

function encodeExtension(extension: Extension): Asn1 {
  return sequence([
    oid(extension.oid),
    ...(extension.critical ? [boolean(true)] : []),
    asn1.create(UNIVERSAL, Type.OCTETSTRING, false, asn1.toDer(extension.value).getBytes()),
  ]);
}

function encodeAlgorithmIdentifier(algorithm: SignatureAlgorithm): Asn1 {
  return sequence([oid(algorithm.oid), ...(algorithm.nullParameters ? [asn1.create(UNIVERSAL, Type.NULL, false, '')] : [])]);
}

/** UTCTime through 2049, GeneralizedTime from 2050 on (RFC 5280 4.1.2.5); whole seconds, Zulu. */
function encodeTime(date: Date): Asn1 {
  const iso = date.toISOString();
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return date.getUTCFullYear() < 2050
    ? asn1.create(UNIVERSAL, Type.UTCTIME, false, digits.slice(2))
    : asn1.create(UNIVERSAL, Type.GENERALIZEDTIME, false, digits);
}

function sequence(items: Asn1[]): Asn1 {
  return asn1.create(UNIVERSAL, Type.SEQUENCE, true, items);
}

function oid(dotted: string): Asn1 {
  return asn1.create(UNIVERSAL, Type.OID, false, asn1.oidToDer(dotted).getBytes());
}

function boolean(value: boolean): Asn1 {
  return asn1.create(UNIVERSAL, Type.BOOLEAN, false, value ? '\xff' : '\x00');
}

/** The bytes must already be a minimal two's-complement encoding. */
function integer(bytes: Buffer): Asn1 {
  return asn1.create(UNIVERSAL, Type.INTEGER, false, binary(bytes));
}

function minimalInteger(value: number): Buffer {
  return Buffer.from(asn1.integerToDer(value).getBytes(), 'binary');
}

/**
 * Places an already-encoded DER element (an issuer Name, node's SPKI, the signed TBS) into a forge
 * tree without parsing it: the node carries the element's tag byte and its content as opaque
 * bytes, so it is written back byte for byte. Parsing and re-encoding could normalise a Name from
 * someone else's CA, and the issuer Name must match that CA's subject exactly for chains to build.
 */
function embed(der: Buffer): Asn1 {
  const element = readTlv(der, 0);
  if (element.end !== der.length) throw new Error('trailing bytes after a DER element');
  const tag = element.tag;
  // The constructed bit stays in the type number, so forge writes the tag byte back unchanged
  // while treating the content as raw (not composed) bytes.
  return asn1.create((tag & 0xc0) as typeof UNIVERSAL, (tag & 0x3f) as (typeof Type)[keyof typeof Type], false, binary(contentOf(der, element)));
}

function toBuffer(node: Asn1): Buffer {
  return Buffer.from(asn1.toDer(node).getBytes(), 'binary');
}

/** forge holds bytes as "binary" strings, one char per byte. */
function binary(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('binary');
}

// A minimal DER reader: enough to slice fields out of a certificate without re-encoding them,
// which is what keeps an issuer Name byte-identical even when the issuer was not made by us.

interface Tlv {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

function readTlv(der: Buffer, offset: number): Tlv {
  const tag = der[offset];
  const first = der[offset + 1];
  if (tag === undefined || first === undefined) throw new Error('truncated DER');
  let length = first;
  let contentStart = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (der[offset + 2 + i] ?? 0);
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > der.length) throw new Error('truncated DER');
  return { tag, start: offset, contentStart, end };
}

function childrenOf(der: Buffer, parent: Tlv): Tlv[] {
  const children: Tlv[] = [];
  for (let offset = parent.contentStart; offset < parent.end; ) {
    const child = readTlv(der, offset);
    children.push(child);
    offset = child.end;
  }
  return children;
}

function contentOf(der: Buffer, tlv: Tlv): Buffer {
  return der.subarray(tlv.contentStart, tlv.end);
}

/** TBSCertificate fields without the optional [0] version: serial, signature, issuer, validity, subject, SPKI, ... */
function tbsFields(certificateDer: Buffer): Tlv[] {
  const [tbs] = childrenOf(certificateDer, readTlv(certificateDer, 0));
  if (!tbs) throw new Error('certificate without a TBSCertificate');
  const fields = childrenOf(certificateDer, tbs);
  return fields[0]?.tag === 0xa0 ? fields.slice(1) : fields;
}

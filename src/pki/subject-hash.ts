import { createHash } from 'node:crypto';

/**
 * OpenSSL's X509_NAME_hash (the "subject hash" of `openssl x509 -subject_hash`), which names the
 * links of a hashed certificate directory (`openssl rehash`, `-CApath`): SHA-1 over the name's
 * canonical encoding, its first four bytes read little-endian, as eight hex digits.
 *
 * The canonical encoding (crypto/x509/x_name.c, x509_name_canon) is the DER of the name's RDN
 * SETs without the outer SEQUENCE header, where every string value is re-encoded as a
 * UTF8String after trimming ASCII white space, collapsing inner runs of it to one space and
 * lower-casing ASCII letters. Other value types are kept as they are.
 */
export function subjectHash(nameDer: Buffer): string {
  const name = readTlv(nameDer, 0);
  if (name.tag !== 0x30) throw new Error('a Name is a SEQUENCE');
  const rdns: Buffer[] = [];
  for (const rdn of children(name.contents)) {
    if (rdn.tag !== 0x31) throw new Error('an RDN is a SET');
    const atvs = children(rdn.contents).map((atv) => canonicalAtv(atv.contents));
    // DER orders a SET OF by its encodings; i2d does the same when OpenSSL re-encodes the RDN.
    atvs.sort(Buffer.compare);
    rdns.push(tlv(0x31, Buffer.concat(atvs)));
  }
  const digest = createHash('sha1').update(Buffer.concat(rdns)).digest();
  return digest.readUInt32LE(0).toString(16).padStart(8, '0');
}

/** String types OpenSSL canonicalises (ASN1_MASK_CANON), by tag. */
const DECODERS: Record<number, (bytes: Buffer) => string> = {
  0x0c: (bytes) => bytes.toString('utf8'), // UTF8String
  0x13: (bytes) => bytes.toString('latin1'), // PrintableString
  0x14: (bytes) => bytes.toString('latin1'), // T61String: OpenSSL reads it as one byte per character
  0x16: (bytes) => bytes.toString('latin1'), // IA5String
  0x1a: (bytes) => bytes.toString('latin1'), // VisibleString
  0x1c: (bytes) => utf32be(bytes), // UniversalString
  0x1e: (bytes) => Buffer.from(bytes).swap16().toString('utf16le'), // BMPString
};

function canonicalAtv(contents: Buffer): Buffer {
  const [type, value] = children(contents);
  if (!type || !value) throw new Error('an AttributeTypeAndValue holds a type and a value');
  const decode = DECODERS[value.tag];
  if (!decode) return tlv(0x30, Buffer.concat([type.raw, value.raw]));
  const text = decode(value.contents)
    .replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '')
    .replace(/[ \t\n\v\f\r]+/g, ' ')
    .replace(/[A-Z]/g, (letter) => letter.toLowerCase());
  return tlv(0x30, Buffer.concat([type.raw, tlv(0x0c, Buffer.from(text, 'utf8'))]));
}

function utf32be(bytes: Buffer): string {
  let text = '';
  for (let i = 0; i + 3 < bytes.length; i += 4) text += String.fromCodePoint(bytes.readUInt32BE(i));
  return text;
}

interface Tlv {
  tag: number;
  contents: Buffer;
  raw: Buffer;
}

function readTlv(bytes: Buffer, offset: number): Tlv {
  const tag = bytes[offset]!;
  let length = bytes[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i]!;
    start += count;
  }
  if (start + length > bytes.length) throw new Error('DER runs past its end');
  return { tag, contents: bytes.subarray(start, start + length), raw: bytes.subarray(offset, start + length) };
}

function children(contents: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = 0; offset < contents.length; ) {
    const child = readTlv(contents, offset);
    out.push(child);
    offset += child.raw.length;
  }
  return out;
}

function tlv(tag: number, contents: Buffer): Buffer {
  const length = contents.length;
  let head: number[];
  if (length < 0x80) head = [tag, length];
  else {
    const bytes: number[] = [];
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
    head = [tag, 0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from(head), contents]);
}

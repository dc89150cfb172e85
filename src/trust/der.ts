/**
 * DER (X.690) assembled from byte pieces: a tag, a definite length, the contents. PKCS#12
 * stores are mostly certificates that are already DER, so building them from Buffers copies
 * those bytes once instead of converting each to a forge node and binary string and back, which
 * was most of a truststore's encoding time.
 */

const TAG = { integer: 0x02, octetString: 0x04, null: 0x05, oid: 0x06, bmpString: 0x1e, sequence: 0x30, set: 0x31, context0: 0xa0 } as const;

export function tlv(tag: number, contents: Buffer[]): Buffer {
  let length = 0;
  for (const part of contents) length += part.length;
  const header = lengthOctets(length);
  const out = Buffer.allocUnsafe(1 + header.length + length);
  out[0] = tag;
  out.set(header, 1);
  let offset = 1 + header.length;
  for (const part of contents) offset += part.copy(out, offset);
  return out;
}

/** Short form below 128, else 0x80 | count followed by the length big-endian, minimal. */
function lengthOctets(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

export const sequence = (...contents: Buffer[]) => tlv(TAG.sequence, contents);
/** Elements are written in the order given (callers pass them in the order they always had). */
export const set = (...contents: Buffer[]) => tlv(TAG.set, contents);
export const explicit0 = (inner: Buffer) => tlv(TAG.context0, [inner]);
export const octetString = (bytes: Buffer) => tlv(TAG.octetString, [bytes]);
export const asn1Null = () => tlv(TAG.null, []);
/** UCS-2 big-endian code units, as PKCS#12 friendlyName and keytool use. */
export const bmpString = (text: string) => tlv(TAG.bmpString, [Buffer.from(text, 'utf16le').swap16()]);

/** A non-negative INTEGER, minimal two's complement (a leading 0 only when the top bit is set). */
export function integer(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`DER integer out of range: ${value}`);
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  if (bytes.length === 0 || bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(TAG.integer, [Buffer.from(bytes)]);
}

/** Dotted OID to DER: the first two arcs as 40·a + b, then each arc base-128, high bit = more. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const [first = 0, second = 0, ...rest] = arcs;
  const bytes: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const groups = [arc & 0x7f];
    for (let high = Math.floor(arc / 128); high > 0; high = Math.floor(high / 128)) groups.unshift(0x80 | (high & 0x7f));
    bytes.push(...groups);
  }
  return tlv(TAG.oid, [Buffer.from(bytes)]);
}

/** A table of dotted OIDs as their DER, for encoders that write the same OIDs many times. */
export function derOids<T extends Record<string, string>>(dotted: T): { [K in keyof T]: Buffer } {
  return Object.fromEntries(Object.entries(dotted).map(([name, id]) => [name, oid(id)])) as { [K in keyof T]: Buffer };
}

/**
 * DER (X.690) assembled from byte pieces: a tag, a definite length, the contents. PKCS#12
 * stores are mostly certificates that are already DER, so building them from Buffers copies
 * those bytes once instead of converting each to a forge node and binary string and back, which
 * was most of a truststore's encoding time.
 */

const TAG = { integer: 0x02, octetString: 0x04, null: 0x05, oid: 0x06, bmpString: 0x1e, sequence: 0x30, set: 0x31, context0: 0xa0 } as const;

/**
 * DER not yet joined: a tag, then the parts it covers, each a Buffer or more Pieces. Nesting
 * only adds a node, so a store's certificates are copied once, by `joined`. (Copying them at
 * each of a truststore's ten levels, into fresh memory each time, was most of its encoding time;
 * so was, later, flattening every level's piece list into its parent's.) The tag and length
 * bytes are written by `joined` too, straight into the result: a Buffer per header was about
 * 1,700 allocations for a truststore of the host's CAs, each a call into node:buffer that a
 * CLI, which encodes once, runs before the JIT has compiled anything.
 */
export interface Pieces {
  tag: number;
  parts: Der[];
  /** Bytes of the parts. */
  contentLength: number;
  /** Bytes of the whole TLV: header and parts. */
  length: number;
}

export type Der = Buffer | Pieces;

export function tlv(tag: number, contents: Der[]): Pieces {
  let contentLength = 0;
  for (const part of contents) contentLength += part.length;
  return { tag, parts: contents, contentLength, length: headerLength(contentLength) + contentLength };
}

/** The bytes of `der` in one Buffer. */
export function joined(der: Der): Buffer {
  if (Buffer.isBuffer(der)) return der;
  const out = Buffer.allocUnsafe(der.length);
  const end = copyInto(der, out, 0);
  // allocUnsafe: a shortfall would leave stale memory in the store. tlv sums the lengths, so
  // this only guards against a Pieces built some other way.
  if (end !== out.length) throw new Error(`DER pieces filled ${end} of ${out.length} bytes`);
  return out;
}

/** Copies the parts in order from `offset`; gives the offset after them. */
function copyInto(der: Der, out: Buffer, offset: number): number {
  if (Buffer.isBuffer(der)) {
    out.set(der, offset);
    return offset + der.length;
  }
  offset = writeHeader(der.tag, der.contentLength, out, offset);
  for (const part of der.parts) offset = copyInto(part, out, offset);
  return offset;
}

/** Short form below 128, else 0x80 | count and the length big-endian, minimal. */
function headerLength(length: number): number {
  let count = 0;
  if (length >= 0x80) for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) count++;
  return 2 + count;
}

/** The tag, then the length (as headerLength counts it), at `offset`; gives the offset after them. */
function writeHeader(tag: number, length: number, out: Buffer, offset: number): number {
  out[offset] = tag;
  if (length < 0x80) {
    out[offset + 1] = length;
    return offset + 2;
  }
  const count = headerLength(length) - 2;
  out[offset + 1] = 0x80 | count;
  for (let i = count, rest = length; i > 0; i--, rest = Math.floor(rest / 256)) out[offset + 1 + i] = rest & 0xff;
  return offset + 2 + count;
}

export const sequence = (...contents: Der[]) => tlv(TAG.sequence, contents);
/** Elements are written in the order given (callers pass them in the order they always had). */
export const set = (...contents: Der[]) => tlv(TAG.set, contents);
export const explicit0 = (inner: Der) => tlv(TAG.context0, [inner]);
export const octetString = (bytes: Der) => tlv(TAG.octetString, [bytes]);
export const asn1Null = () => joined(tlv(TAG.null, []));
/** UCS-2 big-endian code units, as PKCS#12 friendlyName and keytool use. */
export function bmpString(text: string): Buffer {
  // Written code unit by code unit: Buffer.from(text, 'utf16le').swap16() is two calls into
  // node:buffer per alias, and a truststore writes one alias per certificate.
  const contentLength = text.length * 2;
  const out = Buffer.allocUnsafe(headerLength(contentLength) + contentLength);
  let offset = writeHeader(TAG.bmpString, contentLength, out, 0);
  for (let i = 0; i < text.length; i++, offset += 2) {
    const unit = text.charCodeAt(i);
    out[offset] = unit >> 8;
    out[offset + 1] = unit & 0xff;
  }
  return out;
}

/** A non-negative INTEGER, minimal two's complement (a leading 0 only when the top bit is set). */
export function integer(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`DER integer out of range: ${value}`);
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  if (bytes.length === 0 || bytes[0]! & 0x80) bytes.unshift(0);
  return joined(tlv(TAG.integer, [Buffer.from(bytes)]));
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
  return joined(tlv(TAG.oid, [Buffer.from(bytes)]));
}

/** A table of dotted OIDs as their DER, for encoders that write the same OIDs many times. */
export function derOids<T extends Record<string, string>>(dotted: T): { [K in keyof T]: Buffer } {
  return Object.fromEntries(Object.entries(dotted).map(([name, id]) => [name, oid(id)])) as { [K in keyof T]: Buffer };
}

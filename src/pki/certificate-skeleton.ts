/**
 * The fast path of parseCertificate (certificate.ts), not a reader of its own: callers use
 * parseCertificate. It walks a certificate's DER with Buffer offsets and reads only what a
 * truststore needs of every CA: subject and issuer (their DER, and the text node:crypto would
 * print), validity, version and basicConstraints. Anything it does not read exactly as
 * node:crypto would (BER, an unusual string type or attribute, a multi-valued RDN) gives
 * undefined for that field or for the whole certificate, and certificate.ts asks node instead.
 */

export interface Skeleton {
  version: number;
  issuerDer: Buffer;
  subjectDer: Buffer;
  /** Undefined when the Name is one node must print (see nameText). */
  subject: string | undefined;
  issuer: string | undefined;
  notBefore: Date | undefined;
  notAfter: Date | undefined;
  basicConstraints: { ca: boolean; pathLength: number | undefined } | undefined;
}

interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  body: number;
  end: number;
}

const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  teletexString: 0x14,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
  version: 0xa0,
  issuerUniqueId: 0x81,
  subjectUniqueId: 0x82,
  extensions: 0xa3,
} as const;

/** 2.5.29.19's content octets: each extension's OID is compared as bytes, not printed first. */
const BASIC_CONSTRAINTS = Buffer.from([0x55, 0x1d, 0x13]);

/** Undefined when the bytes are not a certificate in strict DER: the caller lets node decide. */
export function readSkeleton(der: Buffer): Skeleton | undefined {
  try {
    return walk(der);
  } catch (error) {
    if (error instanceof NotStrictDer) return undefined;
    throw error;
  }
}

class NotStrictDer extends Error {}

function fail(): never {
  throw new NotStrictDer();
}

/** One TLV at `offset`: single-byte tag, definite minimal length, inside `limit`. */
function tlvAt(der: Buffer, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) fail();
  const tag = der[offset]!;
  if ((tag & 0x1f) === 0x1f) fail();
  const first = der[offset + 1]!;
  let length = first;
  let body = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4 || body + count > limit || der[body] === 0) fail();
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[body + i]!;
    body += count;
    if (length < 0x80) fail();
  }
  const end = body + length;
  if (end > limit) fail();
  return { tag, start: offset, body, end };
}

/** The children of a constructed TLV, which must fill it exactly. */
function children(der: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = parent.body; offset < parent.end; ) {
    const child = tlvAt(der, offset, parent.end);
    out.push(child);
    offset = child.end;
  }
  return out;
}

/**
 * A node's children when there are at most `count`; `expect` refuses the missing ones. Read by
 * index, not `[a, b, ...rest]`: destructuring walks an iterator and a rest element fills a new
 * array, costly until V8 has optimised the walk, and a CLI reads its certificates once, before.
 */
function upTo(count: number, nodes: Tlv[]): (Tlv | undefined)[] {
  if (nodes.length > count) fail();
  return nodes;
}

function expect(node: Tlv | undefined, tag: number): Tlv {
  if (!node || node.tag !== tag) fail();
  return node;
}

function walk(der: Buffer): Skeleton {
  const outer = expect(tlvAt(der, 0, der.length), TAG.sequence);
  if (outer.end !== der.length) fail();
  const top = upTo(3, children(der, outer));
  const tbs = top[0];
  algorithmIdentifier(der, top[1]);
  expect(top[2], TAG.bitString);
  // TBSCertificate (RFC 5280 4.1): [0] version (optional), serial, signature, issuer, validity,
  // subject, subjectPublicKeyInfo, then [1] [2] [3] optional fields, in that order.
  const fields = children(der, expect(tbs, TAG.sequence));
  let index = 0;
  let version = 1;
  if (fields[0]?.tag === TAG.version) {
    const number = smallInteger(der, expect(upTo(1, children(der, fields[0]))[0], TAG.integer));
    // OpenSSL refuses versions other than v1..v3; node decides those.
    if (number === undefined || number > 2) fail();
    version = number + 1;
    index = 1;
  }
  const serial = expect(fields[index], TAG.integer);
  if (serial.end === serial.body) fail();
  algorithmIdentifier(der, fields[index + 1]);
  const issuer = expect(fields[index + 2], TAG.sequence);
  const validity = children(der, expect(fields[index + 3], TAG.sequence));
  const subject = expect(fields[index + 4], TAG.sequence);
  // SubjectPublicKeyInfo: the algorithm, then the key as a BIT STRING.
  const keyInfo = upTo(2, children(der, expect(fields[index + 5], TAG.sequence)));
  algorithmIdentifier(der, keyInfo[0]);
  expect(keyInfo[1], TAG.bitString);
  if (validity.length !== 2) fail();
  let rest = index + 6;
  if (fields[rest]?.tag === TAG.issuerUniqueId) rest++;
  if (fields[rest]?.tag === TAG.subjectUniqueId) rest++;
  let basicConstraints: Skeleton['basicConstraints'];
  if (fields[rest]?.tag === TAG.extensions) basicConstraints = readBasicConstraints(der, fields[rest++]!);
  if (rest < fields.length) fail();
  const subjectText = nameText(der, subject);
  // Most CAs a truststore holds are self-issued: the same bytes print the same text.
  const issuerText = sameBytes(der, issuer, subject) ? subjectText : nameText(der, issuer);
  return new WalkedSkeleton(der, version, issuer, subject, subjectText, issuerText, time(der, validity[0]!), time(der, validity[1]!), basicConstraints);
}

/** A class, not an object literal with getters: those are defined one by one on each object. */
class WalkedSkeleton implements Skeleton {
  #issuerDer: Buffer | undefined;
  #subjectDer: Buffer | undefined;
  constructor(
    private readonly der: Buffer,
    readonly version: number,
    private readonly issuerNode: Tlv,
    private readonly subjectNode: Tlv,
    readonly subject: string | undefined,
    readonly issuer: string | undefined,
    readonly notBefore: Date | undefined,
    readonly notAfter: Date | undefined,
    readonly basicConstraints: Skeleton['basicConstraints'],
  ) {}

  // Cut when asked for (path building, hashed directories), not for every CA of a truststore.
  get issuerDer(): Buffer {
    return (this.#issuerDer ??= this.der.subarray(this.issuerNode.start, this.issuerNode.end));
  }

  get subjectDer(): Buffer {
    return (this.#subjectDer ??= this.der.subarray(this.subjectNode.start, this.subjectNode.end));
  }
}

/** Whether two TLVs of `der` are the same bytes; node compares them, a loop here costs more until the JIT has run. */
function sameBytes(der: Buffer, a: Tlv, b: Tlv): boolean {
  return a.end - a.start === b.end - b.start && der.compare(der, a.start, a.end, b.start, b.end) === 0;
}

/** AlgorithmIdentifier: an OID, then parameters of any type, or none. */
function algorithmIdentifier(der: Buffer, node: Tlv | undefined): void {
  expect(upTo(2, children(der, expect(node, TAG.sequence)))[0], TAG.oid);
}

/**
 * Every extension must be OID, optional BOOLEAN, OCTET STRING (what OpenSSL's decoder requires
 * too). basicConstraints is the first such extension that decodes, as it was with forge.
 */
function readBasicConstraints(der: Buffer, wrapper: Tlv): Skeleton['basicConstraints'] {
  const list = expect(upTo(1, children(der, wrapper))[0], TAG.sequence);
  let found: Skeleton['basicConstraints'];
  for (const extension of children(der, list)) {
    // Read in sequence rather than as a list of children: an extension is two or three nodes.
    expect(extension, TAG.sequence);
    const id = expect(tlvAt(der, extension.body, extension.end), TAG.oid);
    let value = tlvAt(der, id.end, extension.end);
    if (value.tag === TAG.boolean) {
      if (value.end - value.body !== 1) fail();
      value = tlvAt(der, value.end, extension.end);
    }
    if (expect(value, TAG.octetString).end !== extension.end) fail();
    if (!found && isOid(der, id, BASIC_CONSTRAINTS)) found = decodeBasicConstraints(der, value);
  }
  return found;
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }. */
function decodeBasicConstraints(der: Buffer, value: Tlv): Skeleton['basicConstraints'] {
  try {
    const inner = tlvAt(der, value.body, value.end);
    if (inner.tag !== TAG.sequence || inner.end !== value.end) return undefined;
    const parts = children(der, inner);
    const first = parts[0];
    const second = parts[1];
    const ca = first?.tag === TAG.boolean && first.end - first.body === 1 && der[first.body] !== 0;
    const lengthNode = first?.tag === TAG.integer ? first : second?.tag === TAG.integer ? second : undefined;
    const pathLength = lengthNode ? smallInteger(der, lengthNode) : undefined;
    return { ca, pathLength };
  } catch (error) {
    if (error instanceof NotStrictDer) return undefined;
    throw error;
  }
}

/** A non-negative INTEGER that fits a safe number; undefined otherwise. */
function smallInteger(der: Buffer, node: Tlv): number | undefined {
  const length = node.end - node.body;
  if (length === 0 || length > 6 || der[node.body]! & 0x80) return undefined;
  let value = 0;
  for (let i = node.body; i < node.end; i++) value = value * 256 + der[i]!;
  return value;
}

function isOid(der: Buffer, node: Tlv, contents: Buffer): boolean {
  if (node.end - node.body !== contents.length) return false;
  for (let i = 0; i < contents.length; i++) if (der[node.body + i] !== contents[i]) return false;
  return true;
}

function oidText(der: Buffer, node: Tlv): string {
  const arcs: number[] = [];
  let arc = 0;
  for (let i = node.body; i < node.end; i++) {
    const byte = der[i]!;
    arc = arc * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(arc);
      arc = 0;
    }
  }
  const [first = 0, ...rest] = arcs;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...rest].join('.');
}

/** UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ (RFC 5280 4.1.2.5); else node reads it. */
function time(der: Buffer, node: Tlv): Date | undefined {
  // Read digit by digit: two regular expressions per certificate were a tenth of reading a bundle.
  const yearDigits = node.tag === TAG.utcTime ? 2 : node.tag === TAG.generalizedTime ? 4 : 0;
  if (yearDigits === 0 || node.end - node.body !== yearDigits + 11 || der[node.end - 1] !== 0x5a /* Z */) return undefined;
  const at = node.body + yearDigits;
  const y = digits(der, node.body, yearDigits);
  const mo = digits(der, at, 2);
  const d = digits(der, at + 2, 2);
  const h = digits(der, at + 4, 2);
  const mi = digits(der, at + 6, 2);
  const s = digits(der, at + 8, 2);
  // The sum is NaN when any part is: one test for a non-digit anywhere, no array per time.
  if (Number.isNaN(y + mo + d + h + mi + s)) return undefined;
  // RFC 5280: a two-digit year of 50 or more is 19YY, else 20YY.
  const year = node.tag === TAG.utcTime ? (y >= 50 ? 1900 + y : 2000 + y) : y;
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, s));
  // Date.UTC rolls 31 February over into March; OpenSSL refuses it, so node decides.
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  if (year < 100) date.setUTCFullYear(year);
  return date;
}

/** `count` ASCII digits from `offset` as a number; NaN when one is not a digit. */
function digits(der: Buffer, offset: number, count: number): number {
  let value = 0;
  for (let i = offset; i < offset + count; i++) {
    const digit = der[i]! - 0x30;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return value;
}

/** OpenSSL's short names (the ones node prints) for the attributes CA names use. */
const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.15': 'businessCategory',
  '2.5.4.17': 'postalCode',
  '2.5.4.42': 'GN',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

/**
 * SHORT_NAMES by the OID's content octets, filled as names are read: a CA bundle repeats a
 * dozen types. The key is the octets as one number when they fit (2.5.4.x is three), so the
 * common case needs no string made from the bytes; longer OIDs are keyed by their text.
 */
const shortNameByDer = new Map<number | string, string | undefined>();

function shortName(der: Buffer, oid: Tlv): string | undefined {
  const length = oid.end - oid.body;
  let key: number | string;
  if (length <= 6) {
    // A leading count keeps 06 01 00 and 06 02 00 00 apart.
    key = length;
    for (let i = oid.body; i < oid.end; i++) key = key * 256 + der[i]!;
  } else {
    key = oidText(der, oid);
  }
  if (shortNameByDer.has(key)) return shortNameByDer.get(key);
  const short = SHORT_NAMES[typeof key === 'string' ? key : oidText(der, oid)];
  shortNameByDer.set(key, short);
  return short;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A Name as certificate.ts shows it: node's text (OpenSSL's X509_NAME_print_ex with RFC 2253
 * escaping, one RDN per line) joined with ", ". Undefined for what is not printed here exactly
 * as OpenSSL would: multi-valued RDNs, attributes without a short name above, string types
 * other than UTF8, Printable and IA5 (and T61 in ASCII), control characters.
 */
function nameText(der: Buffer, name: Tlv): string | undefined {
  try {
    const parts: string[] = [];
    for (const rdn of children(der, name)) {
      // One attribute (type, value) filling its RDN, read in sequence without lists of children.
      const attribute = expect(tlvAt(der, expect(rdn, TAG.set).body, rdn.end), TAG.sequence);
      if (attribute.end !== rdn.end) return undefined;
      const type = expect(tlvAt(der, attribute.body, attribute.end), TAG.oid);
      if (type.end === attribute.end) return undefined;
      const value = tlvAt(der, type.end, attribute.end);
      if (value.end !== attribute.end) return undefined;
      const short = shortName(der, type);
      if (!short) return undefined;
      const text = printedValue(der, value);
      if (text === undefined) return undefined;
      parts.push(`${short}=${text}`);
    }
    return parts.join(', ');
  } catch (error) {
    if (error instanceof NotStrictDer) return undefined;
    throw error;
  }
}

/**
 * The value as OpenSSL prints it, escaped (escape2253). An ASCII value, most of a CA bundle, is
 * checked in one pass over its bytes: in a CLI this runs interpreted, once per attribute, and
 * separate passes for ASCII, control characters and escaping were most of reading a Name.
 */
function printedValue(der: Buffer, node: Tlv): string | undefined {
  if (node.tag !== TAG.utf8String && node.tag !== TAG.printableString && node.tag !== TAG.ia5String && node.tag !== TAG.teletexString) return undefined;
  let ascii = true;
  let special = false;
  for (let i = node.body; i < node.end; i++) {
    const byte = der[i]!;
    if (byte > 0x7f) ascii = false;
    // OpenSSL writes control characters as \XX; those names are left to node.
    else if (byte < 0x20 || byte === 0x7f) return undefined;
    // , + " \ < > ;
    else if (byte === 0x2c || byte === 0x2b || byte === 0x22 || byte === 0x5c || byte === 0x3c || byte === 0x3e || byte === 0x3b) special = true;
  }
  if (ascii) {
    // ASCII reads the same in all four types (OpenSSL takes a T61String's bytes as Latin-1, as
    // old CAs such as Entrust's 2048 meant them), and latin1 is node's cheapest decoding.
    const text = der.toString('latin1', node.body, node.end);
    const last = text.length - 1;
    return special || text[0] === '#' || text[0] === ' ' || text[last] === ' ' ? escape2253(text) : text;
  }
  if (node.tag !== TAG.utf8String) return undefined;
  let text: string;
  try {
    text = utf8.decode(der.subarray(node.body, node.end));
  } catch {
    return undefined;
  }
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return undefined;
  }
  return needsEscape(text) ? escape2253(text) : text;
}

/** RFC 2253 escaping as OpenSSL applies it: , + " \ < > ; anywhere, # or space first, space last. */
function escape2253(text: string): string {
  const chars = [...text];
  return chars
    .map((c, i) => {
      const special = ',+"\\<>;'.includes(c) || (i === 0 && (c === '#' || c === ' ')) || (i === chars.length - 1 && c === ' ');
      return special ? `\\${c}` : c;
    })
    .join('');
}

/** Whether escape2253 changes `text`; a loop, as a regular expression here cost more than the rest of the name. */
function needsEscape(text: string): boolean {
  const last = text.length - 1;
  if (text[0] === '#' || text[0] === ' ' || text[last] === ' ') return true;
  for (let i = 0; i <= last; i++) {
    const c = text.charCodeAt(i);
    // , + " \ < > ;
    if (c === 0x2c || c === 0x2b || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x3b) return true;
  }
  return false;
}

import { asn1, forgeUtil, fromDer, type Asn1 } from './asn1-codec.js';

/**
 * The values of the four extensions the certificate rules read (RFC 5280 4.2.1.3, 4.2.1.6,
 * 4.2.1.9, 4.2.1.12), from their DER ("binary" strings, as forge's codec holds bytes). A value
 * that does not parse reads as undefined, as if the extension were absent; extension-syntax.ts
 * reports it as malformed.
 */

const GENERAL_NAME = { rfc822Name: 1, dNSName: 2, uniformResourceIdentifier: 6, iPAddress: 7 } as const;

/** The entries of a SubjectAltName by kind; tags of the kinds not read here in `otherTags`. */
export interface AltNames {
  dns: string[];
  ip: string[];
  email: string[];
  uri: string[];
  otherTags: number[];
}

export function decodeSubjectAltName(value: string): AltNames | undefined {
  const names = sequenceOf(value);
  if (!names) return undefined;
  const san: AltNames = { dns: [], ip: [], email: [], uri: [], otherTags: [] };
  for (const name of names) {
    const text = typeof name.value === 'string' ? name.value : undefined;
    // An address of neither 4 nor 16 bytes is no address: it is listed with the other tags.
    const ip = name.type === GENERAL_NAME.iPAddress && text !== undefined ? forgeUtil.bytesToIP(text) : undefined;
    if (name.type === GENERAL_NAME.dNSName && text !== undefined) san.dns.push(text);
    else if (ip) san.ip.push(ip);
    else if (name.type === GENERAL_NAME.rfc822Name && text !== undefined) san.email.push(text);
    else if (name.type === GENERAL_NAME.uniformResourceIdentifier && text !== undefined) san.uri.push(text);
    else san.otherTags.push(name.type);
  }
  return san;
}

/** KeyUsage bits in RFC 5280 order: bit 0 is digitalSignature. */
const KEY_USAGE_BITS = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'] as const;

export type KeyUsageName = (typeof KEY_USAGE_BITS)[number];

/** The usages whose bit is set, in RFC 5280 order. */
export function decodeKeyUsage(value: string): KeyUsageName[] | undefined {
  const bits = parse(value, { decodeBitStrings: false });
  if (!bits || bits.type !== asn1.Type.BITSTRING || typeof bits.value !== 'string') return undefined;
  // The first content byte counts the unused bits of the last; the named bits follow, high bit first.
  const bytes = bits.value.slice(1);
  return KEY_USAGE_BITS.filter((_, bit) => ((bytes.charCodeAt(bit >> 3) || 0) & (0x80 >> (bit & 7))) !== 0);
}

/** The KeyPurposeId OIDs, in the certificate's order. */
export function decodeExtKeyUsage(value: string): string[] | undefined {
  const purposes = sequenceOf(value);
  if (!purposes) return undefined;
  return purposes.filter((purpose) => purpose.type === asn1.Type.OID && typeof purpose.value === 'string').map((purpose) => asn1.derToOid(purpose.value as string));
}

/** cA (default FALSE) and pathLenConstraint when present. */
export function decodeBasicConstraints(value: string): { ca: boolean; pathLength: number | undefined } | undefined {
  const fields = sequenceOf(value);
  if (!fields) return undefined;
  const [first, second] = fields;
  const ca = first?.type === asn1.Type.BOOLEAN && typeof first.value === 'string' && first.value.charCodeAt(0) !== 0;
  const length = first?.type === asn1.Type.INTEGER ? first : second?.type === asn1.Type.INTEGER ? second : undefined;
  return { ca, pathLength: length && typeof length.value === 'string' ? asn1.derToInteger(length.value) : undefined };
}

function sequenceOf(value: string): Asn1[] | undefined {
  const node = parse(value, { decodeBitStrings: true });
  return node?.type === asn1.Type.SEQUENCE && Array.isArray(node.value) ? node.value : undefined;
}


function parse(value: string, options: { decodeBitStrings: boolean }): Asn1 | undefined {
  try {
    return fromDer(value, { strict: true, ...options });
  } catch {
    return undefined;
  }
}

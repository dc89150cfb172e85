import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';

/**
 * net.isIP, asking about IPv6 only when the text has a colon, as every IPv6 address has: the
 * first IPv6 test of a process compiles node's long pattern for it, 6 to 8 ms, and the names
 * given to start, check and issue are mostly DNS names.
 */
export function isIP(text: string): 0 | 4 | 6 {
  if (!text.includes(':')) return isIPv4(text) ? 4 : 0;
  return isIPv6(text) ? 6 : 0;
}

/**
 * RFC 6125 name matching as TLS clients do it: case-insensitive, a trailing dot ignored, a
 * wildcard only as the whole left-most label and standing for exactly one label, never in a
 * public-suffix-like position ("*.com"), and never against the Common Name.
 */

export type HostMatch = { matched: true; entry: string; wildcard: boolean } | { matched: false };

export interface SanNames {
  dns: string[];
  ip: string[];
}

export function matchHostname(hostname: string, san: SanNames): HostMatch {
  const host = normaliseHost(hostname);
  if (isIP(host)) {
    // An IP address is matched only against iPAddress entries (RFC 6125 1.7.2), both in
    // canonical text, so every spelling of one address agrees ("::1", "0:0:0:0:0:0:0:1").
    const entry = san.ip.find((ip) => isIP(ip) && canonicalIp(ip) === host);
    return entry ? { matched: true, entry, wildcard: false } : { matched: false };
  }
  const exact = san.dns.find((entry) => normaliseHost(entry) === host);
  if (exact) return { matched: true, entry: exact, wildcard: false };
  const wildcard = san.dns.find((entry) => wildcardMatches(normaliseHost(entry), host));
  return wildcard ? { matched: true, entry: wildcard, wildcard: true } : { matched: false };
}

function wildcardMatches(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(2);
  // At least two labels after the wildcard, so "*.com" or "*.test" never match.
  if (suffix.split('.').length < 2 || suffix.includes('*')) return false;
  const dot = host.indexOf('.');
  if (dot <= 0) return false;
  return host.slice(dot + 1) === suffix;
}

/**
 * The one normal form of a host name or address, used by `cert issue` (what goes into the SAN)
 * and `cert check` (what is compared), so a name issue accepts is a name check matches:
 * IP addresses in canonical text (below); DNS names lower-cased, without a trailing dot.
 */
export function normaliseHost(name: string): string {
  const trimmed = name.trim();
  if (isIP(trimmed)) return canonicalIp(trimmed);
  return toALabels(trimmed).toLowerCase().replace(/\.$/, '');
}

/**
 * A name with Unicode labels (U-labels, "bücher.example.test") as its A-labels
 * ("xn--bcher-kva.example.test"): what DNS, certificates and Java's HostnameChecker use. ASCII
 * names are returned as given; a name IDNA refuses too.
 */
export function toALabels(name: string): string {
  if (/^[\x00-\x7f]*$/.test(name)) return name;
  return domainToASCII(name) || name;
}

/**
 * IPv4 as dotted decimal; IPv6 as RFC 5952 text (lower case, no leading zeros, the longest run
 * of zero groups as "::"), an IPv4-mapped address as ::ffff:a.b.c.d. Only for addresses
 * net.isIP accepts.
 */
export function canonicalIp(address: string): string {
  return isIP(address) === 4 ? address : formatIpv6(ipToBytes(address));
}

/** The 4 or 16 bytes of an address net.isIP accepts, as an iPAddress SAN entry holds them. */
export function ipToBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split('.').map(Number));
  let text = address.toLowerCase();
  // An embedded IPv4 tail (::ffff:10.0.0.1) stands for the last two groups: parse it as 0:0 and
  // put its bytes in afterwards.
  const lastColon = text.lastIndexOf(':');
  const dotted = text.slice(lastColon + 1);
  const v4 = dotted.includes('.') ? dotted.split('.').map(Number) : [];
  if (v4.length) text = `${text.slice(0, lastColon + 1)}0:0`;
  const [head = '', rest] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest ? rest.split(':') : [];
  const zeros = rest === undefined ? 0 : 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...restGroups];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, index) => bytes.writeUInt16BE(parseInt(group, 16), index * 2));
  v4.forEach((byte, index) => (bytes[12 + index] = byte));
  return bytes;
}

function formatIpv6(bytes: Buffer): string {
  const mappedPrefix = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
  if (bytes.subarray(0, 12).equals(mappedPrefix)) return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  const groups = Array.from({ length: 8 }, (_, index) => bytes.readUInt16BE(index * 2));
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; ) {
    if (groups[start] !== 0) {
      start++;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** A name we accept as a machine identity: a DNS name (no wildcard) or an IP address. */
export function isValidHostname(name: string): boolean {
  if (isIP(name)) return true;
  const host = toALabels(name).replace(/\.$/, '');
  if (host.length === 0 || host.length > 253) return false;
  return host.split('.').every((label) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

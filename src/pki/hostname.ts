import { isIP } from 'node:net';

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
  const host = normalise(hostname);
  if (isIP(host)) {
    // An IP address is matched only against iPAddress entries (RFC 6125 1.7.2), compared as
    // canonical text so "::1" and "0:0:0:0:0:0:0:1" agree.
    const entry = san.ip.find((ip) => canonicalIp(ip) === canonicalIp(host));
    return entry ? { matched: true, entry, wildcard: false } : { matched: false };
  }
  const exact = san.dns.find((entry) => normalise(entry) === host);
  if (exact) return { matched: true, entry: exact, wildcard: false };
  const wildcard = san.dns.find((entry) => wildcardMatches(normalise(entry), host));
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

function normalise(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

function canonicalIp(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  // Expand :: and drop leading zeros, enough to compare two spellings of one IPv6 address.
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const missing = ip.includes('::') ? 8 - headParts.length - tailParts.length : 0;
  return [...headParts, ...Array(missing).fill('0'), ...tailParts].map((part) => part.replace(/^0+(?=.)/, '')).join(':');
}

/** A name we accept as a machine identity: a DNS name (no wildcard) or an IP address. */
export function isValidHostname(name: string): boolean {
  if (isIP(name)) return true;
  const host = name.replace(/\.$/, '');
  if (host.length === 0 || host.length > 253) return false;
  return host.split('.').every((label) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

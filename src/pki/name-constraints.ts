import type { Certificate, NameConstraints, Subtree } from './certificate.js';
import { ipToBytes } from './hostname.js';

/**
 * RFC 5280 4.2.1.10 name constraints for the forms a TLS server certificate is judged by: DNS
 * names, IP addresses and directory names. A name is allowed when no excluded subtree of its
 * form covers it and, if permitted subtrees of its form exist, one of them covers it.
 */

/** Why `cert` breaks `constraints`, or undefined when it does not. */
export function nameConstraintViolation(cert: Certificate, constraints: NameConstraints, checkSubject: boolean): string | undefined {
  const names: { type: 'dns' | 'ip' | 'dn'; text: string; match: (subtree: Subtree) => boolean }[] = [];
  for (const dns of cert.san?.dns ?? []) names.push({ type: 'dns', text: `DNS:${dns}`, match: (subtree) => subtree.type === 'dns' && dnsWithin(dns, subtree.value) });
  for (const ip of cert.san?.ip ?? []) {
    const bytes = ipToBytes(ip);
    names.push({ type: 'ip', text: `IP:${ip}`, match: (subtree) => subtree.type === 'ip' && ipWithin(bytes, subtree.address, subtree.mask) });
  }
  if (checkSubject && cert.subjectRdns.length > 0) {
    names.push({ type: 'dn', text: `subject "${cert.subject}"`, match: (subtree) => subtree.type === 'dn' && dnWithin(cert.subjectRdns, subtree.rdns) });
  }
  // Forms not evaluated here are judged conservatively: an excluded subtree of a form the
  // certificate also names could match, so the certificate is refused (as RFC 5280 6.1.3 b/c allow).
  for (const tag of cert.san?.otherTags ?? []) {
    const excluded = constraints.excluded.find((subtree) => subtree.type === 'other' && subtree.tag === tag);
    if (excluded) return `its subjectAltName has a ${describe(excluded)} entry, a form with excluded subtrees that cannot be evaluated`;
  }
  for (const name of names) {
    const excluded = constraints.excluded.find((subtree) => name.match(subtree) || (name.type === 'dns' && subtree.type === 'dns' && wildcardReaches(name.text.slice(4), subtree.value)));
    if (excluded) return `${name.text} is in the excluded subtree ${describe(excluded)}`;
    const permittedOfType = constraints.permitted.filter((subtree) => subtree.type === name.type);
    if (permittedOfType.length > 0 && !permittedOfType.some(name.match)) {
      return `${name.text} is outside the permitted subtrees ${permittedOfType.map(describe).join(', ')}`;
    }
  }
  return undefined;
}

/** A constraint that cannot be evaluated safely: malformed, or a DNS base that is no DNS name. */
export function invalidConstraint(constraints: NameConstraints): string | undefined {
  if (constraints.malformed) return 'its nameConstraints extension is malformed (empty or undecodable subtrees)';
  const bad = [...constraints.permitted, ...constraints.excluded].find(
    (subtree) => (subtree.type === 'dns' && !/^([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*)?$/.test(subtree.value)) || (subtree.type === 'ip' && ![4, 16].includes(subtree.address.length)),
  );
  return bad ? `its name constraint ${describe(bad)} is not a valid ${bad.type === 'ip' ? 'address range' : 'DNS name'}` : undefined;
}

function dnsWithin(name: string, base: string): boolean {
  const host = name.toLowerCase().replace(/\.$/, '');
  const constraint = base.toLowerCase().replace(/\.$/, '');
  if (constraint === '') return true;
  // "example.com" covers itself and its subdomains (a leading period is refused as invalid).
  return host === constraint || host.endsWith(`.${constraint}`);
}

/** A wildcard SAN "*.example.com" reaches every name one label under example.com. */
function wildcardReaches(san: string, base: string): boolean {
  if (!san.startsWith('*.')) return false;
  const domain = san.slice(2).toLowerCase();
  const constraint = base.toLowerCase();
  return constraint.endsWith(`.${domain}`) && !constraint.slice(0, -domain.length - 1).includes('.');
}

function ipWithin(address: Buffer, network: Buffer, mask: Buffer): boolean {
  if (address.length !== network.length || mask.length !== network.length) return false;
  return address.every((byte, index) => (byte & mask[index]!) === (network[index]! & mask[index]!));
}

function dnWithin(subject: string[], base: string[]): boolean {
  return base.length <= subject.length && base.every((rdn, index) => subject[index] === rdn);
}

function describe(subtree: Subtree): string {
  switch (subtree.type) {
    case 'dns':
      return `DNS:${subtree.value || '(any)'}`;
    case 'ip':
      return `IP:${[...subtree.address].join(subtree.address.length === 4 ? '.' : ':')}/${[...subtree.mask].join(subtree.mask.length === 4 ? '.' : ':')}`;
    case 'dn':
      return `dirName:${subtree.rdns.join(', ')}`;
    default:
      return `[GeneralName tag ${subtree.tag}]`;
  }
}

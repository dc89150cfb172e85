import { getPublicSuffix } from 'tldts';

/**
 * A wildcard SAN entry whose remainder is a public suffix ("*.co.uk", "*.s3.amazonaws.com")
 * names every registrable domain under that suffix, so whoever holds the key can impersonate
 * all of them to anyone trusting the CA. No cluster machine is named through one. Java checks
 * public suffixes only for chains to its own cacerts, so under a private CA nothing else
 * refuses it. Returns the suffix the wildcard covers, or undefined.
 *
 * The suffix comes from the Public Suffix List (tldts), private section included: a name like
 * s3.amazonaws.com is handed out to strangers exactly like co.uk. A remainder of one label
 * ("*.test", "*.internal") counts too, by the list's default rule.
 */
export function wildcardPublicSuffix(entry: string): string | undefined {
  const name = entry.toLowerCase().replace(/\.$/, '');
  if (!name.startsWith('*.')) return undefined;
  // tldts reads "*" as a label of the host, so the wildcard label is taken off first.
  const remainder = name.slice(2);
  const suffix = getPublicSuffix(remainder, { allowPrivateDomains: true, extractHostname: false });
  return suffix === remainder ? suffix : undefined;
}

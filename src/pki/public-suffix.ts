import { createRequire } from 'node:module';
import type * as Tldts from 'tldts';

/**
 * tldts carries the whole Public Suffix List: loading it costs more than every other check of a
 * volume together, and only a wildcard SAN needs it. Required on first use, synchronously, so
 * the checks stay synchronous.
 */
let tldts: typeof Tldts | undefined;
const suffixList = (): typeof Tldts => (tldts ??= createRequire(import.meta.url)('tldts') as typeof Tldts);

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
  const suffix = suffixList().getPublicSuffix(remainder, { allowPrivateDomains: true, extractHostname: false });
  return suffix === remainder ? suffix : undefined;
}

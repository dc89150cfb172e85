import { posix } from 'node:path';
import { toPem } from '../pki/pem.js';
import { rehashLinks } from './hashed-dir.js';
import { entriesUnder, resolveFile, withParents, type ImageTree, type TreeEntry } from './image-tree.js';
import { mergeCacerts, readCacerts } from './java-cacerts.js';
import type { PoolEntry } from './pool.js';
import type { SystemTrustLayer } from './system-trust.js';

/**
 * What `update-ca-certificates` (Debian's ca-certificates 2023) does for new CAs in
 * /usr/local/share/ca-certificates, computed from the image's own files:
 * - the bundle /etc/ssl/certs/ca-certificates.crt: every certificate file named in
 *   /etc/ca-certificates.conf (under /usr/share/ca-certificates), in that file's order, then every
 *   *.crt under /usr/local/share/ca-certificates in `sort` order (the C locale of a build), each
 *   followed by a newline when it lacks one;
 * - /etc/ssl/certs/<name>.pem, a link to each new CA file;
 * - the subject-hash links `openssl rehash` then makes in /etc/ssl/certs;
 * - with the ca-certificates-java hook installed, Java's cacerts with each new CA added under
 *   the alias "debian:<name>.pem" (lower case, as the JKS it writes stores it).
 */

export const DEBIAN_CONF = '/etc/ca-certificates.conf';
const SHARE = '/usr/share/ca-certificates';
const LOCAL = '/usr/local/share/ca-certificates';
const CERTS = '/etc/ssl/certs';
const BUNDLE = `${CERTS}/ca-certificates.crt`;
const JAVA_HOOK = '/etc/ca-certificates/update.d/jks-keystore';
const CACERTS = `${CERTS}/java/cacerts`;
/** Where the site CAs go: a directory of their own, so they are told apart from the OS's. */
export const DEBIAN_SITE_DIR = `${LOCAL}/dh-podman`;

/** The paths of the image the computation reads. */
export const DEBIAN_READS = [DEBIAN_CONF, CERTS, SHARE, LOCAL, '/etc/ca-certificates'];

export function debianTrustLayer(tree: ImageTree, cas: PoolEntry[]): SystemTrustLayer {
  const conf = tree.get(DEBIAN_CONF)?.content?.toString('utf8') ?? '';
  const listed = conf
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('!'))
    .map((name) => `${SHARE}/${name}`)
    .filter((path) => resolveFile(tree, path));

  const siteFiles: TreeEntry[] = cas.map((entry) => ({ path: `${DEBIAN_SITE_DIR}/${entry.alias}.crt`, type: 'file', mode: 0o644, content: Buffer.from(toPem('CERTIFICATE', entry.certificate.der)) }));
  const sitePaths = new Set(siteFiles.map((file) => file.path));
  const localPaths = [
    ...entriesUnder(tree, LOCAL)
      .filter((entry) => entry.path.endsWith('.crt') && !sitePaths.has(entry.path) && resolveFile(tree, entry.path))
      .map((entry) => entry.path),
    ...sitePaths,
  ].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const contentOf = (path: string) => siteFiles.find((file) => file.path === path)?.content ?? resolveFile(tree, path)!.content ?? Buffer.alloc(0);
  const parts = [...listed, ...localPaths].map((path) => {
    const content = contentOf(path);
    return content.length > 0 && content[content.length - 1] !== 0x0a ? Buffer.concat([content, Buffer.from('\n')]) : content;
  });
  const bundle: TreeEntry = { path: BUNDLE, type: 'file', mode: 0o644, content: Buffer.concat(parts) };

  const pemName = (path: string) => `${posix.basename(path, '.crt').replace(/ /g, '_').replace(/[()]/g, '=').replace(/,/g, '_')}.pem`;
  const pemLinks: TreeEntry[] = siteFiles.map((file) => ({ path: `${CERTS}/${pemName(file.path)}`, type: 'symlink', mode: 0o777, target: file.path }));
  const hashLinks = rehashLinks(
    tree,
    CERTS,
    cas.map((entry, index) => ({ name: pemName(siteFiles[index]!.path), der: entry.certificate.der, subjectDer: entry.certificate.subjectDer })),
  );

  const entries: TreeEntry[] = [...siteFiles, bundle, ...pemLinks, ...hashLinks];
  const cacerts = resolveFile(tree, CACERTS);
  const java = tree.has(JAVA_HOOK) && cacerts?.content !== undefined;
  if (java) {
    const added = cas.map((entry, index) => ({ alias: `debian:${pemName(siteFiles[index]!.path)}`.toLowerCase(), der: entry.certificate.der }));
    entries.push({ path: CACERTS, type: 'file', mode: 0o644, content: mergeCacerts(readCacerts(cacerts.content!, CACERTS), added) });
  }
  return {
    family: 'debian',
    entries: withParents(tree, entries),
    osCertificates: listed.length + localPaths.length - sitePaths.size,
    javaCacerts: java ? CACERTS : undefined,
  };
}

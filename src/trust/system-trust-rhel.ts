import { toPem } from '../pki/pem.js';
import { rehashLinks } from './hashed-dir.js';
import { resolveFile, withParents, type ImageTree, type TreeEntry } from './image-tree.js';
import { mergeCacerts, readCacerts } from './java-cacerts.js';
import type { PoolEntry } from './pool.js';
import type { SystemTrustLayer } from './system-trust.js';

/**
 * What `update-ca-trust extract` gives for new anchors in /etc/pki/ca-trust/source/anchors,
 * computed from the image's own extracted files rather than by p11-kit: each file the image has
 * under /etc/pki/ca-trust/extracted gets the site CAs added in its own format.
 * - pem/tls-ca-bundle.pem, pem/email-ca-bundle.pem, pem/objsign-ca-bundle.pem: a "# label" line
 *   and the PEM certificate appended (an anchor without trust restrictions serves every purpose);
 * - openssl/ca-bundle.trust.crt: the certificate appended as plain PEM, which OpenSSL trusts for
 *   every purpose, as it does the anchor p11-kit would write there;
 * - pem/directory-hash (newer releases): the certificate as <label>.pem and its subject-hash link;
 * - java/cacerts: the CA added under its label.
 * p11-kit orders its output by its own token walk; the site CAs come last here instead, which
 * changes no trust decision. edk2/cacerts.bin (firmware) is left as it is.
 */

export const RHEL_ROOT = '/etc/pki/ca-trust';
const EXTRACTED = `${RHEL_ROOT}/extracted`;
export const RHEL_ANCHORS = `${RHEL_ROOT}/source/anchors`;
const PEM_BUNDLES = ['pem/tls-ca-bundle.pem', 'pem/email-ca-bundle.pem', 'pem/objsign-ca-bundle.pem', 'openssl/ca-bundle.trust.crt'].map((name) => `${EXTRACTED}/${name}`);
const DIRECTORY_HASH = `${EXTRACTED}/pem/directory-hash`;
const CACERTS = `${EXTRACTED}/java/cacerts`;

export const RHEL_READS = [RHEL_ROOT];

export function rhelTrustLayer(tree: ImageTree, cas: PoolEntry[]): SystemTrustLayer {
  const pem = (entry: PoolEntry) => toPem('CERTIFICATE', entry.certificate.der);
  const entries: TreeEntry[] = cas.map((entry) => ({ path: `${RHEL_ANCHORS}/${entry.alias}.crt`, type: 'file', mode: 0o644, content: Buffer.from(pem(entry)) }));
  let osCertificates = 0;
  for (const path of PEM_BUNDLES) {
    const existing = resolveFile(tree, path);
    if (!existing?.content) continue;
    if (path.endsWith('tls-ca-bundle.pem')) osCertificates = (existing.content.toString('latin1').match(/-----BEGIN (TRUSTED )?CERTIFICATE-----/g) ?? []).length;
    const separator = existing.content.length > 0 && existing.content[existing.content.length - 1] !== 0x0a ? '\n' : '';
    const added = cas.map((entry) => `# ${entry.alias}\n${pem(entry)}`).join('');
    entries.push({ path, type: 'file', mode: existing.mode & 0o777, content: Buffer.concat([existing.content, Buffer.from(separator + added)]) });
  }
  if (tree.get(DIRECTORY_HASH)?.type === 'directory') {
    const files = cas.map((entry) => ({ name: `${entry.alias}.pem`, der: entry.certificate.der, subjectDer: entry.certificate.subjectDer }));
    for (const [index, entry] of cas.entries()) entries.push({ path: `${DIRECTORY_HASH}/${files[index]!.name}`, type: 'file', mode: 0o644, content: Buffer.from(pem(entry)) });
    entries.push(...rehashLinks(tree, DIRECTORY_HASH, files));
  }
  const cacerts = resolveFile(tree, CACERTS);
  if (cacerts?.content) {
    entries.push({ path: CACERTS, type: 'file', mode: 0o644, content: mergeCacerts(readCacerts(cacerts.content, CACERTS), cas.map((entry) => ({ alias: entry.alias, der: entry.certificate.der }))) });
  }
  return { family: 'rhel', entries: withParents(tree, entries), osCertificates, javaCacerts: cacerts?.content ? CACERTS : undefined };
}

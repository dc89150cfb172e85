import { createHash } from 'node:crypto';
import { subjectHash } from '../pki/subject-hash.js';
import { parsePemBlocks, isCertificateLabel } from '../pki/pem.js';
import { resolveFile, type ImageTree, type TreeEntry } from './image-tree.js';

/**
 * The links `openssl rehash DIR` adds for new certificate files: DIR/<subject hash>.<n> pointing
 * at the file by its name. As rehash does, links already in the directory keep their numbers, a
 * new certificate takes the lowest number its hash leaves free, and one whose SHA-1 equals a
 * certificate already linked under that hash gets no link (rehash skips it as a duplicate).
 */
export function rehashLinks(tree: ImageTree, dir: string, added: { name: string; der: Buffer; subjectDer: Buffer }[]): TreeEntry[] {
  const buckets = new Map<string, { ids: Set<number>; digests: Set<string> }>();
  const bucket = (hash: string) => {
    let found = buckets.get(hash);
    if (!found) {
      found = { ids: new Set(), digests: new Set() };
      for (const entry of tree.values()) {
        const match = entry.path.startsWith(`${dir}/`) && entry.type === 'symlink' ? /^([0-9a-f]{8})\.(\d+)$/.exec(entry.path.slice(dir.length + 1)) : null;
        if (match?.[1] !== hash) continue;
        found.ids.add(Number(match[2]));
        const file = resolveFile(tree, entry.path);
        const der = file?.content ? firstCertificate(file.content) : undefined;
        if (der) found.digests.add(sha1(der));
      }
      buckets.set(hash, found);
    }
    return found;
  };
  const links: TreeEntry[] = [];
  for (const cert of [...added].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)))) {
    const hash = subjectHash(cert.subjectDer);
    const slot = bucket(hash);
    const digest = sha1(cert.der);
    if (slot.digests.has(digest)) continue;
    let id = 0;
    while (slot.ids.has(id)) id++;
    slot.ids.add(id);
    slot.digests.add(digest);
    links.push({ path: `${dir}/${hash}.${id}`, type: 'symlink', mode: 0o777, target: cert.name });
  }
  return links;
}

function firstCertificate(content: Buffer): Buffer | undefined {
  return parsePemBlocks(content.toString('latin1')).find((block) => isCertificateLabel(block.label))?.der;
}

function sha1(der: Buffer): string {
  return createHash('sha1').update(der).digest('hex');
}

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../base/atomic-write.js';
import { runtimeError } from '../base/errors.js';
import type { ContextEntry } from '../engine/build-context.js';
import type { Engine } from '../engine/engine.js';
import { withImageFiles, type ImageFileEntry } from '../engine/image-files.js';
import { treeOf, type TreeEntry } from '../trust/image-tree.js';
import type { PoolEntry } from '../trust/pool.js';
import { FAMILIES, systemTrustLayer, type OsFamily, type SystemTrustLayer } from '../trust/system-trust.js';

/**
 * An image's last layer: its whole system trust with the site CAs added (the OS bundle, the
 * hashed links, the CA files, Java's cacerts), computed on the host from the trust files of the
 * image's own pre-trust image and COPYed from the build context. Nothing runs inside the image
 * for a CA change, so a new CA costs one COPY per image.
 */

/** Where the layer's files sit in the build context; COPY puts them at / in the image. */
export const LAYER_DIR_IN_CONTEXT = 'trust';

/** The OS's trust files as read from an image: its family and the files the computation needs. */
export interface OsTrustFiles {
  family: OsFamily;
  entries: TreeEntry[];
  /** SHA-256 of the files as stored: images whose trust files are the same share one layer's computation. */
  digest: string;
}

/** Bumped when what is read (or how it is stored) changes, so an old cache entry is not used. */
const CACHE_FORMAT = 1;

/**
 * The trust files of an image, read through the engine from a created, never-started container
 * (about 0.2 s per path read here), or from the cache: an image ID names its content, so files
 * read once for an ID stay true for it.
 */
export async function readOsTrustFiles(engine: Engine, imageId: string, cacheDir: string): Promise<OsTrustFiles> {
  const cached = join(cacheDir, 'os-trust', `v${CACHE_FORMAT}-${imageId.replace(/^sha256:/, '')}.json`);
  try {
    const text = await readFile(cached, 'utf8');
    return { ...fromJson(text), digest: sha256(text) };
  } catch {
    // not read yet, or unreadable: read it from the image
  }
  const files = await withImageFiles(engine.containers, imageId, async (read) => {
    for (const { family, marker, reads } of FAMILIES) {
      if (!(await read(marker))) continue;
      const entries: ImageFileEntry[] = [];
      for (const path of reads) entries.push(...((await read(path)) ?? []));
      return { family, entries };
    }
    return undefined;
  });
  if (!files) {
    throw runtimeError('TRUST_OS_UNKNOWN', `image ${imageId.slice(0, 12)} has neither /etc/ca-certificates.conf (Debian) nor /etc/pki/ca-trust (RHEL)`, {
      subject: '--ca-cert-file',
      fix: 'build on a Debian or RHEL family image with its ca-certificates package, or build without --ca-cert-file',
    });
  }
  const text = toJson(files);
  // A cache that cannot be written (a read-only --cache-dir) only costs the next build this read.
  await writeFileAtomic(cached, text, { mode: 0o644, overwrite: true }).catch(() => undefined);
  return { ...files, digest: sha256(text) };
}

/** The layer for these CAs on top of the image whose trust files were read. */
export function trustLayer(files: OsTrustFiles, cas: PoolEntry[]): SystemTrustLayer {
  return systemTrustLayer(files.family, treeOf(files.entries), cas);
}

/** The layer's entries as they go into the build context, under LAYER_DIR_IN_CONTEXT. */
export function layerContext(layer: SystemTrustLayer): ContextEntry[] {
  return [{ name: LAYER_DIR_IN_CONTEXT, type: 'directory', mode: 0o755 }, ...layer.entries.map((entry) => ({ ...entry, name: `${LAYER_DIR_IN_CONTEXT}${entry.path}` }))];
}

/**
 * An image's last layer: the trust files (none without a CA), then its labels in one sorted
 * LABEL line. (Labels passed through the API become one step each in random order, which would
 * defeat the layer cache.)
 */
export function finalContainerfile(preTrust: string, withTrust: boolean, labels: Record<string, string>): string {
  const lines = [`FROM ${preTrust}`];
  if (withTrust) lines.push(`COPY ${LAYER_DIR_IN_CONTEXT}/ /`);
  const pairs = Object.keys(labels)
    .sort()
    .map((key) => `${JSON.stringify(key)}=${JSON.stringify(labels[key])}`);
  if (pairs.length > 0) lines.push(`LABEL ${pairs.join(' \\\n      ')}`);
  return `${lines.join('\n')}\n`;
}

/** The label a final image carries: the key of its last layer (Containerfile and trust files). */
export const LABEL_LAST_LAYER_KEY = 'io.dh-podman.last-layer-sha256';

/** A digest of the last layer's Containerfile and every entry of its context. */
export function lastLayerKey(containerfile: string, entries: ContextEntry[]): string {
  const hash = createHash('sha256').update(containerfile).update('\0');
  for (const entry of entries) hash.update(JSON.stringify([entry.name, entry.type, entry.mode, entry.target ?? null, entry.content?.length ?? 0])).update(entry.content ?? '').update('\0');
  return hash.digest('hex');
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function toJson(files: Omit<OsTrustFiles, 'digest'>): string {
  return JSON.stringify({ family: files.family, entries: files.entries.map((entry) => ({ ...entry, content: entry.content?.toString('base64') })) });
}

function fromJson(text: string): Omit<OsTrustFiles, 'digest'> {
  const data = JSON.parse(text) as { family: OsFamily; entries: (Omit<TreeEntry, 'content'> & { content?: string })[] };
  return { family: data.family, entries: data.entries.map((entry) => ({ ...entry, content: entry.content === undefined ? undefined : Buffer.from(entry.content, 'base64') })) };
}

import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The label a pre-trust image carries: the key of everything its build was made from. */
export const LABEL_CONTEXT_KEY = 'io.dh-podman.context-sha256';

export interface ContextInputs {
  /** The Containerfile as sent (local FROMs already rewritten to image IDs). */
  containerfile: string;
  /** The image directory: every file under it, with its mode, whether or not ignored. */
  dir: string;
  /** The ID the base image tag named when the build started. */
  baseImageId: string;
  /** Keys of the content-addressed directories the context carries (wheelhouse, debhouse). */
  extras: string[];
}

/**
 * A digest of what an image's own build depends on. When the pre-trust image already carries
 * it, the build would only answer every step from the cache, so it is not asked: that skips
 * sending the context (for images/deephaven, 330 MB of wheels) on a rebuild that changes only
 * the CAs. Files the context leaves out (.containerignore) are hashed too: at worst a needless
 * rebuild, never a stale image. The wheels enter by their cache key, itself a digest of the
 * pinned requirements, so they are not read again.
 */
export async function contextKey(inputs: ContextInputs): Promise<string> {
  const hash = createHash('sha256');
  const add = (label: string, value: string | Buffer) => hash.update(`${label}\0${Buffer.byteLength(value)}\0`).update(value);
  add('containerfile', inputs.containerfile);
  add('base', inputs.baseImageId);
  for (const extra of inputs.extras) add('extra', extra);
  for (const path of await filesUnder(inputs.dir)) {
    const full = join(inputs.dir, path);
    add('file', `${path}\0${((await stat(full)).mode & 0o7777).toString(8)}`);
    add('content', await readFile(full));
  }
  return hash.digest('hex');
}

async function filesUnder(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(join(dir, prefix), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await filesUnder(dir, path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

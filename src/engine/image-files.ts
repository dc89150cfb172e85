import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import type { Containers } from './containers.js';

/** One file, directory or symlink of an image, by absolute path. */
export interface ImageFileEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  content?: Buffer;
  target?: string;
}

/**
 * Reads paths of an image without running it: a container is created (never started), `work`
 * copies paths out of it through the archive API (undefined for a path that does not exist; a
 * directory brings everything under it), and the container is removed.
 */
export async function withImageFiles<T>(containers: Containers, image: string, work: (read: (path: string) => Promise<ImageFileEntry[] | undefined>) => Promise<T>): Promise<T> {
  const name = `dh-podman-read-${randomBytes(4).toString('hex')}`;
  await containers.create({ name, image, env: {}, mounts: [], labels: { 'io.dh-podman.tool': 'dh-podman' }, command: ['/bin/true'], network: 'none' });
  try {
    return await work(async (path) => {
      const tar = await containers.archive(name, path);
      return tar ? untar(tar, posix.dirname(path)) : undefined;
    });
  } finally {
    await containers.removeIfPresent(name);
  }
}

async function untar(tar: Buffer, parent: string): Promise<ImageFileEntry[]> {
  const { default: tarStream } = await import('tar-stream');
  const extract = tarStream.extract();
  const entries: ImageFileEntry[] = [];
  extract.on('entry', (header, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (chunk: Buffer) => chunks.push(chunk));
    body.on('end', () => {
      const path = posix.join(parent, header.name);
      const mode = (header.mode ?? 0) & 0o7777;
      if (header.type === 'file') entries.push({ path, type: 'file', mode, content: Buffer.concat(chunks) });
      else if (header.type === 'directory') entries.push({ path: path.replace(/\/$/, ''), type: 'directory', mode });
      else if (header.type === 'symlink') entries.push({ path, type: 'symlink', mode, target: header.linkname ?? '' });
      next();
    });
    body.resume();
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    Readable.from([tar]).pipe(extract);
  });
  return entries;
}

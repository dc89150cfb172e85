import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Readable } from 'node:stream';


export interface ContextOptions {
  /** Extra files to put in the context (a generated Containerfile, a CA bundle), by path in the tar. */
  extraFiles?: Record<string, string | Buffer>;
}

/**
 * Tars a build context the way `podman build` would send it: `.containerignore` (or, as Podman
 * also accepts, `.dockerignore`) decides what is left out, so secrets and bulk stay on the host.
 */
export async function packContext(dir: string, options: ContextOptions = {}): Promise<Readable> {
  const { default: tarFs } = await import('tar-fs');
  const ignore = await readIgnoreFile(dir);
  const extras = options.extraFiles ?? {};
  const pack = tarFs.pack(dir, {
    ignore: (name: string) => {
      const path = relative(dir, name);
      return path !== '' && (ignore?.ignores(path) ?? false);
    },
    finalize: Object.keys(extras).length === 0,
    finish: (tar) => {
      for (const [name, content] of Object.entries(extras)) tar.entry({ name, mode: 0o644 }, content);
      if (Object.keys(extras).length > 0) tar.finalize();
    },
  });
  return pack as unknown as Readable;
}

async function readIgnoreFile(dir: string) {
  // CommonJS whose typings claim an ES default export; at run time the default is the factory.
  const dockerignore = (await import('@balena/dockerignore')).default as unknown as typeof import('@balena/dockerignore').default;
  for (const name of ['.containerignore', '.dockerignore']) {
    try {
      const text = await readFile(join(dir, name), 'utf8');
      return dockerignore({ ignorecase: false }).add(text);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return undefined;
}

/** A context made only of generated files (a Containerfile and what it copies). */
export async function packFiles(files: Record<string, string | Buffer>): Promise<Readable> {
  const { default: tarStream } = await import('tar-stream');
  const pack = tarStream.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: 0o644 }, content);
  pack.finalize();
  return pack as unknown as Readable;
}

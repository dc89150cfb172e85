import { createReadStream, lstatSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix, relative } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';


export interface ContextOptions {
  /** Extra files to put in the context (a generated Containerfile, a CA bundle), by path in the tar. */
  extraFiles?: Record<string, string | Buffer>;
  /**
   * Host directories to put in the context, by directory path in the tar (their regular files,
   * one level). Streamed from disk: they can be large (a wheelhouse is hundreds of MB).
   */
  extraDirs?: Record<string, string>;
}

/**
 * Tars a build context the way `podman build` would send it: `.containerignore` (or, as Podman
 * also accepts, `.dockerignore`) decides what is left out, so secrets and bulk stay on the host.
 */
export async function packContext(dir: string, options: ContextOptions = {}): Promise<Readable> {
  const { default: tarFs } = await import('tar-fs');
  const rules = await readIgnoreFile(dir);
  const extras = options.extraFiles ?? {};
  // Listed before the tar exists: a missing directory fails here, as this call's rejection. Once
  // streaming, tar-stream emits an error at once, and a consumer that has not attached yet (the
  // build awaits other things first) would leave it thrown into nowhere.
  const dirs = await listDirs(options.extraDirs ?? {});
  const appends = Object.keys(extras).length + dirs.length > 0;
  const pack = tarFs.pack(dir, {
    ignore: (name: string) => {
      const path = relative(dir, name);
      // A generated file replaces the one on disk; sending both would leave the engine two entries of one name.
      if (Object.hasOwn(extras, path) || dirs.some(({ name }) => path === name || path.startsWith(`${name}/`))) return true;
      // The engine needs the Containerfile, so (as docker build does) it is sent even when .containerignore names it.
      if (path === '' || path === CONTAINERFILE || !rules?.matcher.ignores(path)) return false;
      // As in Docker and Buildah, an ignored directory is still walked when a `!` pattern reaches into
      // it (`secrets` with `!secrets/public.txt`); each child is then checked on its own.
      return !(rules.exceptions.some((pattern) => `${pattern}/`.startsWith(`${path}/`)) && isDirectory(name));
    },
    finalize: !appends,
    finish: (tar) => {
      if (!appends) return;
      for (const [name, content] of Object.entries(extras)) tar.entry({ name, mode: 0o644 }, content);
      appendDirs(tar, dirs).then(
        () => tar.finalize(),
        (error: Error) => tar.destroy(error),
      );
    },
  });
  return pack as unknown as Readable;
}

const CONTAINERFILE = 'Containerfile';

type TarPack = { entry(header: { name: string; size?: number; mode?: number; type?: 'file' | 'directory' }, callback?: (error?: Error | null) => void): Writable };

/** Each extra directory's name in the context, where it is on the host, and its files (sorted). */
async function listDirs(dirs: Record<string, string>): Promise<{ name: string; dir: string; files: string[] }[]> {
  return Promise.all(
    Object.entries(dirs).map(async ([name, dir]) => ({
      name,
      dir,
      files: (await readdir(dir, { withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name).sort(),
    })),
  );
}

/** A tar takes one streamed entry at a time: each file is written whole before the next starts. */
async function appendDirs(tar: TarPack, dirs: { name: string; dir: string; files: string[] }[]): Promise<void> {
  for (const { name, dir, files } of dirs) {
    tar.entry({ name, type: 'directory', mode: 0o755 }).end();
    for (const file of files) {
      const path = join(dir, file);
      const { size } = await stat(path);
      await pipeline(createReadStream(path), tar.entry({ name: `${name}/${file}`, size, mode: 0o644 }));
    }
  }
}

async function readIgnoreFile(dir: string) {
  // CommonJS whose typings claim an ES default export; at run time the default is the factory.
  const dockerignore = (await import('@balena/dockerignore')).default as unknown as typeof import('@balena/dockerignore').default;
  for (const name of ['.containerignore', '.dockerignore']) {
    try {
      const text = await readFile(join(dir, name), 'utf8');
      return { matcher: dockerignore({ ignorecase: false }).add(text), exceptions: exceptionPatterns(text) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return undefined;
}

/** The `!` patterns, cleaned the way Docker cleans them before comparing them with paths. */
function exceptionPatterns(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith('!'))
    .map((line) => posix.normalize(line.slice(1).trim()).replace(/^\/+/, ''))
    .filter((pattern) => pattern !== '' && pattern !== '.');
}

function isDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A context made only of generated files (a Containerfile and what it copies). */
export async function packFiles(files: Record<string, string | Buffer>): Promise<Readable> {
  const { default: tarStream } = await import('tar-stream');
  const pack = tarStream.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: 0o644 }, content);
  pack.finalize();
  return pack as unknown as Readable;
}

/** One entry of a generated context: a file, a directory or a symlink, with its mode. */
export interface ContextEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  content?: Buffer | undefined;
  target?: string | undefined;
}

/**
 * A context of generated entries, links and directory modes kept: COPY puts them in the image
 * as they are here (a symlink stays a symlink).
 */
export async function packEntries(entries: ContextEntry[]): Promise<Readable> {
  const { default: tarStream } = await import('tar-stream');
  const pack = tarStream.pack();
  for (const entry of entries) {
    if (entry.type === 'symlink') pack.entry({ name: entry.name, type: 'symlink', linkname: entry.target ?? '', mode: entry.mode });
    else if (entry.type === 'directory') pack.entry({ name: entry.name, type: 'directory', mode: entry.mode });
    else pack.entry({ name: entry.name, mode: entry.mode }, entry.content ?? Buffer.alloc(0));
  }
  pack.finalize();
  return pack as unknown as Readable;
}

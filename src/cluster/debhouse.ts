import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathExists } from '../base/atomic-write.js';
import { inputError, runtimeError } from '../base/errors.js';

/**
 * Debian packages for images that install some beyond the OS image (images/etcd: the etcd
 * server). Builds have no network, so the host downloads the .deb files with its own apt (the
 * same Debian release and mirror the OS image was made from) into a cache keyed by what apt
 * would download, and the build context carries them; the image installs them with `dpkg -i`.
 * Dependencies are not resolved here: the file names every package the OS image lacks.
 */

/** An image directory holding this file (one Debian package name a line) asks for .debs in its context. */
export const PACKAGES_FILE = 'packages.txt';
/** Where the .deb files sit in the build context (the Containerfile bind-mounts it). */
export const DEBS_IN_CONTEXT = 'debs';

export interface Debhouse {
  dir: string;
  /** Digest of each package's name, version, architecture and SHA-256 as apt has them: the cache key. */
  key: string;
  debs: number;
  /** false when the cache already held it. */
  downloaded: boolean;
  seconds: number;
}

/** The package names of a packages.txt: one a line, `#` comments and blank lines ignored. */
export function parsePackagesFile(text: string, file: string): string[] {
  const names = text.split('\n').map((line) => line.replace(/#.*/, '').trim()).filter((line) => line !== '');
  for (const name of names) {
    // Debian policy 5.6.1: lower-case letters, digits, + - . ; at least two characters, starting alphanumeric.
    if (!/^[a-z0-9][a-z0-9+.-]+$/.test(name)) {
      throw inputError('PACKAGES_FILE_INVALID', `"${name}" is not a Debian package name`, { subject: file, fix: 'write one package name a line (e.g. etcd-server), nothing else' });
    }
  }
  return [...new Set(names)];
}

/**
 * The .debs of one packages file, from the cache or downloaded into it. The key comes from
 * `apt-cache show` of the candidate versions, so a Debian update of a package is a new
 * directory and an unchanged one never downloads twice. A debhouse appears under its key only
 * once complete (downloaded beside it, then renamed).
 */
export async function ensureDebhouse(packagesFile: string, cacheDir: string, onProgress: (line: string) => void = () => undefined): Promise<Debhouse> {
  const started = Date.now();
  const names = parsePackagesFile(await readFile(packagesFile, 'utf8'), packagesFile);
  const { $ } = await import('zx');
  const show = await $({ quiet: true, nothrow: true })`apt-cache show --no-all-versions ${names}`;
  if (show.exitCode !== 0) {
    throw runtimeError('DEBS_UNKNOWN', `apt-cache show failed: ${show.stderr.trim().split('\n').slice(-1)[0] ?? `exit ${show.exitCode}`}`, {
      subject: packagesFile,
      fix: 'name packages of the host\'s Debian release, and run "apt-get update" if its package lists are missing',
    });
  }
  const candidates = candidatesOf(show.stdout);
  const key = createHash('sha256').update(candidates.map((c) => `${c.name}=${c.version} ${c.arch} ${c.sha256}`).join('\n')).digest('hex').slice(0, 16);
  const dir = join(cacheDir, 'debhouse', key);
  if (await pathExists(dir)) return { dir, key, debs: await countDebs(dir), downloaded: false, seconds: (Date.now() - started) / 1000 };

  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  onProgress(`downloading ${candidates.map((c) => `${c.name} ${c.version}`).join(', ')} into ${dir}`);
  // apt-get download checks each file against the SHA-256 of the signed package lists.
  const run = await $({ quiet: true, nothrow: true, cwd: partial })`apt-get download ${candidates.map((c) => `${c.name}=${c.version}`)}`;
  if (run.exitCode !== 0) {
    await rm(partial, { recursive: true, force: true });
    const tail = run.stderr.trim().split('\n').filter((line) => line.trim() && !/unsandboxed/.test(line)).slice(-2).join(' | ');
    throw runtimeError('DEBS_DOWNLOAD_FAILED', `apt-get download failed: ${tail}`, {
      subject: packagesFile,
      fix: 'check that the Debian mirror in /etc/apt/sources.list(.d) is reachable',
    });
  }
  try {
    await rename(partial, dir);
  } catch (error) {
    // Another build finished the same debhouse first: its copy is as good as this one.
    await rm(partial, { recursive: true, force: true });
    if (!(await pathExists(dir))) throw error;
  }
  return { dir, key, debs: await countDebs(dir), downloaded: true, seconds: (Date.now() - started) / 1000 };
}

interface Candidate {
  name: string;
  version: string;
  arch: string;
  sha256: string;
}

/** The stanzas of `apt-cache show`, one per package. */
export function candidatesOf(text: string): Candidate[] {
  return text.split(/\n\s*\n/).flatMap((stanza) => {
    const field = (name: string) => new RegExp(`^${name}: (.+)$`, 'm').exec(stanza)?.[1]?.trim();
    const name = field('Package');
    const version = field('Version');
    if (!name || !version) return [];
    return [{ name, version, arch: field('Architecture') ?? '', sha256: field('SHA256') ?? '' }];
  });
}

async function countDebs(dir: string): Promise<number> {
  return (await readdir(dir)).filter((name) => name.endsWith('.deb')).length;
}

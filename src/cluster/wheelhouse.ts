import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathExists } from '../base/atomic-write.js';
import { runtimeError } from '../base/errors.js';

/**
 * Python wheels for images that install Python packages. Builds have no network, so the host
 * downloads them (`pip download --require-hashes` of the image's pinned requirements.txt) into
 * a cache keyed by content, and the build context carries them; the image installs them with
 * `--no-index`.
 */

/** An image directory holding this file asks for a wheelhouse in its build context. */
export const REQUIREMENTS_FILE = 'requirements.txt';
/** Where the wheels sit in the build context (the Containerfile bind-mounts or copies it). */
export const WHEELS_IN_CONTEXT = 'wheels';

/**
 * The Python of the images: Debian 12's CPython 3.11 on glibc 2.36. pip matches manylinux tags
 * literally when a platform is given, so every glibc the image can run (2.17 to 2.36) is listed.
 */
const IMAGE_PYTHON = { version: '3.11', abi: 'cp311', glibc: { major: 2, minMinor: 17, maxMinor: 36 } } as const;

export function imagePlatforms(arch: string = process.arch): string[] {
  const machine = arch === 'arm64' ? 'aarch64' : 'x86_64';
  const platforms: string[] = [];
  for (let minor = IMAGE_PYTHON.glibc.maxMinor; minor >= IMAGE_PYTHON.glibc.minMinor; minor--) platforms.push(`manylinux_${IMAGE_PYTHON.glibc.major}_${minor}_${machine}`);
  return [...platforms, `manylinux2014_${machine}`];
}

/** /var/cache/dh-podman as root; the XDG cache directory otherwise. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string {
  if (uid === 0) return '/var/cache/dh-podman';
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dh-podman');
}

export interface Wheelhouse {
  dir: string;
  /** Digest of the requirements and the target Python: the cache key. */
  key: string;
  wheels: number;
  /** false when the cache already held it. */
  downloaded: boolean;
  seconds: number;
}

/**
 * The wheels of one requirements file, from the cache or downloaded into it. A wheelhouse
 * appears under its key only once complete (downloaded beside it, then renamed), so an
 * interrupted download is never mistaken for a cached one.
 */
export async function ensureWheelhouse(
  requirementsFile: string,
  cacheDir: string,
  onProgress: (line: string) => void = () => undefined,
  onBytes: (count: number) => void = () => undefined,
): Promise<Wheelhouse> {
  const started = Date.now();
  const requirements = await readFile(requirementsFile);
  const pipArgs = [
    'download',
    '--disable-pip-version-check',
    '--no-input',
    '--require-hashes',
    '--only-binary=:all:',
    '--implementation', 'cp',
    '--python-version', IMAGE_PYTHON.version,
    '--abi', IMAGE_PYTHON.abi,
    ...imagePlatforms().flatMap((platform) => ['--platform', platform]),
  ];
  const key = createHash('sha256').update(requirements).update('\0').update(pipArgs.join(' ')).digest('hex').slice(0, 16);
  const dir = join(cacheDir, 'wheelhouse', key);
  if (await pathExists(dir)) return { dir, key, wheels: await countWheels(dir), downloaded: false, seconds: (Date.now() - started) / 1000 };

  const python = await pipPython(cacheDir, onProgress);
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(join(cacheDir, 'wheelhouse'), { recursive: true });
  onProgress(`downloading the wheels of ${requirementsFile} into ${dir}`);
  const { $ } = await import('zx');
  // PIP_* variables (an index mirror, a proxy) pass through: sites without PyPI point pip at theirs.
  // pip prints no byte counts when it is not on a terminal: what has arrived is measured instead.
  const watch = setInterval(() => void directoryBytes(partial).then(onBytes, () => undefined), 1000);
  const run = await $({ quiet: true, nothrow: true })`${python} -m pip ${pipArgs} -r ${requirementsFile} -d ${partial}`.finally(() => clearInterval(watch));
  if (run.exitCode === 0) onBytes(await directoryBytes(partial));
  if (run.exitCode !== 0) {
    await rm(partial, { recursive: true, force: true });
    const tail = run.stderr.trim().split('\n').filter((line) => line.trim()).slice(-3).join(' | ');
    throw runtimeError('WHEELS_DOWNLOAD_FAILED', `pip download failed: ${tail}`, {
      subject: requirementsFile,
      fix: 'check that PyPI (or the index in PIP_INDEX_URL) is reachable and that every package is pinned with its hash',
    });
  }
  try {
    await rename(partial, dir);
  } catch (error) {
    // Another build finished the same wheelhouse first: its copy is as good as this one.
    await rm(partial, { recursive: true, force: true });
    if (!(await pathExists(dir))) throw error;
  }
  return { dir, key, wheels: await countWheels(dir), downloaded: true, seconds: (Date.now() - started) / 1000 };
}

/**
 * A Python with pip: a venv in the cache made from the host's python3 (Debian's python3 has pip
 * only in a venv, through python3-venv). Made beside its place and renamed, so it is whole or
 * absent; bin/python finds its venv from where it is, so the rename is safe.
 */
async function pipPython(cacheDir: string, onProgress: (line: string) => void): Promise<string> {
  const venv = join(cacheDir, 'pip-venv');
  const python = join(venv, 'bin', 'python');
  if (await pathExists(python)) return python;
  const { $ } = await import('zx');
  await mkdir(cacheDir, { recursive: true });
  const partial = `${venv}.partial-${process.pid}`;
  onProgress(`making a Python venv for pip in ${venv}`);
  const run = await $({ quiet: true, nothrow: true })`python3 -m venv ${partial}`;
  if (run.exitCode !== 0) {
    await rm(partial, { recursive: true, force: true });
    throw runtimeError('PYTHON_MISSING', `"python3 -m venv" failed: ${run.stderr.trim().split('\n').slice(-1)[0] ?? `exit ${run.exitCode}`}`, {
      fix: 'install Python 3 with venv (Debian: apt-get install python3 python3-venv); images with a requirements.txt need it to download their wheels',
    });
  }
  try {
    await rename(partial, venv);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    if (!(await pathExists(python))) throw error;
  }
  return python;
}

/** The size of the regular files directly in dir (pip writes the wheels there, one level). */
async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(dir, entry.name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

async function countWheels(dir: string): Promise<number> {
  return (await readdir(dir)).filter((name) => name.endsWith('.whl')).length;
}

import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { runtimeError } from '../base/errors.js';
import type { Engine } from '../engine/engine.js';

export const DEFAULT_SUITE = 'bookworm';

/**
 * What goes into the OS image: CA tooling (update-ca-certificates, with Java's cacerts hook),
 * OpenSSL, a headless JDK 17 (the JRE the services run on plus javac, which image builds use to
 * compile Java services such as images/probe), and Python 3 with venv and its shared library,
 * which images/deephaven installs the Deephaven server into and whose JVM (through jpy) loads
 * (builds have no network, so no image can apt-get them). libpython3.11 is bookworm's Python.
 */
export const BASE_PACKAGES = ['ca-certificates', 'openjdk-17-jdk-headless', 'openssl', 'python3', 'python3-venv', 'libpython3.11'];

/** Raised whenever the same packages would give a different image (2: modes kept as debootstrap set them). */
const RECIPE = 2;

/**
 * The tag names the package list and the recipe (a digest of both): a machine holding an image
 * bootstrapped otherwise does not find this tag, so `base bootstrap` (and the test setup, and
 * `up`) make the new one instead of building on an OS that lacks a package or a fix.
 */
export const DEFAULT_BASE_IMAGE = `localhost/dh-podman/os:${DEFAULT_SUITE}-${createHash('sha256').update(`${RECIPE}\n${BASE_PACKAGES.join('\n')}`).digest('hex').slice(0, 8)}`;

export interface BootstrapOptions {
  suite: string;
  mirror?: string | undefined;
  tag: string;
  force: boolean;
  /** Called as each of its phases starts (BOOTSTRAP_PHASES: debootstrap, then the import). */
  onProgress?: (line: string) => void;
  /** Bytes so far: the packages debootstrap has downloaded, then the image sent to the engine. */
  onBytes?: (count: number) => void;
}

export const BOOTSTRAP_PHASES = 2;

export type BootstrapResult = { status: 'exists'; tag: string } | { status: 'created'; tag: string; imageId: string; seconds: number; mirror: string };

/**
 * Makes a base image with no registry: debootstrap a minimal Debian into a temporary directory
 * and import it through the API. Air-gapped sites and machines without registry access use
 * this; anyone with a registry can pass --base-image to `build` instead.
 */
export async function bootstrapBaseImage(engine: Engine, options: BootstrapOptions): Promise<BootstrapResult> {
  const progress = options.onProgress ?? (() => undefined);
  if (!options.force && (await engine.images.exists(options.tag))) return { status: 'exists', tag: options.tag };

  const { $ } = await import('zx');
  const debootstrap = await which('debootstrap');
  if (!debootstrap) {
    throw runtimeError('DEBOOTSTRAP_MISSING', 'debootstrap is not installed', {
      fix: 'install it (apt-get install debootstrap) or pass --base-image to build from an image you have',
    });
  }
  if (process.getuid?.() !== 0) {
    throw runtimeError('BOOTSTRAP_NEEDS_ROOT', 'debootstrap needs root', { fix: 'run base bootstrap as root (sudo), or pass --base-image to build' });
  }
  const mirror = options.mirror ?? (await detectMirror());
  const started = Date.now();
  const rootfs = await mkdtemp(join(tmpdir(), 'dh-podman-rootfs-'));
  try {
    progress(`debootstrap ${options.suite} from ${mirror} (${BASE_PACKAGES.join(', ')})`);
    const onBytes = options.onBytes ?? (() => undefined);
    // debootstrap prints no byte counts: the packages it has fetched so far are measured instead.
    const watch = setInterval(() => void downloadedBytes(rootfs).then(onBytes, () => undefined), 2000);
    const run = await $({ quiet: true, nothrow: true })`${debootstrap} --variant=minbase --include=${BASE_PACKAGES.join(',')} ${options.suite} ${rootfs} ${mirror}`.finally(() =>
      clearInterval(watch),
    );
    if (run.exitCode !== 0) {
      const tail = run.stdout.trim().split('\n').slice(-3).join(' | ');
      throw runtimeError('DEBOOTSTRAP_FAILED', `debootstrap exited with ${run.exitCode}: ${tail}`, {
        fix: 'check that --mirror is reachable and --suite exists',
      });
    }
    progress(`importing ${options.tag}`);
    // Device nodes under dev/ do not survive the import; every container gets its own /dev.
    const devEntries = join(rootfs, 'dev') + '/';
    const { default: tarFs } = await import('tar-fs');
    // umask 0: tar-fs otherwise masks every mode with this process's umask, and /tmp (1777) would
    // reach the image as 1755, unwritable for the service account. (tar-fs reads the option;
    // its typings lack it, hence the options object rather than a literal.)
    const packOptions = { umask: 0, ignore: (name: string) => name.startsWith(devEntries) };
    const tar = tarFs.pack(rootfs, packOptions);
    let sent = 0;
    const counted = tar.pipe(
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          sent += chunk.length;
          onBytes(sent);
          done(null, chunk);
        },
      }),
    );
    tar.on('error', (error: Error) => counted.destroy(error));
    const imageId = await engine.images.importRootfs(counted, options.tag);
    return { status: 'created', tag: options.tag, imageId, seconds: (Date.now() - started) / 1000, mirror };
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
}

/** The size of the .deb files debootstrap has fetched into the new root's apt cache. */
async function downloadedBytes(rootfs: string): Promise<number> {
  const archives = join(rootfs, 'var', 'cache', 'apt', 'archives');
  let total = 0;
  for (const name of (await readdir(archives)).filter((name) => name.endsWith('.deb'))) total += (await stat(join(archives, name)).catch(() => ({ size: 0 }))).size;
  return total;
}

/** The mirror this host's apt already uses: on a closed network it is the only one reachable. */
export async function detectMirror(): Promise<string> {
  const sources: [string, RegExp][] = [
    ['/etc/apt/sources.list.d/debian.sources', /^URIs:\s*(\S+)/m],
    ['/etc/apt/sources.list', /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/m],
  ];
  for (const [file, pattern] of sources) {
    try {
      const match = pattern.exec(await readFile(file, 'utf8'));
      if (match?.[1]) return match[1];
    } catch {
      // not this layout
    }
  }
  return 'http://deb.debian.org/debian';
}

async function which(command: string): Promise<string | undefined> {
  const { $ } = await import('zx');
  const result = await $({ quiet: true, nothrow: true })`command -v ${command}`;
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

import { createHash } from 'node:crypto';
import type { Test } from 'tap';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { acquireLock } from '../../src/cluster/lock.js';
import { ensureWheelhouse } from '../../src/cluster/wheelhouse.js';
import { repoRoot, runCli } from './cli.js';
import { BASE_IMAGE, podmanEnv } from './podman.js';
import { accepts, freePort } from './net.js';
import { makeCa, makeLeaf, makeVolume } from './openssl.js';
import { eventually, podman, removePodsAndNetwork } from './podman-cli.js';
import { tool, type ToolResult } from './tools.js';

/** The Deephaven image and where its wheels are cached for the tests (kept across runs). */
export const DEEPHAVEN_IMAGE = 'localhost/dh-podman/deephaven:latest';
export const REQUIREMENTS = join(repoRoot, 'images', 'deephaven', 'requirements.txt');
export const TEST_CACHE_DIR = join(repoRoot, '.test-work', 'cache');

/**
 * A host venv with pydeephaven, installed offline from the same wheelhouse `dh-podman build`
 * downloads for the image, so client and server are the very same release. Kept by the digest of
 * requirements.txt: a later run reuses it, a changed pin makes a new one. The wheels are CPython
 * 3.11 ones (the image's Python), so the host's python3 must be 3.11 too (Debian 12's is).
 * Test files run in parallel: one makes the venv (about 25 CPU-seconds: pip, then the bytecode
 * of pandas, numpy and pyarrow) while the others wait for it under a lock.
 */
export async function clientPython(): Promise<string> {
  const key = createHash('sha256').update(readFileSync(REQUIREMENTS)).digest('hex').slice(0, 16);
  const venv = join(repoRoot, '.test-work', `pydeephaven-${key}`);
  const python = join(venv, 'bin', 'python');
  if (existsSync(python)) return python;
  const release = await waitForLock(`${venv}.lock`, 'the pydeephaven venv', 900_000);
  try {
    if (!existsSync(python)) await makeClientVenv(venv);
  } finally {
    await release();
  }
  return python;
}

async function makeClientVenv(venv: string): Promise<void> {
  const version = await tool('python3', ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']);
  if (version.stdout.trim() !== '3.11') throw new Error(`python3 is ${version.stdout.trim() || 'missing'}; the wheels are for CPython 3.11 (apt-get install python3 python3-venv on Debian 12)`);
  const wheelhouse = await ensureWheelhouse(REQUIREMENTS, TEST_CACHE_DIR);
  const partial = `${venv}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  for (const [command, args] of [
    ['python3', ['-m', 'venv', partial]],
    [join(partial, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-index', '--find-links', wheelhouse.dir, 'pydeephaven']],
  ] as const) {
    const result = await tool(command, [...args], { timeoutMs: 600_000 });
    if (result.code !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
  // Whole or absent: bin/python finds its venv from where it is, so the rename is safe.
  renameSync(partial, venv);
}

/** acquireLock, tried again every second while another process holds the lock. */
async function waitForLock(path: string, what: string, timeoutMs: number): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await acquireLock(path, what);
    } catch (error) {
      if ((error as { code?: string }).code !== 'LOCKED' || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/**
 * test/python/query.py: empty_table(5) over TLS, trusting only caFile, verifying `name`; with
 * `client`, presenting that certificate and key (mutual TLS).
 */
export function query(python: string, port: number, caFile: string, name: string, client?: { cert: string; key: string }): Promise<ToolResult> {
  const clientArgs = client ? [client.cert, client.key] : [];
  return tool(python, [join(repoRoot, 'test', 'python', 'query.py'), '127.0.0.1', String(port), caFile, name, ...clientArgs], { timeoutMs: 60_000 });
}

/**
 * The first query that succeeds, while the server's JVM starts (up to 5 minutes), or undefined.
 * Until the port accepts connections only a TCP connect is tried: each query starts a Python
 * client that costs about a second of CPU, which a starting JVM on a small host needs more.
 */
export async function firstQuery(...args: Parameters<typeof query>): Promise<ToolResult | undefined> {
  const started = Date.now();
  const [, port] = args;
  await eventually(async () => ((await accepts(port)) ? true : undefined), 300_000);
  return eventually(async () => {
    const result = await query(...args);
    if (result.code === 0) return result;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    return undefined;
  }, Math.max(60_000, 300_000 - (Date.now() - started)));
}

/** Builds images/deephaven unless an image of that tag exists (once per machine: minutes cold). */
export async function ensureDeephavenImage(t: Test): Promise<void> {
  if ((await podman(['image', 'exists', DEEPHAVEN_IMAGE], true)).code === 0) return;
  const started = Date.now();
  const build = await runCli(['build', '--only', 'deephaven', '--base-image', BASE_IMAGE, '--cache-dir', TEST_CACHE_DIR], { env: podmanEnv });
  t.equal(build.code, 0, `build: ${build.stderr.split('\n').slice(-5).join(' ')}`);
  t.comment(`built ${DEEPHAVEN_IMAGE} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * One Deephaven machine for an end-to-end file: a CA, another CA, the machine's certificate
 * (serverAuth and clientAuth: the server presents it, and so does a mutual-TLS client, as
 * Deephaven services do between themselves), its TLS volume, a free port, `start` with extra
 * flags, and `ready`: the server's first answer to a client (its log shown when none came).
 */
export async function deephavenMachine(t: Test, options: { host: string; pod: string; network: string; keyFile?: (leafKey: string, dir: string) => string }) {
  const { host, pod, network } = options;
  const dir = t.testdir();
  t.teardown(async () => {
    await removePodsAndNetwork(network, pod);
  });
  await ensureDeephavenImage(t);
  const python = await clientPython();
  const ca = makeCa(dir, 'ca', '/CN=dh-podman deephaven test CA');
  const other = makeCa(dir, 'other', '/CN=dh-podman other CA');
  const leaf = makeLeaf(dir, host, ca, [host]);
  const volume = makeVolume(dir, 'tls', { cert: leaf.cert, key: options.keyFile ? options.keyFile(leaf.key, dir) : leaf.key });
  const stateDir = join(dir, 'state');
  const port = await freePort();
  const start = (...extra: string[]) =>
    runCli(['start', '--json', '-h', host, '--tls-volume', volume, '--ca-cert-file', ca.cert, '--image', DEEPHAVEN_IMAGE, '--name', pod, '--network', network,
      '--publish', `127.0.0.1:${port}:8123`, '--state-dir', stateDir, ...extra], { env: podmanEnv });
  const ready = async (client?: { cert: string; key: string }) => {
    const first = await firstQuery(python, port, ca.cert, host, client);
    if (!first) t.comment((await podman(['logs', '--tail', '40', `${pod}-svc`], true)).stderr);
    return first;
  };
  return { dir, python, ca, other, leaf, volume, stateDir, port, start, ready };
}

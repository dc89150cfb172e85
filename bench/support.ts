import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { secretPrefix } from '../src/cluster/secret-delivery.js';
import { issueLeaf, type Issued } from '../src/pki/issue.js';

/** Helpers the benchmark modules share; bench/run.ts skips this file (it has no run). */

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The engine's socket URL: CONTAINER_HOST when set, else the same private Podman service the
 * tests use (started if needed), so a benchmark runs on a fresh machine too.
 */
export function engineUrl(): string {
  if (!process.env.CONTAINER_HOST) {
    const socket = execFileSync('bash', ['scripts/podman-env.sh', 'start'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    process.env.CONTAINER_HOST = `unix://${socket}`;
    process.env.CONTAINERS_CONF = join(repoRoot, '.test-work/podman/containers.conf');
  }
  return process.env.CONTAINER_HOST;
}

/**
 * Put before every pod, network and cluster name a benchmark makes, so runs on a shared engine
 * (several checkouts, one Podman storage) never touch each other's objects.
 */
export const benchPrefix = process.env.DH_PODMAN_BENCH_PREFIX ?? '';

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The podman CLI against the benchmark's engine, output discarded: the baseline's own client. */
export function podmanCli(url: string): (...args: string[]) => void {
  return (...args) => {
    execFileSync('podman', ['--url', url, ...args], { stdio: 'ignore' });
  };
}

/**
 * Removes a pod dh-podman started, and its Podman secrets, as `down` would: left behind, the
 * secrets pile up across runs (each secret create then takes longer), and the next start of a pod
 * of that name would remove them as its predecessor's, work a script never does.
 */
export function removePodAndSecrets(url: string, pod: string): void {
  try {
    podmanCli(url)('pod', 'rm', '-f', pod);
  } catch {
    // already gone
  }
  const names = execFileSync('podman', ['--url', url, 'secret', 'ls', '--format', '{{.Name}}'], { encoding: 'utf8' }).split('\n');
  const leftover = names.filter((name) => name.startsWith(secretPrefix(pod)));
  if (leftover.length > 0) podmanCli(url)('secret', 'rm', ...leftover);
}

/**
 * Removes the images a benchmark tagged under `prefix`: `podman rmi` of each of its names, which
 * deletes an image with its last name, and the untagged build parents only it used. Untagged
 * alone, every run left its images behind, unnamed, and an image inspect slows down with each
 * image the store holds. An image still in use keeps its other names and only loses ours.
 */
export function removeImagesTagged(url: string, prefix: string): void {
  const tags = execFileSync('podman', ['--url', url, 'images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${prefix}*`], { encoding: 'utf8' });
  // The filter also lists other names of the same image IDs (cached layers are shared): ours only.
  for (const tag of tags.split('\n').filter((tag) => tag.startsWith(prefix))) {
    try {
      podmanCli(url)('rmi', tag);
    } catch {
      // Named twice: with the image alone, podman untag removes every name the image has.
      podmanCli(url)('untag', tag, tag);
    }
  }
}

/** Whether the image a benchmark runs exists; says how to make it when not. */
export function imageExists(url: string, image: string, log: (line: string) => void): boolean {
  try {
    podmanCli(url)('image', 'exists', image);
    return true;
  } catch {
    log(`skipped: ${image} does not exist (run "dh-podman build" first)`);
    return false;
  }
}

/** This environment without NODE_EXTRA_CA_CERTS: how scripts/dh-podman starts Node (see there). */
export function withoutExtraCaCerts(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** The command an operator runs (package.json "bin"): a launcher that starts Node on the compiled CLI. */
export const launcher = join(repoRoot, 'scripts/dh-podman');

/** dh-podman as an operator runs it: a fresh process of the compiled CLI. */
export function dhPodman(...args: string[]): void {
  execFileSync(launcher, args, { stdio: 'ignore' });
}

/** dh-podman as a fresh process that may fail: its exit status and output, never a throw. */
export function dhPodmanRun(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 180_000, onSpawn: (child: ChildProcess) => void = () => undefined): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(launcher, args, { env: { ...process.env, NO_COLOR: '1', ...env }, timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : error.signal ? 128 : 1) : 0, stdout, stderr });
    });
    onSpawn(child);
  });
}

/** One pod of a benchmark cluster: its TLS volume and the host port it publishes. */
export interface BenchPod {
  name: string;
  hostname: string;
  volume: string;
  port: number;
}

/** A fresh leaf for the pod's hostname from `ca`, written into its TLS volume. */
export async function writeLeaf(ca: Issued, pod: BenchPod): Promise<void> {
  const leaf = await issueLeaf({ certificateDer: ca.certificateDer, privateKey: ca.privateKey, label: 'bench CA' }, { hostnames: [pod.hostname], ips: [], client: true });
  writeFileSync(join(pod.volume, 'tls.crt'), leaf.certificatePem);
  writeFileSync(join(pod.volume, 'tls.key'), leaf.privateKeyPem, { mode: 0o600 });
}

/** Three pods named PREFIX-1…3 (hostnames mN.PREFIX.bench.test), each with a fresh leaf and a free port. */
export async function makePods(dir: string, prefix: string, ca: Issued): Promise<BenchPod[]> {
  const pods: BenchPod[] = [];
  for (const n of [1, 2, 3]) {
    const pod = { name: `${prefix}-${n}`, hostname: `m${n}.${prefix}.bench.test`, volume: join(dir, `${prefix}-${n}-tls`), port: await freePort() };
    mkdirSync(pod.volume, { recursive: true });
    await writeLeaf(ca, pod);
    pods.push(pod);
  }
  return pods;
}

/** A cluster file for pods with existing TLS volumes, each publishing its port. */
export function clusterFile(cluster: string, stateDir: string, caCertFile: string, pods: BenchPod[], image?: string): string {
  return [
    `cluster: ${cluster}`,
    `stateDir: ${stateDir}`,
    `trust: { caCertFile: ${caCertFile} }`,
    'pods:',
    ...pods.map(
      (pod) =>
        `  - { name: ${pod.name}, hostname: ${pod.hostname},${image ? ` image: ${image},` : ''} publish: [${pod.port}], certificate: { mode: existing, tlsVolume: ${pod.volume} } }`,
    ),
    '',
  ].join('\n');
}

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { secretPrefix } from '../../src/cluster/secret-delivery.js';
import type { Test } from 'tap';
import { runCli, type CliResult } from './cli.js';
import { BASE_IMAGE, podmanEnv, podmanSocket } from './podman.js';

const run = promisify(execFile);

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The podman CLI against the test service: the real client for checking what dh-podman did.
 * Podman's remote `exec` now and then exits 0 having lost the command's output (a known flake of
 * podman-remote, containers/podman#21741 and #25855; seen here under load): an exec that answered
 * nothing at all is asked again. Every exec of the tests only reads, or repeats harmlessly.
 */
export async function podman(args: string[], allowFail = false): Promise<Result> {
  let result = await podmanOnce(args, allowFail);
  for (let retry = 0; retry < 2 && args[0] === 'exec' && result.code === 0 && result.stdout === '' && result.stderr === ''; retry++) {
    result = await podmanOnce(args, allowFail);
  }
  return result;
}

async function podmanOnce(args: string[], allowFail: boolean): Promise<Result> {
  try {
    const { stdout, stderr } = await run('podman', ['--url', `unix://${podmanSocket}`, ...args], { env: { ...process.env, ...podmanEnv }, maxBuffer: 32 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    if (!allowFail) throw error;
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** curl from the host, with hostname verification, resolving `host` to loopback. */
export async function curlHttps(url: string, caFile: string, host: string, port: number): Promise<Result> {
  try {
    const { stdout, stderr } = await run('curl', ['-sS', '--max-time', '20', '--cacert', caFile, '--resolve', `${host}:${port}:127.0.0.1`, url]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Polls until `probe` passes: services take a JVM start to answer. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return undefined;
}

/**
 * Takes the test's names off its images, and the images with them when no other name or
 * container holds them: left behind, hundreds of unnamed images make every image inspect slow.
 * `podman rmi NAME` removes just that name from an image with others; an image still in use
 * refuses, and then only the name goes (`podman untag IMAGE` alone would remove every name of the
 * image, shared base layers' names included; NAME NAME removes just that one).
 */
export async function untagPrefix(prefix: string): Promise<void> {
  const images = await podman(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${prefix}*`], true);
  for (const image of images.stdout.split('\n').filter((image) => image.startsWith(prefix))) {
    if ((await podman(['rmi', image], true)).code !== 0) await podman(['untag', image, image], true);
  }
}

/** Removes a cluster's pods and network by label, not through its file: t.testdir() may be gone. */
export async function removeClusterPods(cluster: string): Promise<void> {
  const left = await podman(['pod', 'ps', '--format', '{{.Name}}', '--filter', `label=io.dh-podman.cluster=${cluster}`], true);
  await removePodsAndNetwork(`dh-${cluster}`, ...left.stdout.split('\n').filter(Boolean));
}

/** A test's pods (with their secrets, as removePods), then the network they were on. */
export async function removePodsAndNetwork(network: string, ...pods: string[]): Promise<void> {
  await removePods(...pods);
  await podman(['network', 'rm', '-f', network], true);
}

/**
 * Pods a test made, removed with the keystores and passphrases dh-podman keeps for them as
 * Podman secrets named after the pod (`podman pod rm` leaves those, and `down` is not always
 * what a test ends with). Pods already gone are no error.
 */
export async function removePods(...pods: string[]): Promise<void> {
  for (const pod of pods) await podman(['pod', 'rm', '-f', pod], true);
  const secrets = (await podman(['secret', 'ls', '--format', '{{.Name}}'], true)).stdout.split('\n');
  for (const secret of secrets.filter((name) => pods.some((pod) => name.startsWith(secretPrefix(pod))))) await podman(['secret', 'rm', secret], true);
}

/**
 * The images a cluster test runs, built under its own tag prefix from images/ (`build` args, e.g.
 * `--only probe`), with the cluster's pods and the tags removed when the test ends.
 */
export async function buildClusterImages(t: Test, cluster: string, prefix: string, args: string[], env: NodeJS.ProcessEnv = podmanEnv): Promise<CliResult> {
  t.teardown(async () => {
    await removeClusterPods(cluster);
    await untagPrefix(prefix);
  });
  return runCli(['build', '--tag-prefix', prefix, '--base-image', BASE_IMAGE, ...args], { env });
}

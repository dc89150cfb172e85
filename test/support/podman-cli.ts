import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { podmanEnv, podmanSocket } from './podman.js';

const run = promisify(execFile);

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The podman CLI against the test service: the real client for checking what dh-podman did. */
export async function podman(args: string[], allowFail = false): Promise<Result> {
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

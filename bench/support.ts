import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** dh-podman as an operator runs it: a fresh process of the compiled CLI. */
export function dhPodman(...args: string[]): void {
  execFileSync(process.execPath, [join(repoRoot, 'dist/src/cli/main.js'), ...args], { stdio: 'ignore' });
}

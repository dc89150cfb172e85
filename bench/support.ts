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

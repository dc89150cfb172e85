import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { DEFAULT_BASE_IMAGE } from '../../src/cluster/base-image.js';
import { repoRoot } from './cli.js';

export const podmanDir = join(repoRoot, '.test-work', 'podman');
/** Where scripts/podman-env.sh puts the socket: in podmanDir, or a short path for a deep checkout. */
export const podmanSocket = execFileSync('bash', ['scripts/podman-env.sh', 'socket'], { cwd: repoRoot, encoding: 'utf8' }).trim();
export const setupErrorFile = join(podmanDir, 'setup-error.txt');
/** The OS image the test setup bootstraps once per machine: the one `base bootstrap` makes by default. */
export const BASE_IMAGE = DEFAULT_BASE_IMAGE;
/**
 * `build` arguments for the images the probe tests run: images/deephaven (minutes, 330 MB of
 * wheels) has its own test, test/e2e/deephaven.test.ts, and its own cached tag.
 */
export const PROBE_AND_FRONT = ['--only', 'probe', '--only', 'front'];

/** What a CLI run needs to reach the test service (and the project's containers.conf). */
export const podmanEnv = {
  CONTAINER_HOST: `unix://${podmanSocket}`,
  CONTAINERS_CONF: join(podmanDir, 'containers.conf'),
};

interface TestLike {
  fail(message: string): void;
}

/**
 * End-to-end tests start with this. A missing engine is a failure, never a skip, wherever the
 * tests run: a green run must mean the end-to-end tests ran. The reason is the setup's own
 * (test/setup/podman.ts) or why the test service does not answer.
 */
export async function requirePodman(t: TestLike): Promise<boolean> {
  const reason = existsSync(setupErrorFile) ? readFileSync(setupErrorFile, 'utf8').trim() : await pingReason();
  if (!reason) return true;
  t.fail(`Podman is not available for end-to-end tests: ${reason}`);
  return false;
}

function pingReason(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ socketPath: podmanSocket, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? undefined : `the test service answered HTTP ${res.statusCode}`);
    });
    req.on('error', (error) => resolve(`no service on ${podmanSocket} (${error.message})`));
    req.on('timeout', () => {
      req.destroy();
      resolve(`no answer on ${podmanSocket}`);
    });
    req.end();
  });
}

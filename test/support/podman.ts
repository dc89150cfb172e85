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
/** Written by the image setup (test/setup/images.ts) once every image is built. */
export const setupDoneFile = join(podmanDir, 'setup-done.txt');
/** The image setup's process, while it runs in the background. */
export const setupPidFile = join(podmanDir, 'setup.pid');
/** On a fresh machine the images take minutes (debootstrap, 330 MB of wheels, the Deephaven image). */
const SETUP_WAIT_MINUTES = 30;
/** The OS image the test setup bootstraps once per machine: the one `base bootstrap` makes by default. */
export const BASE_IMAGE = DEFAULT_BASE_IMAGE;
/**
 * `build` arguments for the images the probe tests run: images/deephaven (minutes, 330 MB of
 * wheels) has its own test, test/with-podman/deephaven.test.ts, and its own cached tag.
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
  const reason = (await imageSetupFailure()) ?? (await pingReason());
  if (!reason) return true;
  t.fail(`Podman is not available for end-to-end tests: ${reason}`);
  return false;
}

/**
 * Waits for the images the setup builds in the background: its failure, or undefined once they
 * are all there. A setup that is gone without a word (killed) is a failure too.
 */
async function imageSetupFailure(): Promise<string | undefined> {
  // A file run without tap's before-script has no setup to wait for: the service answers or not.
  if (!existsSync(setupPidFile)) return existsSync(setupErrorFile) ? readFileSync(setupErrorFile, 'utf8').trim() : undefined;
  const deadline = Date.now() + SETUP_WAIT_MINUTES * 60 * 1000;
  for (;;) {
    if (existsSync(setupErrorFile)) return readFileSync(setupErrorFile, 'utf8').trim();
    if (existsSync(setupDoneFile)) return undefined;
    if (!setupRunning()) return existsSync(setupDoneFile) ? undefined : 'the image setup (test/setup/images.ts) ended without saying how';
    if (Date.now() > deadline) return `the images were not ready after ${SETUP_WAIT_MINUTES} minutes`;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function setupRunning(): boolean {
  try {
    process.kill(Number(readFileSync(setupPidFile, 'utf8').trim()), 0);
    return true;
  } catch {
    return false;
  }
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

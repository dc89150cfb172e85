// The images of a test run, built in the background while the first test files run
// (test/setup/podman.ts starts it; requirePodman waits for its result).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { launcherPath, repoRoot, withoutTapLoader } from '../support/cli.js';
import { ensureWheelhouse } from '../../src/cluster/wheelhouse.js';
import { clientPython, REQUIREMENTS, TEST_CACHE_DIR } from '../support/deephaven.js';
import { podmanEnv, setupDoneFile, setupErrorFile, BASE_IMAGE } from '../support/podman.js';

const started = Date.now();
// How long each step took, on stderr: on a fresh machine the set-up is part of the suite's time.
const took = (step: string) => process.stderr.write(`test setup: ${step} after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
/** The CLI, its progress on this process's stderr; rejects with how it ended unless it exited 0. */
const cli = (args: string[], minutes: number) =>
  new Promise<void>((resolve, reject) => {
    const [file, argv] = withoutTapLoader(launcherPath, args);
    const child = spawn(file, argv, { cwd: repoRoot, env: { ...process.env, ...podmanEnv }, stdio: ['ignore', 'ignore', 'inherit'], timeout: minutes * 60 * 1000 });
    child.on('error', reject);
    child.on('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`dh-podman ${args.slice(0, 2).join(' ')} ended with ${signal ?? `exit ${code}`}`))));
  });

try {
  // The Deephaven wheels (330 MB) and the tests' pydeephaven venv need no image: they are fetched
  // and made while debootstrap runs, not after it, where every end-to-end file would wait for them.
  // The build waits for the wheels, which it would otherwise fetch a second time alongside.
  const wheels = ensureWheelhouse(REQUIREMENTS, TEST_CACHE_DIR);
  const client = wheels.then(() => clientPython()).then(() => took('pydeephaven venv'));
  // Awaited below; until then a failure must not end this process as an unhandled rejection.
  client.catch(() => undefined);
  await cli(['base', 'bootstrap', '--tag', BASE_IMAGE], 15);
  took('base image');
  await wheels;
  await cli(['build', '--quiet', '--base-image', BASE_IMAGE, '--cache-dir', TEST_CACHE_DIR], 20);
  took('images');
  await client;
  writeFileSync(setupDoneFile, `${new Date().toISOString()}\n`);
} catch (error) {
  writeFileSync(setupErrorFile, `${(error as Error).message.split('\n')[0]}\n`);
  process.stderr.write(`\n*** end-to-end setup failed: ${(error as Error).message.split('\n')[0]}\n\n`);
}

// The images of a test run, built in the background while the first test files run
// (test/setup/podman.ts starts it; requirePodman waits for its result).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { launcherPath, repoRoot, withoutTapLoader } from '../support/cli.js';
import { TEST_CACHE_DIR } from '../support/deephaven.js';
import { podmanEnv, setupDoneFile, setupErrorFile, BASE_IMAGE } from '../support/podman.js';

let stepStarted = Date.now();
// How long each step took, on stderr: on a fresh machine the set-up is part of the suite's time.
const took = (step: string) => {
  process.stderr.write(`test setup: ${step} in ${((Date.now() - stepStarted) / 1000).toFixed(1)} s\n`);
  stepStarted = Date.now();
};
const cli = (args: string[], minutes: number) =>
  execFileSync(...withoutTapLoader(launcherPath, args), { cwd: repoRoot, env: { ...process.env, ...podmanEnv }, stdio: ['ignore', 'ignore', 'inherit'], timeout: minutes * 60 * 1000 });

try {
  cli(['base', 'bootstrap', '--tag', BASE_IMAGE], 15);
  took('base image');
  cli(['build', '--quiet', '--base-image', BASE_IMAGE, '--cache-dir', TEST_CACHE_DIR], 20);
  took('images');
  writeFileSync(setupDoneFile, `${new Date().toISOString()}\n`);
} catch (error) {
  writeFileSync(setupErrorFile, `${(error as Error).message.split('\n')[0]}\n`);
  process.stderr.write(`\n*** end-to-end setup failed: ${(error as Error).message.split('\n')[0]}\n\n`);
}

import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cliPath, repoRoot } from '../support/cli.js';
import { TEST_CACHE_DIR } from '../support/deephaven.js';
import { podmanEnv, setupErrorFile, podmanDir, BASE_IMAGE } from '../support/podman.js';

/**
 * Before any test file runs: one Podman API service for the whole run (scripts/podman-env.sh,
 * which installs Podman when missing and it runs as root), the base image, built once per
 * machine and found again by tag, and every image of images/ under its default tag (the layer
 * cache makes that seconds after the first run; cold, the Deephaven image takes minutes). Test
 * files run in parallel, so nothing they share is built by one of them on the others' behalf.
 * A failure is written down, not thrown: each end-to-end test then fails with that reason.
 */
/**
 * Every JVM in a test container (the Deephaven servers, the probe) compiles with C1 alone: a
 * Deephaven start then costs about a quarter less CPU, and the suite is CPU-bound on small hosts.
 * TLS, trust and every answer the tests check are the same; only peak throughput would differ.
 * Products get the JVM's defaults: the service of scripts/up.sh is started without this.
 */
const TEST_JVM_OPTIONS = 'JAVA_TOOL_OPTIONS=-XX:TieredStopAtLevel=1';

export function setUpPodman(): void {
  mkdirSync(podmanDir, { recursive: true });
  rmSync(setupErrorFile, { force: true });
  // How long each step took, on stderr: on a fresh machine the set-up is part of the suite's time.
  let stepStarted = Date.now();
  const took = (step: string) => {
    process.stderr.write(`test setup: ${step} in ${((Date.now() - stepStarted) / 1000).toFixed(1)} s\n`);
    stepStarted = Date.now();
  };
  try {
    execFileSync('bash', ['scripts/podman-env.sh', 'start'], { cwd: repoRoot, env: { ...process.env, DH_PODMAN_CONTAINER_ENV: TEST_JVM_OPTIONS }, stdio: ['ignore', 'ignore', 'inherit'] });
    took('Podman service');
    execFileSync(process.execPath, [cliPath, 'base', 'bootstrap', '--tag', BASE_IMAGE], {
      cwd: repoRoot,
      env: { ...process.env, ...podmanEnv },
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 15 * 60 * 1000,
    });
    took('base image');
    execFileSync(process.execPath, [cliPath, 'build', '--quiet', '--base-image', BASE_IMAGE, '--cache-dir', TEST_CACHE_DIR], {
      cwd: repoRoot,
      env: { ...process.env, ...podmanEnv },
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 20 * 60 * 1000,
    });
    took('images');
  } catch (error) {
    writeFileSync(setupErrorFile, `${(error as Error).message.split('\n')[0]}\n`);
    process.stderr.write(`\n*** end-to-end setup failed: ${(error as Error).message.split('\n')[0]}\n\n`);
  }
}

export function tearDownPodman(): void {
  execFileSync('bash', ['scripts/podman-env.sh', 'stop'], { cwd: repoRoot, stdio: 'inherit' });
}

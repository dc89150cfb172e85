import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/cli.js';
import { podmanDir, setupDoneFile, setupErrorFile, setupPidFile } from '../support/podman.js';

/**
 * Before any test file runs: one Podman API service for the whole run (scripts/podman-env.sh,
 * which installs Podman when missing and it runs as root), then the images, in the background
 * (test/setup/images.ts): the base image, built once per machine and found again by tag, and
 * every image of images/ under its default tag. On a fresh machine the images take minutes
 * (debootstrap, 330 MB of wheels); the test files that need no engine run meanwhile, and those
 * that do wait for them (requirePodman). A failure is written down, not thrown: each
 * end-to-end test then fails with that reason.
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
  for (const file of [setupErrorFile, setupDoneFile, setupPidFile]) rmSync(file, { force: true });
  const started = Date.now();
  try {
    execFileSync('bash', ['scripts/podman-env.sh', 'start'], { cwd: repoRoot, env: { ...process.env, DH_PODMAN_CONTAINER_ENV: TEST_JVM_OPTIONS }, stdio: ['ignore', 'ignore', 'inherit'] });
    process.stderr.write(`test setup: Podman service in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } catch (error) {
    writeFileSync(setupErrorFile, `${(error as Error).message.split('\n')[0]}\n`);
    process.stderr.write(`\n*** end-to-end setup failed: ${(error as Error).message.split('\n')[0]}\n\n`);
    return;
  }
  // Its own process group, so that the after-script can stop it with everything it started.
  const images = spawn(process.execPath, [join(repoRoot, 'dist/test/setup/images.js')], { cwd: repoRoot, detached: true, stdio: ['ignore', 'ignore', 'inherit'] });
  writeFileSync(setupPidFile, `${images.pid}\n`);
  images.unref();
  aheadOfTheTests(images.pid);
  aheadOfTheTests(servicePid());
}

/** The engine service scripts/podman-env.sh started (it writes its pid beside the socket). */
function servicePid(): number | undefined {
  try {
    return Number(readFileSync(join(podmanDir, 'service.pid'), 'utf8').trim());
  } catch {
    return undefined;
  }
}

/**
 * On a fresh machine the images are the run's critical path: every end-to-end file waits for
 * them (debootstrap, then the builds, which the engine service runs), while the files that need
 * no engine can use whatever CPU is left. So the setup and the service (and the containers it
 * starts) get a little more of the CPU than the test files. Only root may raise a priority;
 * elsewhere they run as they are.
 */
function aheadOfTheTests(pid: number | undefined): void {
  try {
    if (pid) setPriority(pid, -5);
  } catch {
    // not root, or the process has already ended
  }
}

export function tearDownPodman(): void {
  stopImageSetup();
  execFileSync('bash', ['scripts/podman-env.sh', 'stop'], { cwd: repoRoot, stdio: 'inherit' });
}

/** A run whose tests all ended before the images did (a failed build of the code, say) stops it. */
function stopImageSetup(): void {
  try {
    const pid = Number(readFileSync(setupPidFile, 'utf8').trim());
    if (pid > 0) process.kill(-pid, 'SIGTERM');
  } catch {
    // no setup process, or it has ended
  }
}

import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { cliPath, repoRoot, type CliResult } from './cli.js';
import { podmanEnv } from './podman.js';

/**
 * A rootless Podman for the tests: scripts/rootless-env.sh (run as root) makes its user, gives
 * the host what rootless Podman needs, starts the user's API service and copies images into the
 * user's storage. Everything else runs as that user, with the environment a login gives it.
 */

export interface RootlessUser {
  name: string;
  uid: number;
  home: string;
  runtimeDir: string;
  socket: string;
}

/** Sets the user's Podman up with `images` in its storage; throws the script's own reason. */
export function setUpRootless(images: string[]): RootlessUser {
  let socket: string;
  try {
    socket = execFileSync('bash', ['scripts/rootless-env.sh', 'start', ...images], {
      cwd: repoRoot, encoding: 'utf8', env: { ...process.env, ...podmanEnv }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000,
    }).trim();
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim().split('\n').filter((line) => line.startsWith('rootless-env:'));
    throw new Error(stderr.join(' ') || (error as Error).message);
  }
  const name = execFileSync('bash', ['scripts/rootless-env.sh', 'user'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const home = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).split(':')[5]!;
  return { name, uid, home, runtimeDir: `/run/user/${uid}`, socket };
}

/** A command as the user, with HOME and XDG_RUNTIME_DIR as a login sets them and nothing else. */
export function asUser(user: RootlessUser, command: string, args: string[], options: { cwd?: string } = {}): Promise<CliResult> {
  const env = ['env', '-i', `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`, `HOME=${user.home}`, `XDG_RUNTIME_DIR=${user.runtimeDir}`, 'NO_COLOR=1'];
  return new Promise((resolve) => {
    execFile('runuser', ['-u', user.name, '--', ...env, command, ...args], { cwd: options.cwd ?? user.home, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** The CLI as the user: no CONTAINER_HOST, so it finds the rootless socket itself. */
export function cliAsUser(user: RootlessUser, args: string[]): Promise<CliResult> {
  return asUser(user, process.execPath, [cliPath, ...args]);
}

/** The podman CLI as the user, against the user's service. */
export function podmanAsUser(user: RootlessUser, args: string[]): Promise<CliResult> {
  return asUser(user, 'podman', ['--url', `unix://${user.socket}`, ...args]);
}

/** The default state dir for the user: ~/.local/share/dh-podman. */
export function userStateDir(user: RootlessUser): string {
  return join(user.home, '.local', 'share', 'dh-podman');
}

/** Stops the user's Podman service that setUpRootless started: nothing of a run outlives it. */
export function stopRootless(): void {
  execFileSync('bash', ['scripts/rootless-env.sh', 'stop'], { cwd: repoRoot, stdio: 'ignore' });
}

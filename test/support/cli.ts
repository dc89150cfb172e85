import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root (compiled test files live three levels down, in dist/test/support). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const cliPath = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
/** The command a user runs (package.json "bin"): a launcher that starts Node on cliPath. */
export const launcherPath = fileURLToPath(new URL('../../../scripts/dh-podman', import.meta.url));

/**
 * A command line that runs `command` without tap's module loader. tap's process-info hook adds
 * that loader to NODE_OPTIONS of every process a test starts, whatever env the spawn is given; in
 * a Node child it is a loader thread that sees every module load, about 0.25 CPU-s more per CLI
 * run, and the suite starts hundreds. The suite collects no coverage, so the Node programs it
 * starts run without it: `env -u` drops the variable after the hook has set it.
 */
export function withoutTapLoader(command: string, args: string[]): [string, string[]] {
  return ['env', ['-u', 'NODE_OPTIONS', command, ...args]];
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI the way a user does: a separate process, no shell, colour off. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  const [file, argv] = withoutTapLoader(launcherPath, args);
  return new Promise((resolve) => {
    execFile(
      file,
      argv,
      { cwd: options.cwd ?? repoRoot, env: { ...process.env, NO_COLOR: '1', ...options.env }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

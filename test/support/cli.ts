import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root (compiled test files live three levels down, in dist/test/support). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const cliPath = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
/** The command a user runs (package.json "bin"): a launcher that starts Node on cliPath. */
export const launcherPath = fileURLToPath(new URL('../../../scripts/dh-podman', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI the way a user does: a separate process, no shell, colour off. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      launcherPath,
      args,
      { cwd: options.cwd ?? repoRoot, env: { ...process.env, NO_COLOR: '1', ...options.env }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

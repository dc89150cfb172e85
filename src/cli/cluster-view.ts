import { relative, resolve } from 'node:path';
import { pathExists } from '../base/atomic-write.js';
import { ExitCode, usageError } from '../base/errors.js';
import { timed } from '../base/timing.js';
import type { ClusterSpec, LoadOptions } from '../cluster/cluster-file.js';
import type { RotateOptions } from '../cluster/rotate.js';
import type { Output } from './output.js';
import type { CommandContext } from './program.js';
import { clusterStateDir } from './state-dir-option.js';

/** Loads a cluster file, or prints every problem (file:line:col path: message; fix) and sets exit 3. */
export async function loadOrReport(file: string, output: Output, context: CommandContext, options: LoadOptions = {}): Promise<ClusterSpec | undefined> {
  // Loaded on use: the schema validator and YAML parser are a third of the CLI's start-up, and
  // the single-machine commands never read a cluster file.
  const { spec, issues } = await timed('loading and checking the cluster file', async () => {
    const { loadClusterFile } = await import('../cluster/cluster-file.js');
    return loadClusterFile(file, options);
  });
  if (spec) return spec;
  output.data({ ok: false, file, issues });
  const where = relative(process.cwd(), file) || file;
  output.essential(
    [...issues.map((i) => `${where}${i.line === undefined ? '' : `:${i.line}:${i.column ?? 1}`}${i.path ? ` ${i.path}` : ''}: ${i.message}; ${i.fix} [${i.code}]`), `${issues.length} problem(s); nothing was created or changed`].join('\n'),
  );
  context.exit(ExitCode.invalidInput);
  return undefined;
}

export const DEFAULT_CLUSTER_FILE = 'dh-podman.yaml';

/** -f as given; without it ./dh-podman.yaml, which must exist: cron jobs and runbooks must not guess. */
export async function clusterFileOrDefault(given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  const fallback = resolve(DEFAULT_CLUSTER_FILE);
  if (await pathExists(fallback)) return fallback;
  throw usageError('CLUSTER_FILE_MISSING', `no cluster file given and ./${DEFAULT_CLUSTER_FILE} does not exist`, {
    subject: '-f',
    fix: 'pass the cluster file with -f FILE',
  });
}

/**
 * What every command on an existing cluster starts with: the file (-f, or ./dh-podman.yaml),
 * its checked contents and the state dir its state lives in. Undefined: the file was refused
 * and said so.
 */
export async function openClusterFile(
  context: CommandContext,
  output: Output,
  flags: { file?: string | undefined; stateDir?: string | undefined },
  options: LoadOptions = {},
): Promise<{ file: string; spec: ClusterSpec; stateDir: string } | undefined> {
  const file = await clusterFileOrDefault(flags.file);
  const spec = await loadOrReport(file, output, context, options);
  if (!spec) return undefined;
  return { file, spec, stateDir: (await clusterStateDir(context, output, spec, file, flags.stateDir)).dir };
}

/** How `rotate` and `mtls rollout` restart pods: their steps and warnings on the output, each pod given `healthTimeoutSeconds` to answer. */
export function rollOutOptions(output: Output, pods: string[], healthTimeoutSeconds: number): RotateOptions {
  return {
    pods,
    healthTimeoutMs: healthTimeoutSeconds * 1000,
    onStep: (line) => output.info(line),
    onWarning: (line) => output.warn(line),
  };
}

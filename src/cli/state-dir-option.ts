import type { ClusterSpec } from '../cluster/cluster-file.js';
import type { ResolvedStateDir } from '../cluster/state-dir.js';
import type { Output } from './output.js';
import type { CommandContext } from './program.js';

// The flag and its help are built with every command (and --help); the state-dir code is
// imported when a command resolves its directory.
export const STATE_DIR_FLAG = '--state-dir <dir>';
export const CLUSTER_STATE_DIR_HELP =
  'where the cluster\'s state is kept (default: the file\'s stateDir, else where "up -f" put it, else $DH_PODMAN_STATE_DIR, /var/lib/dh-podman as root, the XDG data dir otherwise)';
export const MACHINE_STATE_DIR_HELP = 'where derived files are kept (default: $DH_PODMAN_STATE_DIR, /var/lib/dh-podman as root, the XDG data dir otherwise)';

/**
 * The state dir of a command on a cluster file (see cluster/state-dir.ts for the order). Says
 * so when it comes from up's record, and warns when --state-dir or the file's stateDir
 * overrules that record: state left where the record points is not touched by this run.
 */
export async function clusterStateDir(context: CommandContext, output: Output, spec: ClusterSpec, file: string, given: string | undefined): Promise<ResolvedStateDir> {
  const { contradictedRecord, resolveStateDir } = await import('../cluster/state-dir.js');
  const resolved = await resolveStateDir({ given, cluster: { name: spec.cluster, file, stateDir: spec.stateDir }, env: context.io.env });
  const recorded = contradictedRecord(resolved);
  if (recorded) {
    const why = resolved.source === 'given' ? '--state-dir' : 'the file\'s stateDir';
    output.warn(`cluster ${spec.cluster}: "up -f" put its state in ${recorded.stateDir}; using ${resolved.dir} (${why}) instead`);
  } else if (resolved.source === 'record') {
    output.info(`state dir ${resolved.dir} (where "up -f" put cluster ${spec.cluster}'s state)`);
  }
  return resolved;
}

/** The state dir of a single-machine command: --state-dir, else the default. */
export async function machineStateDir(context: CommandContext, given: string | undefined): Promise<string> {
  const { resolveStateDir } = await import('../cluster/state-dir.js');
  return (await resolveStateDir({ given, env: context.io.env })).dir;
}

import type { Command } from 'commander';
import { STATE_MARKER } from '../../cluster/state-marker.js';
import { loadOrReport } from '../cluster-view.js';
import type { CommandContext } from '../program.js';
import { CLUSTER_STATE_DIR_HELP, clusterStateDir, STATE_DIR_FLAG } from '../state-dir-option.js';
import { COMMAND_SUMMARIES } from '../command-summaries.js';

export function registerDown(program: Command, context: CommandContext): void {
  program
    .command('down')
    .description(COMMAND_SUMMARIES.down.description)
    .requiredOption('-f, --file <file>', 'the cluster file')
    .option('--volumes', `also delete the derived files and the certificates dh-podman generated: only directories whose ${STATE_MARKER} names this cluster (never your TLS volumes)`)
    .option(STATE_DIR_FLAG, CLUSTER_STATE_DIR_HELP)
    .option('--dry-run', 'print what would be removed (pods, their secrets, networks and, with --volumes, directories) and remove nothing')
    .action(async (flags: { file: string; volumes?: boolean; stateDir?: string; dryRun?: boolean }, command: Command) => {
      const { clusterDown, planClusterDown } = await import('../../cluster/cluster-up.js');
      const { forgetStateDir } = await import('../../cluster/state-dir.js');
      const { removeClusterState } = await import('../../cluster/state-marker.js');
      const { withEngine } = await import('../engine-options.js');
      const output = context.output(command);
      // A cluster whose certificate has expired must still come down.
      const spec = await loadOrReport(flags.file, output, context, { checkCertificates: false });
      if (!spec) return;
      const state = await clusterStateDir(context, output, spec, flags.file, flags.stateDir);
      if (flags.dryRun) {
        const { clusterDownData, renderClusterDown } = await import('../cluster-plan-view.js');
        const plan = await withEngine(context, output, (engine) => planClusterDown(engine, spec));
        const volumes = flags.volumes ? await removeClusterState(state.dir, spec, { dryRun: true }) : undefined;
        output.data({ ok: true, dryRun: true, cluster: spec.cluster, stateDir: state.dir, ...clusterDownData(plan, volumes) });
        output.result(renderClusterDown(spec.cluster, plan, volumes));
        return;
      }
      const removed = await withEngine(context, output, (engine) => clusterDown(engine, spec, (line) => output.info(line)));
      let volumes: Awaited<ReturnType<typeof removeClusterState>> | undefined;
      if (flags.volumes) {
        volumes = await removeClusterState(state.dir, spec);
        for (const dir of volumes.removed) output.info(`deleted ${dir}`);
        for (const left of volumes.left) output.warn(`left ${left.path}: ${left.reason}; delete it yourself if it is this cluster's`);
        // The state the record points at is gone; without --volumes it stays, and so does the record.
        await forgetStateDir(state);
      }
      output.data({ ok: true, cluster: spec.cluster, ...removed, volumes: flags.volumes === true, stateDir: state.dir, ...(volumes ? { deleted: volumes.removed, left: volumes.left } : {}) });
      output.result(
        [
          `removed ${removed.pods.length} pod(s) and ${removed.networks.length} network(s) of cluster ${spec.cluster}`,
          ...(volumes ? [`deleted ${volumes.removed.length} state director${volumes.removed.length === 1 ? 'y' : 'ies'} under ${state.dir}${volumes.left.length > 0 ? `; left ${volumes.left.length} (see the warnings)` : ''}`] : []),
        ].join('\n'),
      );
    });
}

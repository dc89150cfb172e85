import { Option, type Command } from 'commander';
import { DEFAULT_CLUSTER_FILE, openClusterFile, rollOutOptions } from '../cluster-view.js';
import { parsePositiveInt } from '../options.js';
import type { CommandContext } from '../program.js';
import { CLUSTER_STATE_DIR_HELP, STATE_DIR_FLAG } from '../state-dir-option.js';
import { COMMAND_SUMMARIES } from '../command-summaries.js';

interface RotateFlags {
  file?: string;
  stateDir?: string;
  healthTimeout: number;
  dryRun?: boolean;
}

export function registerRotate(program: Command, context: CommandContext): void {
  program
    .command('rotate')
    .description(COMMAND_SUMMARIES.rotate.description)
    .argument('[pod...]', 'only these pods of the file (default: all)')
    .option('-f, --file <file>', `the cluster file (default: ./${DEFAULT_CLUSTER_FILE})`)
    .option(STATE_DIR_FLAG, CLUSTER_STATE_DIR_HELP)
    .option('--dry-run', 'print what rotate would issue, write and restart, and change nothing')
    .addOption(new Option('--health-timeout <seconds>', 'how long each restarted pod has to answer over TLS (/health; the web IDE for Deephaven Community)').default(90).argParser(parsePositiveInt))
    .addHelpText(
      'after',
      [
        '',
        'Replace tls.crt/tls.key (or envoy.pem, or the CA file) first, then run rotate. Nothing is written',
        'unless every selected pod\'s new material passes the checks (generate and ca pods\' certificates',
        'that need reissuing are issued then, after the checks). A pod that does not come back is put',
        'back as it was, and the pods after it are not touched (exit 4). --dry-run prints the plan only.',
        '',
        'CA rollover: put the old and the new CA in the CA file and rotate; reissue the leaves from the new',
        'CA and rotate; then remove the old CA and rotate. rotate warns while a pod still presents a leaf',
        'from the CA that is leaving.',
        '',
        'etcd: rotating the whole cluster (no POD named) renews every etcd member certificate dh-podman',
        'issued, one member at a time (each member back and every member healthy before the next; a',
        'member that does not come back gets its previous certificate back), then the etcd client',
        'certificates of the operator and of every machine, whose pods restart with them.',
        '',
        'Example:',
        '  dh-podman rotate -f dh-podman.yaml dh1',
      ].join('\n'),
    )
    .action(async (pods: string[], flags: RotateFlags, command: Command) => {
      const { applyRotation, planRotation } = await import('../../cluster/rotate.js');
      const { withEngine } = await import('../engine-options.js');
      const output = context.output(command);
      const opened = await openClusterFile(context, output, flags);
      if (!opened) return;
      const { file, spec, stateDir } = opened;
      const options = rollOutOptions(output, pods, flags.healthTimeout);
      const { inClusterFile } = await import('../error-subjects.js');
      const result = await inClusterFile(file, spec, () => withEngine(context, output, async (engine) => {
        const rotation = await planRotation(engine, spec, stateDir, pods, { renewEtcd: pods.length === 0 });
        if (!flags.dryRun) return applyRotation(engine, spec, rotation, options);
        const { clusterPlanData, renderClusterPlan } = await import('../cluster-plan-view.js');
        rotation.warnings.forEach((warning) => output.warn(warning));
        const { renderEtcdRenewal } = await import('../etcd-renewal-view.js');
        output.data({ ok: true, dryRun: true, ...clusterPlanData(rotation.plan), ...(rotation.etcd ? { etcdRenewal: rotation.etcd } : {}), warnings: rotation.warnings });
        // The renewal's steps say what happens to each member; the plan's own etcd lines would say "unchanged".
        output.result([...(rotation.etcd ? [renderEtcdRenewal(rotation.etcd)] : []), renderClusterPlan(rotation.etcd ? { ...rotation.plan, etcd: undefined } : rotation.plan)].join('\n'));
        return undefined;
      }));
      if (!result) return;
      output.data({ ok: true, cluster: spec.cluster, ...result });
      output.result(
        result.changed
          ? [
              ...(result.etcd?.members ?? []).map((member) => `etcd ${member}: renewed`),
              ...(result.etcd ? [`etcd client certificates renewed: ${result.etcd.clients.join(', ')}`] : []),
              ...result.pods.map((pod) => `${pod.name} (${pod.hostname}): ${pod.action}${pod.action === 'restarted' ? ` (${pod.reason})` : ''}`),
            ].join('\n')
          : `cluster ${spec.cluster}: nothing to rotate`,
      );
    });
}

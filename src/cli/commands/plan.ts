import type { Command } from 'commander';
import { clusterStatePaths } from '../../cluster/layout.js';
import { loadOrReport } from '../cluster-view.js';
import type { CommandContext } from '../program.js';
import { CLUSTER_STATE_DIR_HELP, clusterStateDir, STATE_DIR_FLAG } from '../state-dir-option.js';

export function registerPlan(program: Command, context: CommandContext): void {
  program
    .command('plan')
    .description('check a cluster file and show what bringing it up would do, pod by pod')
    .requiredOption('-f, --file <file>', 'the cluster file (YAML or JSON, schema: schema/cluster.schema.json)')
    .option(STATE_DIR_FLAG, CLUSTER_STATE_DIR_HELP)
    .addHelpText('after', '\nEvery problem in the file is reported at once, with its JSON path and line:column; exit 3.\n\nExample:\n  dh-podman plan -f dh-podman.yaml --json')
    .action(async (flags: { file: string; stateDir?: string }, command: Command) => {
      const { pathExists } = await import('../../base/atomic-write.js');
      const { clusterNetwork, requestFor } = await import('../../cluster/cluster-up.js');
      const { checkMachine, planMachine } = await import('../../cluster/machine-plan.js');
      const { withEngine } = await import('../engine-options.js');
      const { planData } = await import('../plan-view.js');
      const output = context.output(command);
      const spec = await loadOrReport(flags.file, output, context);
      if (!spec) return;
      const stateDir = (await clusterStateDir(context, output, spec, flags.file, flags.stateDir)).dir;
      // What `up` will trust: the cluster's bundle once it exists (it adds the cluster CA).
      const bundle = clusterStatePaths(stateDir, spec.cluster).trustBundle;
      const trust = spec.pods.some((pod) => pod.certificate.mode === 'generate') && (await pathExists(bundle)) ? bundle : spec.trust?.caCertFile;
      const { pods, etcd } = await withEngine(context, output, async (engine) => {
        const plans = [];
        for (const pod of spec.pods) {
          if (pod.certificate.mode !== 'existing') {
            plans.push({ name: pod.name, hostname: pod.hostname, certificate: `to be issued (${pod.certificate.mode} mode)` });
            continue;
          }
          const plan = await planMachine(engine, await checkMachine(requestFor(spec, stateDir, pod, trust)));
          plans.push({ name: pod.name, hostname: pod.hostname, certificate: 'existing', plan: planData(plan) });
        }
        // The cluster's etcd members, which up brings up before the machines.
        const { planEtcd } = await import('../../cluster/etcd-plan.js');
        return { pods: plans, etcd: spec.etcd ? await planEtcd(engine, spec, stateDir, clusterNetwork(spec)) : undefined };
      });
      output.data({ ok: true, cluster: spec.cluster, network: clusterNetwork(spec), stateDir, pods, ...(etcd ? { etcd } : {}) });
      output.result(
        [
          `cluster ${spec.cluster}, network ${clusterNetwork(spec)}:`,
          ...(etcd?.members ?? []).map((m) => `  ${m.pod} (etcd ${m.name} at ${m.ip}): ${m.action} — ${m.reason}; certificate ${m.certificate}`),
          ...pods.map((pod) =>
            'plan' in pod && pod.plan
              ? `  ${pod.name} (${pod.hostname}): ${pod.plan.pod.action} — ${pod.plan.pod.reason}; ${pod.plan.files.filter((f) => f.action !== 'unchanged').length} file(s) to write`
              : `  ${pod.name} (${pod.hostname}): certificate ${pod.certificate}`,
          ),
        ].join('\n'),
      );
    });
}

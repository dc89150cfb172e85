import type { ClusterSpec } from '../cluster/cluster-file.js';
import type { Output } from './output.js';
import type { CommandContext } from './program.js';

/**
 * `plan -f` and `up -f --dry-run`: the very plan `up -f` applies, printed, and nothing written
 * (the state dir is left byte for byte as it was; the certificates `up` would issue are issued
 * into a staging area and forgotten).
 */
export async function printClusterPlan(context: CommandContext, output: Output, file: string, spec: ClusterSpec, stateDir: string): Promise<void> {
  const { planCluster } = await import('../cluster/cluster-plan.js');
  const { withEngine } = await import('./engine-options.js');
  const { clusterPlanData, renderClusterPlan } = await import('./cluster-plan-view.js');
  const { inClusterFile } = await import('./error-subjects.js');
  const plan = await inClusterFile(file, spec, () => withEngine(context, output, (engine) => planCluster(engine, spec, stateDir)));
  for (const machine of plan.machines) {
    for (const warning of machine.check.findings.filter((f) => f.severity === 'warning')) output.warn(`${machine.pod.name}: ${warning.code} ${warning.file}: ${warning.message}`);
  }
  output.data({ ok: true, dryRun: true, ...clusterPlanData(plan) });
  output.result(renderClusterPlan(plan));
}

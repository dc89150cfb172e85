import type { PlannedWrite } from '../cluster/cluster-issue.js';
import { sha256Of } from '../base/sha256.js';
import type { ClusterDownPlan } from '../cluster/cluster-up.js';
import type { ClusterPlan } from '../cluster/cluster-plan.js';
import { planData, renderPlan } from './plan-view.js';

/** A cluster's plan as data: what `plan -f --json` and every `--dry-run --json` print. */
export function clusterPlanData(plan: ClusterPlan) {
  return {
    cluster: plan.cluster,
    network: plan.network,
    stateDir: plan.stateDir,
    changes: plan.changes,
    issue: plan.issues,
    write: plan.writes.map(writeData),
    pods: plan.machines.map(planData),
    ...(plan.etcd ? { etcd: plan.etcd } : {}),
  };
}

function writeData(write: PlannedWrite) {
  return { purpose: write.purpose, action: write.action, path: write.path, mode: `0${write.mode.toString(8)}`, sha256: sha256Of(write.content), ...(write.pod ? { pod: write.pod } : {}) };
}

export function renderClusterPlan(plan: ClusterPlan): string {
  const lines = [`cluster ${plan.cluster}, network ${plan.network}, state dir ${plan.stateDir}: ${plan.changes ? 'changes' : 'nothing to change'}`];
  for (const issue of plan.issues) lines.push(`  issue ${issue.what === 'cluster CA' ? `the cluster CA "${issue.subject}"` : `a certificate for ${issue.subject}`} (${issue.reason})`);
  for (const write of plan.writes) lines.push(`  write ${write.action.padEnd(6)} ${write.path} (${write.purpose}, 0${write.mode.toString(8)}) sha256:${sha256Of(write.content).slice(0, 16)}`);
  for (const m of plan.etcd?.members ?? []) lines.push(`  ${m.pod} (etcd ${m.name} at ${m.ip}): ${m.action} — ${m.reason}; certificate ${m.certificate}`);
  for (const machine of plan.machines) lines.push(renderPlan(machine));
  return lines.join('\n');
}

export function clusterDownData(plan: ClusterDownPlan, volumes: { removed: string[]; left: { path: string; reason: string }[] } | undefined) {
  return { remove: { pods: plan.pods, networks: plan.networks, secrets: plan.secrets.length, ...(volumes ? { directories: volumes.removed } : {}) }, ...(volumes ? { left: volumes.left } : {}) };
}

export function renderClusterDown(cluster: string, plan: ClusterDownPlan, volumes: { removed: string[]; left: { path: string; reason: string }[] } | undefined): string {
  return [
    `cluster ${cluster}: down would remove`,
    ...plan.pods.map((pod) => `  pod ${pod}`),
    ...(plan.secrets.length > 0 ? [`  ${plan.secrets.length} Podman secret(s) of the cluster's pods`] : []),
    ...plan.networks.map((network) => `  network ${network}`),
    ...(volumes ? volumes.removed.map((dir) => `  directory ${dir}`) : []),
    ...(volumes ? volumes.left.map((left) => `  (keeps ${left.path}: ${left.reason})`) : []),
    ...(plan.pods.length + plan.networks.length + (volumes?.removed.length ?? 0) === 0 ? ['  nothing'] : []),
  ].join('\n');
}

import type { PodEngine } from '../engine/pod-engine.js';
import { LABEL_CLUSTER, LABEL_TOOL } from '../engine/labels.js';
import type { ClusterSpec } from './cluster-file.js';
import { writePlanned } from './cluster-issue.js';
import { planCluster, type ClusterPlan } from './cluster-plan.js';
import { clusterNetwork } from './cluster-paths.js';
import { etcdUp, type EtcdUpResult } from './etcd-up.js';
import { applyMachinePlan, createPlannedNetwork } from './machine-apply.js';
import type { MachinePlan, PodAction } from './machine-plan.js';
import { preflight } from './preflight.js';
import { secretPrefix } from './secret-delivery.js';
import { claimClusterState } from './state-marker.js';

export { clusterCaDir, clusterCaFile, clusterNetwork, tlsVolumeOf } from './cluster-paths.js';
export { requestFor } from './cluster-plan.js';

export interface ClusterUpResult {
  pods: { name: string; hostname: string; action: PodAction }[];
  etcd?: EtcdUpResult | undefined;
  changed: boolean;
}

/**
 * Brings a cluster file up: its plan (every check of every pod, see planCluster), then that
 * plan applied. Nothing is written before the whole plan stands.
 */
export async function clusterUp(engine: PodEngine, spec: ClusterSpec, stateDir: string, onStep: (line: string) => void): Promise<ClusterUpResult> {
  const plan = await planCluster(engine, spec, stateDir);
  if (!spec.etcd) return applyClusterPlan(engine, spec, plan, onStep);
  // etcd's members come first: they take their fixed addresses, and the machines' etcd client
  // files are issued with them, so the machines are planned again once those files exist.
  await claimClusterState(stateDir, spec);
  const etcd = await etcdUp(engine, spec, stateDir, clusterNetwork(spec), onStep);
  const etcdChanged = etcd.issued.length > 0 || etcd.members.some((member) => member.action !== 'unchanged');
  const result = await applyClusterPlan(engine, spec, etcdChanged ? await planCluster(engine, spec, stateDir) : plan, onStep);
  return { ...result, etcd, changed: result.changed || etcdChanged };
}

/** How many pods are created and started at once: Podman's work for one is mostly waiting. */
const PODS_AT_ONCE = 3;

/**
 * Carries out a cluster's plan. What can fail without touching anything (images, host ports) is
 * asked of every pod first; then the state directories are claimed, the issued CA and trust
 * bundle written, the shared network created, and the pods applied, a few at once, each after
 * its own certificate is in place. A pod that cannot be applied puts back its pod
 * (machine-apply.ts) and its certificate; the pods applied beside it are kept; the shared files
 * (and a network this run created) go back too while no pod runs on them yet.
 */
export async function applyClusterPlan(engine: PodEngine, spec: ClusterSpec, plan: ClusterPlan, onStep: (line: string) => void): Promise<ClusterUpResult> {
  const unchanged = () => plan.machines.map((machine) => ({ name: machine.pod.name, hostname: machine.pod.hostname, action: 'unchanged' as const }));
  if (!plan.changes) return { pods: unchanged(), changed: false };
  const changed = plan.machines.filter((m) => m.changes);
  // Asked of every pod at once; the first pod's problem, in the file's order, is the one said.
  for (const result of await Promise.allSettled(changed.map((machine) => preflight(engine, machine)))) {
    if (result.status === 'rejected') throw result.reason;
  }
  await claimClusterState(plan.stateDir, spec);
  const putBackShared = await writePlanned(plan.writes.filter((write) => !write.pod), onStep);
  // Made once, before any pod: pods applied at once would each find it missing.
  const planning = plan.machines.find((machine) => machine.network.action === 'create');
  let removeNetwork: (() => Promise<void>) | undefined;
  try {
    removeNetwork = planning ? await createPlannedNetwork(engine, planning, onStep) : undefined;
  } catch (error) {
    await putBackShared().catch(() => undefined);
    throw error;
  }
  const machines = plan.machines.map((machine): MachinePlan => (machine.network.action === 'create' ? { ...machine, network: { ...machine.network, action: 'exists' } } : machine));
  const applyOne = async (machine: MachinePlan) => {
    const putBackOwn = await writePlanned(plan.writes.filter((write) => write.pod === machine.pod.name), onStep);
    try {
      return await applyMachinePlan(engine, machine, onStep);
    } catch (error) {
      await putBackOwn().catch(() => undefined);
      throw error;
    }
  };
  const results = await inBatches(machines, PODS_AT_ONCE, applyOne);
  const pods: ClusterUpResult['pods'] = [];
  results.forEach((result, index) => {
    const machine = machines[index]!;
    if (result.status === 'fulfilled') pods.push({ name: machine.pod.name, hostname: machine.pod.hostname, action: result.value.action });
  });
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    if (pods.length === 0) {
      await removeNetwork?.().catch(() => undefined);
      await putBackShared().catch(() => undefined);
    }
    throw failed.reason;
  }
  return { pods, changed: true };
}

/** Runs `work` on every item, at most `limit` at once; every outcome, in the items' order. */
async function inBatches<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!).then(
        (value): PromiseSettledResult<R> => ({ status: 'fulfilled', value }),
        (reason: unknown): PromiseSettledResult<R> => ({ status: 'rejected', reason }),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** What `down` removes: the pods and networks `up` made for this cluster (found by its label). */
export interface ClusterDownPlan {
  pods: string[];
  networks: string[];
  /** The Podman secrets the pods' files were stored in, also of a file's pod removed by hand. */
  secrets: string[];
}

export async function planClusterDown(engine: PodEngine, spec: ClusterSpec): Promise<ClusterDownPlan> {
  const labels = { [LABEL_TOOL]: 'dh-podman', [LABEL_CLUSTER]: spec.cluster };
  const pods = await engine.pods.list(labels);
  const secrets: string[] = [];
  for (const pod of new Set([...pods, ...spec.pods.map((entry) => entry.name)])) secrets.push(...(await engine.secrets.list(secretPrefix(pod))));
  const networks = (await engine.networks.list(labels)).map((network) => network.name);
  return { pods, networks, secrets };
}

/** Removes what `up` made for this cluster (found by its label) and nothing else. */
export async function clusterDown(engine: PodEngine, spec: ClusterSpec, onStep: (line: string) => void): Promise<{ pods: string[]; networks: string[] }> {
  const { pods, networks, secrets } = await planClusterDown(engine, spec);
  for (const pod of pods) {
    onStep(`removing pod ${pod}`);
    await engine.pods.remove(pod);
  }
  // After the pods: a secret in use by a container cannot go.
  for (const secret of secrets) await engine.secrets.remove(secret);
  for (const network of networks) {
    onStep(`removing network ${network}`);
    await engine.networks.remove(network);
  }
  return { pods, networks };
}

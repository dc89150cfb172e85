import type { PodEngine } from '../engine/pod-engine.js';
import { LABEL_CLUSTER, LABEL_TOOL } from '../engine/labels.js';
import type { ClusterSpec } from './cluster-file.js';
import { writePlanned } from './cluster-issue.js';
import { planCluster, type ClusterPlan } from './cluster-plan.js';
import { clusterNetwork } from './cluster-paths.js';
import { etcdUp, type EtcdUpResult } from './etcd-up.js';
import { applyMachinePlan } from './machine-apply.js';
import type { PodAction } from './machine-plan.js';
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

/**
 * Carries out a cluster's plan. What can fail without touching anything (images, host ports) is
 * asked of every pod first; then the state directories are claimed, the issued CA and trust
 * bundle written, and each pod applied after its own certificate is in place. A pod that cannot
 * be applied puts back its pod (machine-apply.ts) and its certificate; the shared files go back
 * too while no pod runs on them yet.
 */
export async function applyClusterPlan(engine: PodEngine, spec: ClusterSpec, plan: ClusterPlan, onStep: (line: string) => void): Promise<ClusterUpResult> {
  const unchanged = () => plan.machines.map((machine) => ({ name: machine.pod.name, hostname: machine.pod.hostname, action: 'unchanged' as const }));
  if (!plan.changes) return { pods: unchanged(), changed: false };
  for (const machine of plan.machines.filter((m) => m.changes)) await preflight(engine, machine);
  await claimClusterState(plan.stateDir, spec);
  const putBackShared = await writePlanned(plan.writes.filter((write) => !write.pod), onStep);
  const pods: ClusterUpResult['pods'] = [];
  try {
    for (const machine of plan.machines) {
      const putBackOwn = await writePlanned(plan.writes.filter((write) => write.pod === machine.pod.name), onStep);
      try {
        const result = await applyMachinePlan(engine, machine, onStep);
        pods.push({ name: machine.pod.name, hostname: machine.pod.hostname, action: result.action });
      } catch (error) {
        await putBackOwn().catch(() => undefined);
        throw error;
      }
    }
  } catch (error) {
    if (pods.length === 0) await putBackShared().catch(() => undefined);
    throw error;
  }
  return { pods, changed: true };
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

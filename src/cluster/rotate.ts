import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { usageError } from '../base/errors.js';
import type { PodEngine } from '../engine/pod-engine.js';
import type { Certificate } from '../pki/certificate.js';
import { decodePemText, loadFromVolume, loadPemFile } from '../pki/material.js';
import { dependsOnLeavingCa } from '../trust/rollover.js';
import type { ClusterSpec, PodSpecEntry } from './cluster-file.js';
import { writePlanned, type PlannedWrite } from './cluster-issue.js';
import { tlsVolumeOf } from './cluster-paths.js';
import { planCluster, type ClusterPlan } from './cluster-plan.js';
import { machineIdentity } from './client-identity.js';
import { waitForHealth, type HealthTarget } from './health.js';
import { SERVICE_PORT } from './layout.js';
import { applyMachinePlan } from './machine-apply.js';
import { planWithFiles, type MachinePlan } from './machine-plan.js';
import { planEtcdRenewal, renewEtcdMembers, type EtcdRenewal } from './etcd-renewal.js';
import { preflight } from './preflight.js';
import { rollOut, type RollOutStep } from './roll-out.js';
import { claimClusterState } from './state-marker.js';
import { HEALTH_PATHS } from './tls-profile.js';

export interface RotateOptions {
  /** Pod names from the file; all of them when empty. */
  pods: string[];
  healthTimeoutMs: number;
  onStep: (line: string) => void;
  /** Said before any pod restarts, so a failed roll-out still shows them. */
  onWarning: (line: string) => void;
  /** How a restarted pod is awaited; waitForHealth (/health over TLS) unless a test says otherwise. */
  waitHealthy?: ((target: HealthTarget, timeoutMs: number) => Promise<void>) | undefined;
}

export interface RotateResult {
  /** The etcd members renewed, in order (none when the cluster has no etcd or pods were named). */
  etcd?: { members: string[]; clients: string[] } | undefined;
  pods: { name: string; hostname: string; action: 'restarted' | 'unchanged'; reason: string }[];
  /** Pods that still present a leaf from a CA about to leave the bundle. */
  warnings: string[];
  changed: boolean;
}

/** The cluster plan of the selected pods, and the CA rollover warnings for all of them. */
export interface RotationPlan {
  plan: ClusterPlan;
  warnings: string[];
  /** etcd's renewal, member by member, before the machines (whose client certificates it renews). */
  etcd?: EtcdRenewal | undefined;
}

/**
 * Picks up new material in TLS volumes and CA files for a running cluster. Every selected pod's
 * material is checked before anything is written; then the pods whose derived files changed are
 * restarted one at a time, each answering over TLS (HEALTH_PATHS) before the next is touched.
 */
export async function clusterRotate(engine: PodEngine, spec: ClusterSpec, stateDir: string, options: RotateOptions): Promise<RotateResult> {
  const rotation = await planRotation(engine, spec, stateDir, options.pods, { renewEtcd: options.pods.length === 0 });
  return applyRotation(engine, spec, rotation, options);
}

/**
 * What rotate would do: `rotate --dry-run` prints it. Nothing is written. With `renewEtcd` (a
 * rotation of the whole cluster), etcd's member and client certificates are renewed too.
 */
export async function planRotation(engine: PodEngine, spec: ClusterSpec, stateDir: string, names: string[], options: { renewEtcd?: boolean } = {}): Promise<RotationPlan> {
  const planned = await planCluster(engine, spec, stateDir, selectPods(spec, names));
  const warnings = await leavingCaWarnings(spec, stateDir, planned);
  if (!options.renewEtcd || !planned.etcd) return { plan: planned, warnings };
  const { renewal, machines, writes } = await planEtcdRenewal(spec, stateDir, planned.etcd, planned.machines);
  return { plan: { ...planned, machines, writes: [...planned.writes, ...writes], changes: true }, warnings, etcd: renewal };
}

export async function applyRotation(engine: PodEngine, spec: ClusterSpec, rotation: RotationPlan, options: RotateOptions): Promise<RotateResult> {
  const { plan, warnings } = rotation;
  warnings.forEach((warning) => options.onWarning(warning));
  const changed = plan.machines.filter((machine) => machine.changes);
  // Every pod that will restart is checked (images, host ports) before the first one does.
  for (const machine of changed) await preflight(engine, machine);
  let restarted = new Set<string>();
  let etcd: RotateResult['etcd'];
  if (plan.changes) {
    await claimClusterState(plan.stateDir, spec);
    if (rotation.etcd) {
      // Members first: the machines' new client certificates are only as good as the members that check them.
      const members = await renewEtcdMembers(engine, spec, plan.stateDir, rotation.etcd, { healthTimeoutMs: options.healthTimeoutMs, onStep: options.onStep });
      etcd = { members, clients: rotation.etcd.clients };
    }
    const putBackShared = await writePlanned(plan.writes.filter((write) => !write.pod), options.onStep);
    let healthy = 0;
    const steps = changed.map((machine) => {
      const step = rotationStep(engine, machine, plan.writes.filter((write) => write.pod === machine.pod.name), plan.trustPem, options);
      return { ...step, healthy: () => step.healthy().then(() => void healthy++) };
    });
    try {
      restarted = new Set(await rollOut(steps, options.onStep));
    } catch (error) {
      // The CA and bundle this run wrote go back only while no pod came up on them.
      if (healthy === 0) await putBackShared().catch(() => undefined);
      throw error;
    }
  }
  return {
    ...(etcd ? { etcd } : {}),
    pods: plan.machines.map((machine) => ({
      name: machine.pod.name,
      hostname: machine.pod.hostname,
      action: restarted.has(machine.pod.name) ? 'restarted' : 'unchanged',
      reason: machine.changes ? machine.pod.reason : 'its certificates and trust did not change',
    })),
    warnings,
    changed: restarted.size > 0 || (etcd?.members.length ?? 0) > 0,
  };
}

function selectPods(spec: ClusterSpec, names: string[]): PodSpecEntry[] {
  if (names.length === 0) return spec.pods;
  const known = new Map(spec.pods.map((pod) => [pod.name, pod]));
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw usageError('ROTATE_UNKNOWN_POD', `no pod named ${unknown.join(', ')} in cluster ${spec.cluster}`, {
      subject: 'POD',
      fix: `name pods from the file: ${spec.pods.map((pod) => pod.name).join(', ')}`,
    });
  }
  return names.map((name) => known.get(name)!);
}

/**
 * One pod's turn: its issued certificate (if any) written, its files and pod replaced; on
 * revert, the certificate and files it had before written back and the pod recreated with them.
 * `before` is the pod as it runs now, when the step changes more than files (mutual TLS changes
 * its settings too): the revert recreates it from that plan, else from this one.
 */
export function rotationStep(engine: PodEngine, plan: MachinePlan, own: PlannedWrite[], caPem: string | undefined, options: RotateOptions, before?: MachinePlan): RollOutStep {
  let previous: Map<string, Buffer | undefined> | undefined;
  let putBackOwn: (() => Promise<void>) | undefined;
  const waitHealthy = options.waitHealthy ?? waitForHealth;
  const healthy = async () => {
    const published = plan.pod.ports.find((port) => port.containerPort === SERVICE_PORT);
    const address = published ? '127.0.0.1' : await engine.pods.address(plan.pod.name, plan.network.name);
    const port = published ? published.hostPort : SERVICE_PORT;
    // A service that asks for client certificates is asked as its peers ask it: with a machine's.
    const client = plan.request.clientAuth ? await machineIdentity(plan.request.tlsVolume, plan.pod.hostname) : undefined;
    await waitHealthy({ hostname: plan.pod.hostname, address, port, path: HEALTH_PATHS[plan.profile], caPem, client }, options.healthTimeoutMs);
  };
  return {
    name: plan.pod.name,
    apply: async () => {
      previous = await snapshot(plan);
      const putBack = await writePlanned(own, options.onStep);
      try {
        await applyMachinePlan(engine, plan, options.onStep);
      } catch (error) {
        await putBack().catch(() => undefined);
        throw error;
      }
      putBackOwn = putBack;
    },
    healthy,
    revert: async () => {
      if (!previous) return;
      options.onStep(`putting the previous files of ${plan.pod.name} back`);
      await putBackOwn?.();
      // The pod as it ran `before` had other settings than this step's: it is made again whole.
      await applyMachinePlan(engine, revertPlan(before ?? plan, previous, before !== undefined), options.onStep);
      await healthy();
    },
  };
}

async function snapshot(plan: MachinePlan): Promise<Map<string, Buffer | undefined>> {
  const files = new Map<string, Buffer | undefined>();
  for (const file of plan.derived.files) {
    if (file.action !== 'unchanged') files.set(file.hostPath, await readFile(file.hostPath).catch(() => undefined));
  }
  return files;
}

/** The same pod with the files it ran with before: written back, its containers (or the pod) made again with them. */
function revertPlan(plan: MachinePlan, previous: Map<string, Buffer | undefined>, wholePod: boolean): MachinePlan {
  return planWithFiles(plan, previous, 'putting back its previous files', { wholePod });
}

/**
 * Warns for every pod, selected or not, whose certificate comes from a CA the bundle is
 * replacing: removing the old CA before that leaf is reissued would cut the pod off. A
 * certificate this run issues is judged as issued.
 */
async function leavingCaWarnings(spec: ClusterSpec, stateDir: string, plan: ClusterPlan): Promise<string[]> {
  const bundle = [
    ...(plan.trustPem ? (decodePemText(plan.trustPem, 'the trust bundle').material?.certificates ?? []) : []),
    ...(spec.trust?.internalCaCertFile ? await certificatesIn(spec.trust.internalCaCertFile) : []),
  ];
  if (bundle.length === 0) return [];
  const warnings: string[] = [];
  for (const pod of spec.pods) {
    const volume = tlsVolumeOf(spec, stateDir, pod);
    for (const name of ['tls.crt', 'envoy.pem']) {
      const issued = plan.writes.find((write) => write.path === join(volume, name));
      // Not required: a volume without envoy.pem simply has no chain to look at there.
      const loaded = issued ? decodePemText(issued.content.toString('utf8'), issued.path) : await loadFromVolume(volume, name, false);
      const chain = loaded.material?.certificates ?? [];
      const leaving = chain.length > 0 ? dependsOnLeavingCa(chain, bundle) : undefined;
      if (leaving) {
        warnings.push(
          `${pod.name} (${pod.hostname}) still presents ${name} issued under the CA "${leaving.subject}" (not before ${leaving.notBefore.toISOString().slice(0, 10)}), which a newer CA of the same name replaces; reissue it from the new CA and rotate before removing the old CA from the bundle`,
        );
      }
    }
  }
  return warnings;
}

async function certificatesIn(file: string): Promise<Certificate[]> {
  return (await loadPemFile(file)).material?.certificates ?? [];
}

import { readFile } from 'node:fs/promises';
import { usageError } from '../base/errors.js';
import type { Engine } from '../engine/engine.js';
import type { Certificate } from '../pki/certificate.js';
import { loadFromVolume, loadPemFile } from '../pki/material.js';
import { dependsOnLeavingCa } from '../trust/rollover.js';
import type { ClusterSpec, PodSpecEntry } from './cluster-file.js';
import { clusterTrust, ensureCertificate, requestFor, tlsVolumeOf } from './cluster-up.js';
import { waitForHealth } from './health.js';
import { SERVICE_PORT } from './layout.js';
import { applyMachinePlan } from './machine-apply.js';
import { checkMachine, filesDigest, LABEL_FILES, planMachine, type MachinePlan } from './machine-plan.js';
import { preflight } from './preflight.js';
import { rollOut, type RollOutStep } from './roll-out.js';
import { HEALTH_PATHS } from './tls-profile.js';

export interface RotateOptions {
  /** Pod names from the file; all of them when empty. */
  pods: string[];
  healthTimeoutMs: number;
  onStep: (line: string) => void;
  /** Said before any pod restarts, so a failed roll-out still shows them. */
  onWarning: (line: string) => void;
}

export interface RotateResult {
  pods: { name: string; hostname: string; action: 'restarted' | 'unchanged'; reason: string }[];
  /** Pods that still present a leaf from a CA about to leave the bundle. */
  warnings: string[];
  changed: boolean;
}

/**
 * Picks up new material in TLS volumes and CA files for a running cluster. Every selected pod's
 * material is checked before anything is written; then the pods whose derived files changed are
 * restarted one at a time, each answering over TLS (HEALTH_PATHS) before the next is touched.
 */
export async function clusterRotate(engine: Engine, spec: ClusterSpec, stateDir: string, options: RotateOptions): Promise<RotateResult> {
  const selected = selectPods(spec, options.pods);
  for (const pod of selected) await ensureCertificate(spec, stateDir, pod, options.onStep);
  const trustFile = await clusterTrust(spec, stateDir);
  const checked = [];
  for (const pod of selected) checked.push(await checkMachine(requestFor(spec, stateDir, pod, trustFile)));
  const warnings = await leavingCaWarnings(spec, stateDir, trustFile);
  warnings.forEach((warning) => options.onWarning(warning));

  const plans: MachinePlan[] = [];
  for (const machine of checked) plans.push(await planMachine(engine, machine));
  const caPem = trustFile ? await readFile(trustFile, 'utf8') : undefined;
  // Every pod that will restart is checked (images, host ports) before the first one does.
  for (const plan of plans.filter((p) => p.changes)) await preflight(engine, plan);
  const steps = plans.filter((plan) => plan.changes).map((plan) => rotationStep(engine, plan, caPem, options));
  const restarted = new Set(await rollOut(steps, options.onStep));

  return {
    pods: plans.map((plan) => ({
      name: plan.pod.name,
      hostname: plan.pod.hostname,
      action: restarted.has(plan.pod.name) ? 'restarted' : 'unchanged',
      reason: plan.changes ? plan.pod.reason : 'its certificates and trust did not change',
    })),
    warnings,
    changed: restarted.size > 0,
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

function rotationStep(engine: Engine, plan: MachinePlan, caPem: string | undefined, options: RotateOptions): RollOutStep {
  let previous: Map<string, Buffer | undefined> | undefined;
  const healthy = async () => {
    const published = plan.pod.ports.find((port) => port.containerPort === SERVICE_PORT);
    const address = published ? '127.0.0.1' : await engine.pods.address(plan.pod.name, plan.network.name);
    const port = published ? published.hostPort : SERVICE_PORT;
    await waitForHealth({ hostname: plan.pod.hostname, address, port, path: HEALTH_PATHS[plan.profile], caPem }, options.healthTimeoutMs);
  };
  return {
    name: plan.pod.name,
    apply: async () => {
      previous = await snapshot(plan);
      await applyMachinePlan(engine, plan, options.onStep);
    },
    healthy,
    revert: async () => {
      if (!previous) return;
      options.onStep(`putting the previous files of ${plan.pod.name} back`);
      await applyMachinePlan(engine, revertPlan(plan, previous), options.onStep);
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

/** The same pod with the files it ran with before: written back, the pod recreated with them. */
function revertPlan(plan: MachinePlan, previous: Map<string, Buffer | undefined>): MachinePlan {
  const files = plan.derived.files.map((file) => {
    if (!previous.has(file.hostPath)) return file;
    const content = previous.get(file.hostPath);
    return content ? { ...file, action: 'update' as const, content } : { ...file, action: 'remove' as const };
  });
  const derived = { ...plan.derived, files };
  return {
    ...plan,
    derived,
    network: { ...plan.network, action: 'exists' },
    pod: { ...plan.pod, labels: { ...plan.pod.labels, [LABEL_FILES]: filesDigest(derived) }, action: 'replace', reason: 'putting back its previous files' },
    changes: true,
  };
}

/**
 * Warns for every pod, selected or not, whose certificate comes from a CA the bundle is
 * replacing: removing the old CA before that leaf is reissued would cut the pod off.
 */
async function leavingCaWarnings(spec: ClusterSpec, stateDir: string, trustFile: string | undefined): Promise<string[]> {
  const bundle = [
    ...(trustFile ? await certificatesIn(trustFile) : []),
    ...(spec.trust?.internalCaCertFile ? await certificatesIn(spec.trust.internalCaCertFile) : []),
  ];
  if (bundle.length === 0) return [];
  const warnings: string[] = [];
  for (const pod of spec.pods) {
    const volume = tlsVolumeOf(spec, stateDir, pod);
    for (const name of ['tls.crt', 'envoy.pem']) {
      // Not required: a volume without envoy.pem simply has no chain to look at there.
      const chain = (await loadFromVolume(volume, name, false)).material?.certificates ?? [];
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

import { inputError, isDhError, runtimeError } from '../base/errors.js';
import type { PodEngine } from '../engine/pod-engine.js';
import { checkTlsVolume } from '../pki/check.js';
import { brokenCalls, checkCalls, type CallCheck } from './call-matrix.js';
import type { ClusterSpec, MtlsLevel } from './cluster-file.js';
import { tlsVolumeOf } from './cluster-paths.js';
import { preflight } from './preflight.js';
import { planRotation, rotationStep, type RotateOptions, type RotationPlan } from './rotate.js';
import type { RollOutStep } from './roll-out.js';
import { claimClusterState } from './state-marker.js';

export interface MtlsRollout {
  to: Exclude<MtlsLevel, 'off'>;
  /** The cluster as it will run: the file's, at the new level. */
  rotation: RotationPlan;
  /** The cluster as it runs now, at the file's level: what a machine is put back to. */
  current: RotationPlan;
}

export interface MtlsRolloutResult {
  to: MtlsLevel;
  pods: { name: string; hostname: string; action: 'restarted' | 'unchanged' }[];
  /** The machine → machine calls after the last step. */
  calls: CallCheck[];
}

/**
 * Plans the cluster at mutual TLS level `to`: every machine's certificate is checked for
 * clientAuth here, before anything restarts, and a leaf without it stops the rollout with an
 * error naming its pod. Nothing is written.
 */
export async function planMtlsRollout(engine: PodEngine, spec: ClusterSpec, stateDir: string, to: Exclude<MtlsLevel, 'off'>): Promise<MtlsRollout> {
  await refuseLeavesWithoutClientAuth(spec, stateDir);
  const rotation = await planRotation(engine, { ...spec, mtls: to }, stateDir, []);
  // A rollout changes how machines authenticate, nothing else: new certificates or CAs would
  // mix two changes into one step, and a stopped rollout could not say which one broke a call.
  if (rotation.plan.writes.length > 0) {
    throw inputError('MTLS_ROLLOUT_PENDING', `cluster ${spec.cluster} has certificates to issue first (${rotation.plan.writes.map((write) => write.path).join(', ')})`, {
      subject: 'cluster file',
      fix: 'bring the cluster up to date with "dh-podman up -f FILE" (or rotate), then roll out mutual TLS',
    });
  }
  return { to, rotation, current: await planRotation(engine, spec, stateDir, []) };
}

/**
 * Restarts the machines at the new level one at a time. After each, the machine answers /health
 * (presenting its own certificate) and every machine → machine call that worked before the
 * rollout still works. When one does not, that machine and every machine restarted before it
 * are put back, in reverse order: the cluster is left as it was, and the error names the machine
 * and the calls that broke.
 */
export async function applyMtlsRollout(engine: PodEngine, spec: ClusterSpec, rollout: MtlsRollout, options: RotateOptions): Promise<MtlsRolloutResult> {
  const { plan } = rollout.rotation;
  const changed = plan.machines.filter((machine) => machine.changes);
  for (const machine of changed) await preflight(engine, machine);
  const before = await checkCalls(engine, plan.machines, plan.trustPem);
  if (changed.length > 0) await claimClusterState(plan.stateDir, spec);
  // Put back means the machine's settings as well as its files: a machine recreated from the
  // new plan with its old files would still ask its callers for a certificate.
  const current = new Map(rollout.current.plan.machines.map((machine) => [machine.pod.name, machine]));
  const steps = changed.map((machine) => ({ ...rotationStep(engine, machine, [], plan.trustPem, options, current.get(machine.pod.name)), hostname: machine.pod.hostname }));
  await rollOutChecked(steps, rollout.to, async () => brokenCalls(before, await settledCalls(engine, plan, before)).map((call) => `${call.from} → ${call.to} (${call.detail})`), options.onStep);
  return {
    to: rollout.to,
    pods: plan.machines.map((machine) => ({ name: machine.pod.name, hostname: machine.pod.hostname, action: changed.includes(machine) ? 'restarted' : 'unchanged' })),
    calls: await checkCalls(engine, plan.machines, plan.trustPem),
  };
}

/**
 * The steps one at a time: each applied, healthy, and then `broken()` (what no longer works)
 * must be empty. The first step that fails is put back with every step before it, newest first.
 */
export async function rollOutChecked(steps: (RollOutStep & { hostname: string })[], to: MtlsLevel, broken: () => Promise<string[]>, onStep: (line: string) => void): Promise<void> {
  const restarted: RollOutStep[] = [];
  for (const [index, step] of steps.entries()) {
    const untouched = steps.slice(index + 1).map((s) => s.name);
    let applied = false;
    try {
      onStep(`${step.name}: mutual TLS ${to}`);
      await step.apply();
      applied = true;
      onStep(`waiting for ${step.name} to answer /health`);
      await step.healthy();
      onStep('checking every machine → machine call');
      const calls = await broken();
      if (calls.length > 0) throw new Error(`calls that worked before fail now: ${calls.join('; ')}`);
      restarted.push(step);
    } catch (error) {
      const putBack = await putBackAll([...(applied ? [step] : []), ...[...restarted].reverse()], onStep);
      throw runtimeError(isDhError(error) ? error.code : 'MTLS_ROLLOUT_STOPPED', `the rollout to mutual TLS ${to} stopped at ${step.name} (${step.hostname}): ${(error as Error).message}; ${putBack}`, {
        subject: step.name,
        fix: `${untouched.length > 0 ? `not touched: ${untouched.join(', ')}; ` : ''}see "dh-podman logs ${step.name}" and "dh-podman doctor -f FILE", fix the cause, and roll out again`,
        cause: error,
      });
    }
  }
}

/**
 * The machine checks would refuse such a leaf too, naming only its file; the operator rolling
 * out needs to know which machine holds it, and all of them at once.
 */
async function refuseLeavesWithoutClientAuth(spec: ClusterSpec, stateDir: string): Promise<void> {
  const lacking: string[] = [];
  for (const pod of spec.pods) {
    const report = await checkTlsVolume({ hostname: pod.hostname, tlsVolume: tlsVolumeOf(spec, stateDir, pod), caCertFile: spec.trust?.caCertFile, mtls: true });
    const finding = report.findings.find((f) => f.code === 'EKU_NO_CLIENT_AUTH');
    if (finding) lacking.push(`${pod.name} (${pod.hostname}): ${finding.file}`);
  }
  if (lacking.length > 0) {
    throw inputError('EKU_NO_CLIENT_AUTH', `the rollout stops before ${lacking.map((line) => line.split(' ')[0]).join(', ')}, whose certificate lacks clientAuth and so cannot authenticate as a client: ${lacking.join('; ')}`, {
      subject: lacking[0]!.split(' ')[0]!,
      fix: 'reissue those certificates with extendedKeyUsage serverAuth, clientAuth, rotate, then roll out again; nothing was changed',
    });
  }
}

/** A restarted machine's peers may still hold a connection to its old self: a few tries before a call counts as broken. */
async function settledCalls(engine: PodEngine, plan: RotationPlan['plan'], before: CallCheck[]): Promise<CallCheck[]> {
  let calls = await checkCalls(engine, plan.machines, plan.trustPem);
  for (let attempt = 0; attempt < 5 && brokenCalls(before, calls).length > 0; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    calls = await checkCalls(engine, plan.machines, plan.trustPem);
  }
  return calls;
}

/** Newest first: the machine that failed, then the ones restarted before it. */
async function putBackAll(steps: RollOutStep[], onStep: (line: string) => void): Promise<string> {
  if (steps.length === 0) return 'nothing had changed';
  const failed: string[] = [];
  for (const step of steps) {
    await step.revert().catch((error: Error) => {
      failed.push(`${step.name} (${error.message})`);
    });
  }
  const names = steps.map((step) => step.name).join(', ');
  onStep(`put back: ${names}`);
  return failed.length === 0 ? `${names} put back as they were` : `putting back failed for ${failed.join(', ')}`;
}

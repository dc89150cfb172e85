import { DhError, ExitCode, isDhError, runtimeError } from '../base/errors.js';
import type { PodEngine } from '../engine/pod-engine.js';
import { LABEL_CLUSTER, toolLabels } from '../engine/labels.js';
import { createFromBlueprint, readBlueprint, type PodBlueprint } from '../engine/pod-blueprint.js';
import type { ContainerSpec } from '../engine/containers.js';
import { pathExists } from '../base/atomic-write.js';
import { writeDerivedFiles } from './apply-files.js';
import { acquireLock } from './lock.js';
import type { MachinePlan } from './machine-plan.js';
import { preflight } from './preflight.js';
import { removePodSecrets, storeSecrets } from './secret-delivery.js';

/** How long a replaced container has to stop on its stop signal before it is killed (Podman's own default). */
const MEMBER_STOP_SECONDS = 10;

export interface ApplyResult {
  pod: string;
  action: MachinePlan['pod']['action'];
  filesWritten: string[];
}

/**
 * Carries out a plan. Everything that can be checked without touching anything is checked first
 * (images, host ports). What this run creates (files, network, pod) is undone if a later step
 * fails, so a failed start leaves no orphan pod, container or network and the previous files;
 * and a pod it replaced, or the containers it replaced in a running pod, is put back as it was,
 * running, so a failed run takes nothing down.
 */
export async function applyMachinePlan(engine: PodEngine, plan: MachinePlan, onStep: (line: string) => void = () => undefined): Promise<ApplyResult> {
  const release = await acquireLock(plan.paths.lock, `pod ${plan.pod.name}`).catch((error: unknown) => {
    if (isDhError(error)) throw error;
    throw runtimeError('LOCK_FAILED', `cannot take the lock for pod ${plan.pod.name}: ${(error as Error).message}; nothing was changed`, {
      subject: plan.paths.lock,
      fix: 'check that the state directory is writable and has space, then run again',
    });
  });
  const undo: (() => Promise<unknown>)[] = [];
  let replaced: PodBlueprint | undefined;
  // The members a replace-containers removed (the pod itself stays), to make again should it fail.
  let replacedMembers: PodBlueprint['containers'] | undefined;
  try {
    if (!plan.changes) return { pod: plan.pod.name, action: 'unchanged', filesWritten: [] };
    // Both only read, so they are asked at once; a stale plan is still the error said first.
    await settledInOrder([refuseStalePlan(engine, plan), preflight(engine, plan)]);

    // Stored before anything is created with them, while the files are written, the network is
    // made and a replaced pod goes (none waits for another); a pod being started may need its
    // secrets again when it has to be created afresh (below). Should a step fail meanwhile, what
    // was stored goes.
    const storing = plan.pod.action !== 'unchanged'
      ? storeSecrets(engine, plan.derived.files, [...plan.container.secrets, ...(plan.front?.secrets ?? [])])
      : Promise.resolve([]);
    storing.catch(() => undefined);
    undo.push(() => storing.then((created) => Promise.all(created.map((name) => engine.secrets.remove(name))), () => undefined));
    const files = await writeDerivedFiles(plan.paths, plan.derived.files);
    undo.push(files.undo);

    const removeNetwork = await createPlannedNetwork(engine, plan, onStep);
    if (removeNetwork) undo.push(removeNetwork);
    let keep: { ip: string | undefined; mac: string | undefined } | undefined;
    if (plan.pod.action === 'replace') {
      onStep(`replacing pod ${plan.pod.name} (${plan.pod.reason})`);
      // Read before it goes, to put it back should its replacement fail. Peers (JVMs especially)
      // cache the address a name resolved to; the new pod takes the old one's (and its MAC, which
      // neighbour caches hold), so a replaced machine stays reachable without waiting out those caches.
      const previous = await readBlueprint(engine, plan.pod.name);
      keep = previous?.pod.network === plan.network.name ? { ip: previous.pod.staticIp, mac: previous.pod.staticMac } : undefined;
      await engine.pods.remove(plan.pod.name);
      replaced = previous;
    } else if (plan.pod.action === 'replace-containers') {
      onStep(`replacing the containers of pod ${plan.pod.name} (${plan.pod.reason}); the pod, its address and ports stay`);
      // Read before they go, to make them again should their replacements fail.
      const previous = await readBlueprint(engine, plan.pod.name);
      if (!previous) throw podGone(plan);
      replacedMembers = previous.containers;
      // Removed while the secrets are stored: neither waits for the other. Each is asked to stop
      // first, as removing the whole pod did: a service may have something to do at shutdown
      // (release an etcd lease, say); killing it outright would save about 0.3 s per rotation.
      await Promise.all(previous.containers.map((member) => engine.containers.remove(member.name, MEMBER_STOP_SECONDS)));
    }
    await storing;
    if (plan.pod.action === 'replace-containers') {
      await createMembers(engine, plan, onStep);
      onStep(`starting the containers of pod ${plan.pod.name}`);
      await Promise.all(podMembers(plan).map((member) => engine.containers.start(member.name)));
    } else if (plan.pod.action === 'create' || plan.pod.action === 'replace') {
      undo.push(() => removeIfPresent(engine, plan.pod.name));
      // Every pod this run removes is gone by now, and a pod not started has no port rules
      // yet: stale rules are looked for while the pod is created.
      await settledInOrder([createPod(engine, plan, keep, onStep), releaseStalePorts(engine, plan, onStep)]);
    } else if (plan.pod.action === 'start') {
      await releaseStalePorts(engine, plan, onStep);
    }
    if (plan.pod.action !== 'unchanged' && plan.pod.action !== 'replace-containers') {
      onStep(`starting pod ${plan.pod.name}`);
      await engine.pods.start(plan.pod.name).catch(async (error: unknown) => {
        if (plan.pod.action !== 'start') throw error;
        // A pod whose start was interrupted (the service killed) can refuse every later start:
        // Podman keeps its address allocated to its own infra container. It was not running,
        // so nothing is lost by making it afresh from the plan.
        onStep(`pod ${plan.pod.name} does not start (${(error as Error).message}); creating it afresh`);
        await engine.pods.remove(plan.pod.name);
        await createPod(engine, plan, undefined, onStep);
        await releaseStalePorts(engine, plan, onStep);
        await engine.pods.start(plan.pod.name);
      });
    }
    // The previous pod's secrets are no longer needed once its replacement runs.
    await Promise.all([
      files.commit(),
      plan.pod.action !== 'unchanged' ? removePodSecrets(engine, plan.pod.name, [...plan.container.secrets, ...(plan.front?.secrets ?? [])].map((m) => m.source)) : undefined,
    ]);
    return { pod: plan.pod.name, action: plan.pod.action, filesWritten: files.paths };
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    if (replaced) throw await putBack(engine, replaced, error, onStep);
    if (replacedMembers) throw await putBackMembers(engine, plan, replacedMembers, error, onStep);
    throw error;
  } finally {
    await release();
  }
}

/**
 * The plan's network when it plans one and there is none yet (checked again here: pods of one
 * cluster are planned together and share it). Returns how to remove it, when this call made it.
 */
export async function createPlannedNetwork(engine: PodEngine, plan: MachinePlan, onStep: (line: string) => void): Promise<(() => Promise<void>) | undefined> {
  if (plan.network.action !== 'create' || (await engine.networks.exists(plan.network.name))) return undefined;
  onStep(`creating network ${plan.network.name}`);
  const cluster = plan.pod.labels[LABEL_CLUSTER];
  await engine.networks.create(plan.network.name, toolLabels(cluster ? { [LABEL_CLUSTER]: cluster } : {}));
  return () => engine.networks.remove(plan.network.name);
}

/**
 * Right before the pod starts, when every pod this run removed is gone: a host port of the plan
 * still captured by netavark rules of a container Podman no longer has (the engine was killed
 * while such a pod started) would send the new pod's traffic nowhere. Those rules are deleted
 * as netavark's own teardown would have (src/engine/stale-port-rules.ts says why Podman cannot).
 */
async function releaseStalePorts(engine: PodEngine, plan: MachinePlan, onStep: (line: string) => void): Promise<void> {
  await engine.releaseStalePortRules(plan.pod.ports.map((port) => port.hostPort), onStep);
}

/** The plan's pod and its members, not started. */
async function createPod(engine: PodEngine, plan: MachinePlan, keep: { ip: string | undefined; mac: string | undefined } | undefined, onStep: (line: string) => void): Promise<void> {
  onStep(`creating pod ${plan.pod.name} (hostname ${plan.pod.hostname})`);
  await engine.pods.create({
    name: plan.pod.name,
    hostname: plan.pod.hostname,
    network: plan.network.name,
    aliases: plan.pod.aliases,
    ports: plan.pod.ports,
    labels: plan.pod.labels,
    staticIp: keep?.ip,
    staticMac: keep?.ip ? keep.mac : undefined,
  });
  await createMembers(engine, plan, onStep);
}

/** The plan's members in its pod, not started. */
async function createMembers(engine: PodEngine, plan: MachinePlan, onStep: (line: string) => void): Promise<void> {
  for (const member of podMembers(plan)) {
    if (member.name === plan.front?.name) onStep(`adding the front ${plan.front.image}`);
    await engine.containers.createReplacing({ ...member, pod: plan.pod.name });
  }
}

/**
 * The plan's members: the service, then its front. Each carries the pod's labels, which the
 * service's then speak for the pod (runningLabels) once its members alone are replaced.
 */
function podMembers(plan: MachinePlan): Omit<ContainerSpec, 'pod'>[] {
  const { name, image, env, mounts, secrets } = plan.container;
  return [{ name, image, env, mounts, secrets }, ...(plan.front ? [plan.front] : [])].map((member) => ({ ...member, labels: plan.pod.labels }));
}

/**
 * Waits for work started together and fails with the first failure in the order given, not the
 * first in time: which error a run reports does not depend on which answer came first.
 */
async function settledInOrder(work: Promise<unknown>[]): Promise<void> {
  for (const result of await Promise.allSettled(work)) {
    if (result.status === 'rejected') throw result.reason;
  }
}

/**
 * The pod this run replaced, created again from what it was (the previous files are already
 * back), so a replacement that fails after the old pod went leaves the old one serving.
 */
async function putBack(engine: PodEngine, previous: PodBlueprint, cause: unknown, onStep: (line: string) => void): Promise<DhError> {
  const name = previous.pod.name;
  onStep(`putting the previous pod ${name} back`);
  try {
    await removeIfPresent(engine, name);
    await createFromBlueprint(engine, previous);
    return withOutcome(cause, previous.running ? 'the previous pod was put back and is running' : 'the previous pod was put back, stopped as it was');
  } catch (putBackError) {
    await removeIfPresent(engine, name).catch(() => undefined);
    return withOutcome(cause, `putting the previous pod back failed too (${(putBackError as Error).message}); running the command again creates the pod anew`);
  }
}

/**
 * The members a replace-containers removed, made again from what they were (the previous files
 * and secrets are still there) in the pod that never went, and started: it serves as before.
 */
async function putBackMembers(engine: PodEngine, plan: MachinePlan, previous: PodBlueprint['containers'], cause: unknown, onStep: (line: string) => void): Promise<DhError> {
  const pod = plan.pod.name;
  onStep(`putting the previous containers of pod ${pod} back`);
  const names = [...new Set([...podMembers(plan), ...previous].map((member) => member.name))];
  try {
    await Promise.all(names.map((name) => engine.containers.removeIfPresent(name)));
    for (const member of previous) await engine.containers.createReplacing({ ...member, pod });
    await Promise.all(previous.map((member) => engine.containers.start(member.name)));
    return withOutcome(cause, 'the previous containers were put back and are running');
  } catch (putBackError) {
    return withOutcome(cause, `putting the previous containers back failed too (${(putBackError as Error).message}); running the command again creates the pod anew`);
  }
}

/** The run's error, Podman's own words and code kept, with what became of the previous pod. */
function withOutcome(cause: unknown, outcome: string): DhError {
  const error = isDhError(cause) ? cause : runtimeError('REPLACE_FAILED', (cause as Error).message);
  return new DhError(error.code, ExitCode.runtime, `${error.message}; ${outcome}`, { subject: error.subject, fix: error.fix, details: error.details, cause });
}

/** The pod, or all its members, went between the plan and now (another run, or by hand). */
function podGone(plan: MachinePlan): DhError {
  return runtimeError('PLAN_STALE', `pod ${plan.pod.name} or its containers are gone since this run planned`, {
    subject: plan.pod.name,
    fix: 'run the command again: it plans from what exists now',
  });
}

async function removeIfPresent(engine: PodEngine, name: string): Promise<void> {
  if (await engine.pods.inspect(name)) await engine.pods.remove(name);
}

/**
 * The lock is taken when applying, so another run may have created the pod or its files after
 * this one planned to create them (two first starts at once). Those assumptions are checked
 * again under the lock: a plan made on a stale view is refused, never applied over the other
 * run's pod and secrets.
 */
async function refuseStalePlan(engine: PodEngine, plan: MachinePlan): Promise<void> {
  const stale = (what: string) =>
    runtimeError('PLAN_STALE', `${what} since this run planned; another dh-podman run changed pod ${plan.pod.name}`, {
      subject: plan.pod.name,
      fix: 'run the command again: it plans from what exists now',
    });
  if (plan.pod.action === 'create' && (await engine.pods.inspect(plan.pod.name)) !== undefined) throw stale('the pod was created');
  for (const file of plan.derived.files) {
    if (file.action === 'create' && (await pathExists(file.hostPath))) throw stale(`${file.hostPath} was written`);
  }
}

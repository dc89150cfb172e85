import { chown, mkdir, readFile, rm } from 'node:fs/promises';
import { pathExists, writeFileAtomic } from '../base/atomic-write.js';
import { runtimeError } from '../base/errors.js';
import type { Engine } from '../engine/engine.js';
import { LABEL_CLUSTER, toolLabels } from '../engine/labels.js';
import { SERVICE_UID } from './layout.js';
import { acquireLock } from './lock.js';
import type { MachinePlan } from './machine-plan.js';

export interface ApplyResult {
  pod: string;
  action: MachinePlan['pod']['action'];
  filesWritten: string[];
}

/**
 * Carries out a plan. What this run creates (files, network, pod) is undone if a later step
 * fails, so a failed start leaves no orphan pod, container or network and the previous files.
 */
export async function applyMachinePlan(engine: Engine, plan: MachinePlan, onStep: (line: string) => void = () => undefined): Promise<ApplyResult> {
  const release = await acquireLock(plan.paths.lock, `pod ${plan.pod.name}`);
  const undo: (() => Promise<unknown>)[] = [];
  const filesWritten: string[] = [];
  try {
    if (!plan.changes) return { pod: plan.pod.name, action: 'unchanged', filesWritten };
    await refuseStalePlan(engine, plan);
    await writeFiles(plan, undo, filesWritten);

    // Checked again here: pods of one cluster are planned together and share the network.
    if (plan.network.action === 'create' && !(await engine.networks.exists(plan.network.name))) {
      onStep(`creating network ${plan.network.name}`);
      const cluster = plan.pod.labels[LABEL_CLUSTER];
      await engine.networks.create(plan.network.name, toolLabels(cluster ? { [LABEL_CLUSTER]: cluster } : {}));
      undo.push(() => engine.networks.remove(plan.network.name));
    }
    let staticIp: string | undefined;
    if (plan.pod.action === 'replace') {
      onStep(`replacing pod ${plan.pod.name} (${plan.pod.reason})`);
      // Peers (JVMs especially) cache the address a name resolved to; the new pod takes the old
      // one's, so a replaced machine stays reachable without waiting out those caches.
      staticIp = await engine.pods.address(plan.pod.name, plan.network.name).catch(() => undefined);
      await engine.pods.remove(plan.pod.name);
    }
    if (plan.pod.action === 'create' || plan.pod.action === 'replace') {
      onStep(`creating pod ${plan.pod.name} (hostname ${plan.pod.hostname})`);
      await engine.pods.create({
        name: plan.pod.name,
        hostname: plan.pod.hostname,
        network: plan.network.name,
        aliases: plan.pod.aliases,
        ports: plan.pod.ports,
        labels: plan.pod.labels,
        staticIp,
      });
      undo.push(() => engine.pods.remove(plan.pod.name));
      await engine.containers.create({
        name: plan.container.name,
        image: plan.container.image,
        pod: plan.pod.name,
        env: plan.container.env,
        mounts: plan.container.mounts,
        labels: plan.pod.labels,
      });
      if (plan.front) {
        onStep(`adding the front ${plan.front.image}`);
        await engine.containers.create({ ...plan.front, pod: plan.pod.name, labels: plan.pod.labels });
      }
    }
    if (plan.pod.action !== 'unchanged') {
      onStep(`starting pod ${plan.pod.name}`);
      await engine.pods.start(plan.pod.name);
    }
    return { pod: plan.pod.name, action: plan.pod.action, filesWritten };
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw error;
  } finally {
    await release();
  }
}

/**
 * The lock is taken when applying, so another run may have created the pod or its files after
 * this one planned to create them (two first starts at once). Those assumptions are checked
 * again under the lock: a plan made on a stale view is refused, never applied over the other
 * run's pod and secrets.
 */
async function refuseStalePlan(engine: Engine, plan: MachinePlan): Promise<void> {
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

async function writeFiles(plan: MachinePlan, undo: (() => Promise<unknown>)[], written: string[]): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  await mkdir(plan.paths.authDir, { recursive: true, mode: 0o700 });
  await mkdir(plan.paths.trustDir, { recursive: true, mode: 0o755 });
  // The service account reads the keystore through the bind mount; as root we can hand the
  // directory and its secrets to it, rootless the user namespace maps ownership instead.
  if (asRoot) await chown(plan.paths.authDir, SERVICE_UID, SERVICE_UID);
  for (const file of plan.derived.files) {
    if (file.action === 'unchanged') continue;
    const previous = await readFile(file.hostPath).catch(() => undefined);
    undo.push(() => (previous ? writeFileAtomic(file.hostPath, previous, { mode: file.mode, overwrite: true }) : rm(file.hostPath, { force: true })));
    try {
      if (file.action === 'remove') await rm(file.hostPath, { force: true });
      else {
        await writeFileAtomic(file.hostPath, file.content, { mode: file.mode, overwrite: true });
        if (asRoot && file.serviceOwned) await chown(file.hostPath, SERVICE_UID, SERVICE_UID);
      }
      written.push(file.hostPath);
    } catch (error) {
      throw runtimeError('WRITE_FAILED', `cannot write the ${file.purpose}: ${(error as Error).message}`, { subject: file.hostPath, fix: 'check --state-dir is writable' });
    }
  }
}

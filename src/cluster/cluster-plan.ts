import { readFile } from 'node:fs/promises';
import { DhError, isDhError } from '../base/errors.js';
import type { PodEngine } from '../engine/pod-engine.js';
import type { ClusterSpec, PodSpecEntry } from './cluster-file.js';
import { clusterNetwork, tlsVolumeOf } from './cluster-paths.js';
import { planIssuance, type PlannedIssue, type PlannedWrite } from './cluster-issue.js';
import { DEFAULT_IMAGE, SERVICE_PORT } from './layout.js';
import { etcdClientDir } from './etcd-material.js';
import { planEtcd, type EtcdPlan } from './etcd-plan.js';
import { checkMachine, planMachine, type MachinePlan, type MachineRequest } from './machine-plan.js';
import { refuseForeignState } from './state-marker.js';
import { CLIENT_AUTH_OF } from './tls-profile.js';

/** Everything `up -f` (or `rotate`) would do to a cluster: what `--dry-run` prints. */
export interface ClusterPlan {
  cluster: string;
  network: string;
  stateDir: string;
  /** Certificates issued by this run (a new cluster CA, leaves of generate and ca pods). */
  issues: PlannedIssue[];
  /** The cluster's own files written before the pods: the issued CA and certificates, the trust bundle. */
  writes: PlannedWrite[];
  /** One plan per pod, in the file's order. */
  machines: MachinePlan[];
  /** The cluster's etcd members, which `up` brings up before the machines. */
  etcd?: EtcdPlan | undefined;
  /** The CAs the pods trust as PEM (undefined: the images' system trust), for the health checks. */
  trustPem: string | undefined;
  changes: boolean;
}

/**
 * Checks every pod of the cluster (or of `selected`) and plans it, without writing anything:
 * the state dir's markers must name this cluster, the certificates a run would issue are issued
 * into a staging area and checked like any other, and each pod is planned against what Podman
 * holds now. Any failed check ends here, with nothing written; `up -f --dry-run`, `plan -f` and
 * `rotate --dry-run` print this plan and stop, `up -f` and `rotate` apply it.
 */
export async function planCluster(engine: PodEngine, spec: ClusterSpec, stateDir: string, selected: PodSpecEntry[] = spec.pods): Promise<ClusterPlan> {
  await refuseForeignState(stateDir, spec);
  const issuance = await planIssuance(spec, stateDir, selected);
  try {
    const checked = [];
    for (const pod of selected) {
      const machine = await checkMachine(requestFor(spec, stateDir, pod, issuance.trustFile, issuance.materialVolumes)).catch((error: unknown) => {
        throw isDhError(error) ? unstagedError(error, issuance.unstage) : error;
      });
      const findings = machine.check.findings.map((f) => ({ ...f, file: issuance.unstage(f.file), message: issuance.unstage(f.message) }));
      checked.push({ ...machine, check: { ...machine.check, findings } });
    }
    const machines: MachinePlan[] = [];
    for (const machine of checked) machines.push(await planMachine(engine, machine));
    const etcd = spec.etcd ? await planEtcd(engine, spec, stateDir, clusterNetwork(spec)) : undefined;
    const etcdChanges = etcd !== undefined && etcd.members.some((member) => member.action !== 'unchanged' || member.certificate === 'to be issued');
    return {
      cluster: spec.cluster,
      network: clusterNetwork(spec),
      stateDir,
      issues: issuance.issues,
      writes: issuance.writes,
      machines,
      ...(etcd ? { etcd } : {}),
      trustPem: issuance.trustFile ? await readFile(issuance.trustFile, 'utf8') : undefined,
      changes: etcdChanges || issuance.writes.length > 0 || machines.some((machine) => machine.changes),
    };
  } finally {
    await issuance.dispose();
  }
}

/** A check's error about a staged file, naming the file the run would write instead. */
function unstagedError(error: DhError, unstage: (text: string) => string): DhError {
  return Object.assign(new DhError(error.code, error.exitCode, unstage(error.message), { subject: error.subject && unstage(error.subject), fix: error.fix && unstage(error.fix), details: error.details, cause: error }), {
    ...('findings' in error ? { findings: error.findings } : {}),
  });
}

/**
 * One pod of the file as a machine to check and plan. `materialVolumes` names where a
 * certificate this run issues is staged: it is read from there and mounted from its TLS volume.
 */
export function requestFor(spec: ClusterSpec, stateDir: string, pod: PodSpecEntry, caCertFile: string | undefined, materialVolumes?: Map<string, string>): MachineRequest {
  const material = (entry: PodSpecEntry) => materialVolumes?.get(entry.name) ?? tlsVolumeOf(spec, stateDir, entry);
  const own = material(pod);
  return {
    hostname: pod.hostname,
    tlsVolume: tlsVolumeOf(spec, stateDir, pod),
    ...(own !== tlsVolumeOf(spec, stateDir, pod) ? { materialVolume: own } : {}),
    caCertFile,
    name: pod.name,
    image: pod.image ?? DEFAULT_IMAGE,
    ports: (pod.publish ?? []).map((port) => ({ hostPort: port, containerPort: SERVICE_PORT })),
    network: clusterNetwork(spec),
    stateDir,
    cluster: spec.cluster,
    ...(spec.envoy ? { envoy: { hostname: spec.envoy.hostname, port: spec.envoy.port, image: spec.envoy.image } } : {}),
    internalCaCertFile: spec.trust?.internalCaCertFile,
    peerTlsVolumes: spec.pods.filter((other) => other !== pod).map(material),
    ...(spec.etcd ? { etcdClientDir: etcdClientDir(stateDir, pod.name) } : {}),
    ...(spec.mtls && spec.mtls !== 'off' ? { clientAuth: CLIENT_AUTH_OF[spec.mtls] } : {}),
  };
}

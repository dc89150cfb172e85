import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { pathExists, writeFileAtomic, writeFileIfChanged } from '../base/atomic-write.js';
import type { Engine } from '../engine/engine.js';
import { LABEL_CLUSTER, LABEL_TOOL } from '../engine/labels.js';
import { issuerOf, loadCaFromDir, loadCaFromFiles, intermediatesOf } from '../pki/ca-source.js';
import { checkTlsVolume } from '../pki/check.js';
import { issueLeaf, issueRootCa } from '../pki/issue.js';
import { toPem } from '../pki/pem.js';
import type { ClusterSpec, PodSpecEntry } from './cluster-file.js';
import { clusterStatePaths, DEFAULT_IMAGE, DEFAULT_NETWORK, SERVICE_PORT } from './layout.js';
import { etcdClientDir } from './etcd-material.js';
import { etcdUp, type EtcdUpResult } from './etcd-up.js';
import { applyMachinePlan } from './machine-apply.js';
import { checkMachine, planMachine, type MachineRequest, type PodAction } from './machine-plan.js';
import { preflight } from './preflight.js';
import { removePodSecrets } from './secret-delivery.js';
import { claimClusterState } from './state-marker.js';

export interface ClusterUpResult {
  pods: { name: string; hostname: string; action: PodAction }[];
  etcd?: EtcdUpResult | undefined;
  changed: boolean;
}

export function clusterNetwork(spec: ClusterSpec): string {
  return spec.network ?? (spec.cluster ? `dh-${spec.cluster}` : DEFAULT_NETWORK);
}

/** Where a pod's certificate lives: its own tlsVolume, or one kept in the cluster's state. */
export function tlsVolumeOf(spec: ClusterSpec, stateDir: string, pod: PodSpecEntry): string {
  return pod.certificate.tlsVolume ?? clusterStatePaths(stateDir, spec.cluster).tlsVolume(pod.name);
}

/**
 * Brings a cluster file up: certificates for pods in generate/ca mode (issued once and kept,
 * reissued only when they no longer pass the checks), then every pod through the same plan and
 * apply as `start`. Every check runs before the first pod changes. The cluster's and its pods'
 * state directories are claimed first (created with their marker, see state-marker.ts).
 */
export async function clusterUp(engine: Engine, spec: ClusterSpec, stateDir: string, onStep: (line: string) => void): Promise<ClusterUpResult> {
  await claimClusterState(stateDir, spec);
  // etcd first: its members take their fixed addresses, and machines get their client files.
  const etcd = spec.etcd ? await etcdUp(engine, spec, stateDir, clusterNetwork(spec), onStep) : undefined;
  for (const pod of spec.pods) await ensureCertificate(spec, stateDir, pod, onStep);
  const trust = await clusterTrust(spec, stateDir);
  const requests = spec.pods.map((pod) => requestFor(spec, stateDir, pod, trust));
  const checked = [];
  for (const request of requests) checked.push(await checkMachine(request));
  const plans = [];
  for (const machine of checked) plans.push(await planMachine(engine, machine));
  // What can fail without touching anything (images, host ports) is asked of every pod first.
  for (const plan of plans.filter((p) => p.changes)) await preflight(engine, plan);
  const pods = [];
  for (const plan of plans) {
    const result = await applyMachinePlan(engine, plan, onStep);
    pods.push({ name: plan.pod.name, hostname: plan.pod.hostname, action: result.action });
  }
  const etcdChanged = etcd !== undefined && (etcd.issued.length > 0 || etcd.members.some((m) => m.action !== 'unchanged'));
  return { pods, ...(etcd ? { etcd } : {}), changed: etcdChanged || plans.some((plan) => plan.changes) };
}

export function requestFor(spec: ClusterSpec, stateDir: string, pod: PodSpecEntry, caCertFile: string | undefined): MachineRequest {
  return {
    hostname: pod.hostname,
    tlsVolume: tlsVolumeOf(spec, stateDir, pod),
    caCertFile,
    name: pod.name,
    image: pod.image ?? DEFAULT_IMAGE,
    ports: (pod.publish ?? []).map((port) => ({ hostPort: port, containerPort: SERVICE_PORT })),
    network: clusterNetwork(spec),
    stateDir,
    cluster: spec.cluster,
    ...(spec.envoy ? { envoy: { hostname: spec.envoy.hostname, port: spec.envoy.port, image: spec.envoy.image } } : {}),
    internalCaCertFile: spec.trust?.internalCaCertFile,
    peerTlsVolumes: spec.pods.filter((other) => other !== pod).map((other) => tlsVolumeOf(spec, stateDir, other)),
    ...(spec.etcd ? { etcdClientDir: etcdClientDir(stateDir, pod.name) } : {}),
  };
}

/**
 * The CAs every pod trusts at start: trust.caCertFile, plus the cluster CA when it issued some
 * machines' certificates, written once as the cluster's bundle so machines of both kinds trust
 * each other. Without either, the images' system trust applies, as with `start`.
 */
export async function clusterTrust(spec: ClusterSpec, stateDir: string): Promise<string | undefined> {
  const generated = spec.pods.some((pod) => pod.certificate.mode === 'generate');
  if (!generated) return spec.trust?.caCertFile;
  const parts = [await readFile(clusterCaFile(spec, stateDir), 'utf8')];
  if (spec.trust?.caCertFile) parts.unshift(await readFile(spec.trust.caCertFile, 'utf8'));
  const bundle = clusterStatePaths(stateDir, spec.cluster).trustBundle;
  await writeFileIfChanged(bundle, parts.join(''), 0o644);
  return bundle;
}

export function clusterCaDir(spec: ClusterSpec, stateDir: string): string {
  return spec.certificates?.caDir ?? clusterStatePaths(stateDir, spec.cluster).caDir;
}

export function clusterCaFile(spec: ClusterSpec, stateDir: string): string {
  return join(clusterCaDir(spec, stateDir), 'ca.crt');
}

export async function ensureCertificate(spec: ClusterSpec, stateDir: string, pod: PodSpecEntry, onStep: (line: string) => void): Promise<void> {
  if (pod.certificate.mode === 'existing') return;
  const volume = tlsVolumeOf(spec, stateDir, pod);
  const caDir = clusterCaDir(spec, stateDir);
  if (pod.certificate.mode === 'generate' && !(await pathExists(join(caDir, 'ca.crt')))) {
    onStep(`making the cluster CA in ${caDir}`);
    const ca = await issueRootCa({ commonName: `dh-podman ${spec.cluster} cluster CA` });
    await writeFileAtomic(join(caDir, 'ca.key'), ca.privateKeyPem, { mode: 0o600 });
    await writeFileAtomic(join(caDir, 'ca.crt'), ca.certificatePem, { mode: 0o644 });
  }
  const current = await checkTlsVolume({ hostname: pod.hostname, tlsVolume: volume });
  if (current.ok && !current.findings.some((f) => f.code === 'CERT_EXPIRES_SOON')) return;
  onStep(`issuing a certificate for ${pod.hostname} into ${volume}`);
  const ca = pod.certificate.mode === 'ca' ? await loadCaFromFiles(pod.certificate.caCert, pod.certificate.caKey) : await loadCaFromDir(caDir);
  const leaf = await issueLeaf(issuerOf(ca), { hostnames: [pod.hostname], ips: [], client: true });
  const chain = intermediatesOf(ca).map((cert) => toPem('CERTIFICATE', cert.der));
  await writeFileAtomic(join(volume, 'tls.key'), leaf.privateKeyPem, { mode: 0o600, overwrite: true });
  await writeFileAtomic(join(volume, 'tls.crt'), [leaf.certificatePem, ...chain].join(''), { mode: 0o644, overwrite: true });
}

/** Removes what `up` made for this cluster (found by its label) and nothing else. */
export async function clusterDown(engine: Engine, spec: ClusterSpec, onStep: (line: string) => void): Promise<{ pods: string[]; networks: string[] }> {
  const labels = { [LABEL_TOOL]: 'dh-podman', [LABEL_CLUSTER]: spec.cluster };
  const pods = await engine.pods.list(labels);
  for (const pod of pods) {
    onStep(`removing pod ${pod}`);
    await engine.pods.remove(pod);
    await removePodSecrets(engine, pod);
  }
  const networks = (await engine.networks.list(labels)).map((network) => network.name);
  for (const network of networks) {
    onStep(`removing network ${network}`);
    await engine.networks.remove(network);
  }
  return { pods, networks };
}

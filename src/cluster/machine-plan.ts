import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { inputError, runtimeError } from '../base/errors.js';
import { timed } from '../base/timing.js';
import type { PodEngine } from '../engine/pod-engine.js';
import { LABEL_CLUSTER, toolLabels } from '../engine/labels.js';
import type { Mount } from '../engine/containers.js';
import type { SecretMount } from '../engine/secrets.js';
import type { PortMapping } from '../engine/pods.js';
import { checkTlsVolume, type CheckReport } from '../pki/check.js';
import { readKeystoreMaterial } from '../trust/keystore.js';
import { buildPool, type PoolEntry } from '../trust/pool.js';
import { readSource } from '../trust/sources.js';
import type { Certificate } from '../pki/certificate.js';
import { loadPemFile } from '../pki/material.js';
import { planDerivedFiles, type DerivedFile, type DerivedInputs, type DerivedPlan } from './derived-files.js';
import { etcdClientFiles, etcdClientMounts } from './etcd-client-files.js';
import { internalIssuers } from './internal-trust.js';
import { DEFAULT_ENVOY_IMAGE, ENVOY_PORT, IN_CONTAINER, podStatePaths, SERVICE_PORT, SERVICE_UID, FRONT_UID, type PodStatePaths } from './layout.js';
import { podSubject } from './pod-subject.js';
import { secretMountsFor } from './secret-delivery.js';
import { refuseExposedKeys } from './key-exposure.js';
import { pathExists } from '../base/atomic-write.js';
import { LABEL_TLS_PROFILE, planProfileFiles, tlsProfileOf, type ClientAuth, type TlsProfile } from './tls-profile.js';
import type { KeystoreMaterial } from '../trust/keystore.js';

export interface MachineRequest {
  hostname: string;
  tlsVolume: string;
  /**
   * Where the certificate is read from for the checks when that is not yet its TLS volume: a
   * certificate this run issues, staged until the checks have passed (see cluster-issue.ts).
   */
  materialVolume?: string | undefined;
  caCertFile?: string | undefined;
  name: string;
  image: string;
  ports: PortMapping[];
  network: string;
  stateDir: string;
  /** Envoy fronts this machine: its services trust only the internal CAs among themselves. */
  envoy?: { hostname: string; port?: number; image?: string } | undefined;
  /** The internal CAs, instead of finding them from the machines' chains. */
  internalCaCertFile?: string | undefined;
  /**
   * The TLS volumes of the other machines this one calls (a cluster's other pods): their
   * issuers join the internal truststore, so machines whose certificates come from different
   * internal CAs (during a CA rollover, say) still trust each other.
   */
  peerTlsVolumes?: string[] | undefined;
  /** Set for pods of a cluster file: `down` finds them, and their network, by this label. */
  cluster?: string | undefined;
  /** Mutual TLS: the service asks clients for a certificate issued by the caCertFile CAs. */
  clientAuth?: ClientAuth | undefined;
  /** The cluster runs etcd: this machine's etcd client files (etcd-material.ts), mounted apart from its trust. */
  etcdClientDir?: string | undefined;
}

/**
 * `replace-containers`: only the pod's members (the service and its front) are made again, in
 * the running pod, whose infra container keeps its network, address and published ports. That
 * is how new files reach a pod whose settings did not change: Podman copies secrets into a
 * container when it is created, so new key material needs new containers, not a new pod.
 */
export type PodAction = 'create' | 'replace' | 'replace-containers' | 'start' | 'unchanged';
export type TrustSource = 'system' | 'truststore-iris' | 'internal';

export const LABEL_POD_CONFIG = 'io.dh-podman.config';
export const LABEL_HOSTNAME = 'io.dh-podman.hostname';
export const LABEL_TRUST = 'io.dh-podman.trust';
export const LABEL_TLS_VOLUME = 'io.dh-podman.tls-volume';
export const LABEL_CERT_NOT_AFTER = 'io.dh-podman.cert-not-after';
export const LABEL_STATE_DIR = 'io.dh-podman.state-dir';
/** A digest of the derived files the pod was started with (see filesDigest). */
export const LABEL_FILES = 'io.dh-podman.files';

export interface MachinePlan {
  request: MachineRequest;
  paths: PodStatePaths;
  check: CheckReport;
  derived: DerivedPlan;
  trust: TrustSource;
  /** Which TLS files the image reads (its io.dh-podman.tls-profile label). */
  profile: TlsProfile;
  network: { name: string; action: 'create' | 'exists' };
  pod: { name: string; hostname: string; aliases: string[]; ports: PortMapping[]; labels: Record<string, string>; action: PodAction; reason: string };
  container: { name: string; image: string; imageId: string; env: Record<string, string>; mounts: Mount[]; secrets: SecretMount[] };
  /** The Envoy front (or its stand-in) beside the service, in the same pod. */
  front: { name: string; image: string; env: Record<string, string>; mounts: Mount[]; secrets: SecretMount[]; user: string } | undefined;
  /** Whether applying would change anything at all. */
  changes: boolean;
}

/** What the inputs say, checked, before Podman is asked anything. */
export interface CheckedMachine {
  request: MachineRequest;
  tlsVolume: string;
  check: CheckReport;
  paths: PodStatePaths;
  /** Planned for the enterprise profile: the image, which may ask for another, is not known yet. */
  derived: DerivedPlan;
  /** What the derived files are made from, for planning them again for the image's profile. */
  inputs: DerivedInputs;
  trust: TrustSource;
  hasTruststore: boolean;
}

/**
 * The certificate rules and the derived files, from the inputs alone: bad input ends here with
 * an error (exit 3) and the engine is never contacted.
 */
export async function checkMachine(request: MachineRequest): Promise<CheckedMachine> {
  const tlsVolume = resolve(request.tlsVolume);
  const material = resolve(request.materialVolume ?? request.tlsVolume);
  // Client certificates are verified against named CAs, never silently against the system's.
  if (request.clientAuth && !request.caCertFile) {
    throw inputError('MTLS_NEEDS_CA', 'mutual TLS needs the CAs whose client certificates the service accepts', {
      subject: podSubject(request.name, 'client certificates'),
      fix: 'give a CA file with the CA that issues your clients\' certificates',
    });
  }
  // The front calls its machine without a client certificate (Envoy's upstream TLS has none),
  // so a machine that needs one would refuse every request the front forwards.
  if (request.clientAuth === 'needed' && request.envoy) {
    throw inputError('MTLS_NEED_WITH_ENVOY', 'the Envoy front presents no client certificate to its machine, which would refuse every request it forwards', {
      subject: podSubject(request.name, 'client certificates'),
      fix: 'use want with an Envoy front, or run without the front',
    });
  }
  const check = await timed('certificate checks', () => checkTlsVolume({ hostname: request.hostname, tlsVolume: material, caCertFile: request.caCertFile, envoyHostname: request.envoy?.hostname, mtls: request.clientAuth !== undefined }));
  if (!check.ok) throw checkFailed(check);
  await refuseExposedKeys(material, ['tls.key', 'envoy.pem']);

  const { material: keystore } = await timed('reading key and chain', () => readKeystoreMaterial(material, request.hostname));
  const cas = request.caCertFile ? await readCas(request.caCertFile) : undefined;
  const internalCas = request.envoy ? await internalCasFor(request, keystore!.chain, cas) : undefined;
  const paths = podStatePaths(resolve(request.stateDir), request.name);
  const front = request.envoy ? await frontInputs(request, material) : undefined;
  const inputs: DerivedInputs = { paths, keystore: keystore!, cas, internalCas, front, clientAuth: request.clientAuth };
  const derived = await timed('planning the derived files', () => planDerivedFiles(inputs));
  const trust: TrustSource = internalCas ? 'internal' : cas ? 'truststore-iris' : 'system';
  return { request, tlsVolume, check, paths, derived, inputs, trust, hasTruststore: cas !== undefined || internalCas !== undefined };
}

/** What Podman holds now of what a machine request names: its image, its pod, its network, its front's image. */
export type MachineState = Awaited<ReturnType<typeof readMachineState>>;

/**
 * Asks Podman for what the request names, all at once: none of these answers depends on
 * another, nor on the certificate checks, so a caller may ask while the checks still run.
 */
export function readMachineState(engine: PodEngine, request: Pick<MachineRequest, 'image' | 'name' | 'network' | 'envoy'>) {
  return Promise.all([
    engine.images.inspect(request.image),
    engine.pods.inspect(request.name),
    engine.containers.inspect(serviceContainerName(request.name)),
    engine.networks.exists(request.network),
    request.envoy ? engine.images.exists(request.envoy.image ?? DEFAULT_ENVOY_IMAGE) : Promise.resolve(true),
  ]);
}

/**
 * Everything `start` will do, from the checked inputs and what Podman and the disk hold now.
 * Nothing is created or written here. `state`: what readMachineState gave for this request,
 * when the caller asked already.
 */
export async function planMachine(engine: PodEngine, checked: CheckedMachine, state?: MachineState): Promise<MachinePlan> {
  const { request, tlsVolume, check, paths, trust } = checked;
  const [image, existing, service, networkExists, frontImageExists] = state ?? (await readMachineState(engine, request));
  if (!image) {
    throw runtimeError('IMAGE_MISSING', `the image ${request.image} does not exist`, {
      subject: podSubject(request.name, 'image'),
      fix: 'build it with "dh-podman build", or name an image you have',
    });
  }
  const profile = tlsProfileOf(image.labels, request.image, podSubject(request.name, 'image'));
  const profileFiles = profile === 'enterprise' ? checked.derived : await planProfileFiles(profile, checked.inputs);
  const derived = request.etcdClientDir ? { ...profileFiles, files: [...profileFiles.files, ...(await etcdClientFiles(request.etcdClientDir))] } : profileFiles;
  if (request.envoy && !frontImageExists) {
    throw runtimeError('IMAGE_MISSING', `the front image ${request.envoy.image ?? DEFAULT_ENVOY_IMAGE} does not exist`, {
      subject: podSubject(request.name, 'front image'),
      fix: 'pull it, or use the stand-in built from images/front: localhost/dh-podman/front:latest',
    });
  }
  // The auth directory is not mounted: its files arrive as Podman secrets (secret-delivery.ts).
  const mounts: Mount[] = [
    { source: tlsVolume, destination: IN_CONTAINER.tlsDir, readOnly: true },
    ...(checked.hasTruststore ? [{ source: paths.trustDir, destination: IN_CONTAINER.trustDir, readOnly: true }] : []),
    { source: paths.properties, destination: IN_CONTAINER.properties, readOnly: true },
    ...(request.etcdClientDir ? etcdClientMounts(request.etcdClientDir) : []),
  ];
  const env = { DH_JAVA_OPTS: derived.javaOpts };
  const digest = filesDigest(derived);
  // The service account gets its own secrets and not the front's; the front, under a uid of its
  // own, gets only its keystore and that keystore's passphrase.
  const secrets = podSecretMounts(request.name, digest, derived.files, profile).service;
  const frontContainer = request.envoy
    ? {
        ...frontContainerSpec(request, mounts, paths),
        user: `${FRONT_UID}:${FRONT_UID}`,
        secrets: podSecretMounts(request.name, digest, derived.files, profile).front,
      }
    : undefined;
  // Secret names carry the files' digest, which LABEL_FILES compares on its own: left out here,
  // new certificates read as what they are, not as changed settings.
  const unnamed = (list: SecretMount[]) => list.map(({ source: _source, ...mount }) => mount);
  const podConfig = {
    hostname: request.hostname,
    network: request.network,
    ports: request.ports,
    imageId: image.id,
    mounts,
    env,
    front: frontContainer ? { ...frontContainer, secrets: unnamed(frontContainer.secrets) } : undefined,
    secrets: unnamed(secrets),
  };
  const configDigest = createHash('sha256').update(JSON.stringify(podConfig)).digest('hex').slice(0, 16);
  const labels = toolLabels({
    [LABEL_POD_CONFIG]: configDigest,
    [LABEL_FILES]: digest,
    [LABEL_HOSTNAME]: request.hostname,
    [LABEL_TRUST]: trust,
    [LABEL_TLS_PROFILE]: profile,
    [LABEL_TLS_VOLUME]: tlsVolume,
    [LABEL_STATE_DIR]: paths.root,
    ...(request.cluster ? { [LABEL_CLUSTER]: request.cluster } : {}),
    ...(check.leaf ? { [LABEL_CERT_NOT_AFTER]: check.leaf.notAfter } : {}),
  });

  const filesChanged = derived.files.some((file) => file.action !== 'unchanged');
  const members = [serviceContainerName(request.name), ...(frontContainer ? [frontContainer.name] : [])];
  const missing = members.filter((member) => !existing?.containers.some((container) => container.name === member));
  const running = existing ? runningLabels(existing.labels, service?.labels) : {};
  // A run stopped after writing the files but before replacing the containers (killed, say)
  // leaves the files as planned and the pod on the ones before; the label tells them apart.
  // Pods made before the label existed have none and are taken as matching.
  const startedWith = running[LABEL_FILES];
  let action: PodAction;
  let reason: string;
  if (!existing) [action, reason] = ['create', 'no such pod yet'];
  else if (running[LABEL_POD_CONFIG] !== configDigest) [action, reason] = ['replace', 'its settings or image changed'];
  else if (missing.length > 0) [action, reason] = ['replace', `it has no container ${missing.join(', ')} (an interrupted run)`];
  else if (filesChanged || (startedWith !== undefined && startedWith !== labels[LABEL_FILES])) {
    // Only the files differ: the pod (its network, address, ports) stays when its infra runs;
    // a stopped pod is made afresh, as its network attachment is gone with it.
    [action, reason] = [infraRuns(existing.state) ? 'replace-containers' : 'replace', 'its certificates or trust changed'];
  }
  else if (existing.state !== 'Running') [action, reason] = ['start', `it is ${existing.state.toLowerCase()}`];
  else [action, reason] = ['unchanged', 'running with these settings'];
  if (existing && existing.labels['io.dh-podman.tool'] !== 'dh-podman') {
    throw runtimeError('POD_NOT_OURS', `a pod named ${request.name} exists and was not made by dh-podman`, {
      subject: podSubject(request.name, 'pod name'),
      fix: 'choose another pod name, or remove that pod yourself',
    });
  }
  return {
    request,
    paths,
    check,
    derived,
    trust,
    profile,
    network: { name: request.network, action: networkExists ? 'exists' : 'create' },
    pod: { name: request.name, hostname: request.hostname, aliases: [request.hostname], ports: request.ports, labels, action, reason },
    container: { name: serviceContainerName(request.name), image: request.image, imageId: image.id, env, mounts, secrets },
    front: frontContainer,
    changes: action !== 'unchanged' || filesChanged || !networkExists,
  };
}

/** The pod's service container: the one `logs` reads and whose labels say what the pod runs with. */
export function serviceContainerName(pod: string): string {
  return `${pod}-svc`;
}

/**
 * What a pod runs with, from its labels: the service container's when it has them, as a
 * replace-containers leaves the pod's (immutable) labels as they were when it was created; the
 * pod's fill in for pods an earlier version made, whose service container may lack them.
 */
export function runningLabels(podLabels: Record<string, string>, serviceLabels: Record<string, string> | undefined): Record<string, string> {
  return { ...podLabels, ...serviceLabels };
}

/** Whether a plan with this action finds the pod running with the plan's settings, or leaves it so. */
function runsAsPlanned(action: PodAction): boolean {
  return action === 'unchanged' || action === 'replace-containers';
}

/** Podman's pod states in which the infra container (the network namespace) runs. */
function infraRuns(state: string): boolean {
  return state === 'Running' || state === 'Degraded';
}

/**
 * The service account gets its own secrets and not the front's; the front, under a uid of its
 * own, gets only its keystore and that keystore's passphrase. The names carry `digest`, the
 * files' digest: a secret's name fixes its contents.
 */
export function podSecretMounts(pod: string, digest: string, files: DerivedFile[], profile: TlsProfile): { service: SecretMount[]; front: SecretMount[] } {
  // The community service reads PEM files only: the front keystore's passphrase is the front's alone.
  const serviceReads = (path: string) => path !== IN_CONTAINER.frontKeystore && !(profile === 'community' && path === IN_CONTAINER.keystorePassphrase);
  return {
    service: secretMountsFor(pod, digest, files, SERVICE_UID, serviceReads),
    front: secretMountsFor(pod, digest, files, FRONT_UID, (path) => path === IN_CONTAINER.frontKeystore || path === IN_CONTAINER.keystorePassphrase),
  };
}

/**
 * The derived files' planned bytes, as one short digest: a pod labelled with it was started
 * with exactly these files. A one-way hash of files that include 256-bit random passphrases
 * tells nothing about them.
 */
export function filesDigest(derived: DerivedPlan): string {
  const hash = createHash('sha256');
  for (const file of derived.files.filter((f) => f.action !== 'remove')) hash.update(`${file.containerPath}\0`).update(file.content).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** What the front presents: envoy.pem when the volume has one, else the machine's own pair. */
async function frontInputs(request: MachineRequest, tlsVolume: string): Promise<{ material: KeystoreMaterial; envoyConfig: string }> {
  const hasEnvoyPem = await pathExists(`${tlsVolume}/envoy.pem`);
  const files = hasEnvoyPem ? { chain: 'envoy.pem', key: 'envoy.pem' } : { chain: 'tls.crt', key: 'tls.key' };
  const { material } = await readKeystoreMaterial(tlsVolume, request.envoy!.hostname, files);
  // Loaded on use, with its YAML writer: most pods have no Envoy, and start-up time is the
  // operator's wait.
  const { envoyBootstrap } = await import('./envoy-config.js');
  const envoyConfig = envoyBootstrap({
    frontHostname: request.envoy!.hostname,
    listenPort: request.envoy!.port ?? ENVOY_PORT,
    frontCertificate: { chain: `${IN_CONTAINER.tlsDir}/${files.chain}`, key: `${IN_CONTAINER.tlsDir}/${files.key}` },
    internalCaFile: IN_CONTAINER.truststoreInternalPem,
    upstreams: [{ hostname: request.hostname, port: SERVICE_PORT }],
  });
  return { material: material!, envoyConfig };
}

/**
 * The front container. The upstream Envoy image reads /etc/envoy/envoy.yaml; the stand-in
 * (images/front) reads the same settings as -D options. Each ignores what is the other's.
 */
export function frontContainerSpec(request: MachineRequest, serviceMounts: Mount[], paths: PodStatePaths) {
  const options = {
    'probe.port': String(request.envoy!.port ?? ENVOY_PORT),
    'probe.upstream': `https://${request.hostname}:${SERVICE_PORT}`,
    'probe.hostname': request.envoy!.hostname,
    'tls.keystore': IN_CONTAINER.frontKeystore,
    'tls.passphrase.file': IN_CONTAINER.keystorePassphrase,
    // A fronted machine always has an internal truststore, whichever TLS profile its service has.
    'internal.tls.truststore': IN_CONTAINER.truststoreInternal,
    'tls.truststore.passphrase.file': IN_CONTAINER.truststorePassphrase,
  };
  return {
    name: `${request.name}-front`,
    image: request.envoy!.image ?? DEFAULT_ENVOY_IMAGE,
    env: { DH_JAVA_OPTS: Object.entries(options).map(([key, value]) => `-D${key}=${value}`).join(' ') },
    mounts: [...serviceMounts, { source: paths.envoyConfig, destination: IN_CONTAINER.envoyConfig, readOnly: true }],
  };
}

/**
 * The internal truststore's CAs: exactly those of --internal-ca-cert-file, or else the issuers
 * of the machines' certificates (this one's and its peers'), each found in its chain or in the
 * --ca-cert-file bundle.
 */
async function internalCasFor(request: MachineRequest, chain: Certificate[], cas: PoolEntry[] | undefined): Promise<PoolEntry[]> {
  if (request.internalCaCertFile) return readCas(request.internalCaCertFile);
  const chains = [{ file: `${request.tlsVolume}/tls.crt`, chain }];
  for (const volume of request.peerTlsVolumes ?? []) {
    // The peer's own checks (symlinks, key, SAN) run when that machine is checked; here only its chain is read.
    const { material, findings } = await loadPemFile(`${volume}/tls.crt`);
    const error = findings.find((f) => f.severity === 'error');
    if (error || !material) {
      throw inputError(error?.code ?? 'FILE_MISSING', error?.message ?? 'holds no certificate', {
        subject: error?.file ?? `${volume}/tls.crt`,
        fix: error?.fix ?? "put the peer machine's certificate chain in its TLS volume",
      });
    }
    chains.push({ file: material.file, chain: material.certificates });
  }
  const issuers = internalIssuers(chains, (cas ?? []).map((entry) => entry.certificate));
  return buildPool([{ name: 'tls.crt', certificates: issuers, holdsPrivateKey: false }]).entries;
}

async function readCas(caCertFile: string): Promise<PoolEntry[]> {
  const source = await readSource({ kind: 'file', path: caCertFile });
  const pool = buildPool(source.contents ? [source.contents] : []);
  const errors = [...source.findings, ...pool.findings].filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    const first = errors[0]!;
    throw inputError(first.code, first.message, { subject: first.file, fix: first.fix });
  }
  return pool.entries;
}

/** The first error names the problem; `cert check` lists them all. */
function checkFailed(check: CheckReport) {
  const errors = check.findings.filter((f) => f.severity === 'error');
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more: ${errors.slice(1).map((e) => e.code).join(', ')})` : '';
  return Object.assign(
    inputError(first.code, `${first.message}${more}`, { subject: first.file, fix: `${first.fix}; run "dh-podman cert check" for every finding` }),
    { findings: check.findings },
  );
}

/**
 * The same pod with some of its derived files' contents replaced (undefined: the file removed),
 * recreated with them. Secrets are named by the files' digest and never rewritten under a name:
 * other contents go in under their own names. A pod that runs with the plan's settings (the
 * plan leaves it unchanged or replaces only its containers) gets new containers in place;
 * others, and every pod when `wholePod` says so, are replaced whole.
 */
export function planWithFiles(plan: MachinePlan, contents: Map<string, Buffer | undefined>, reason: string, options: { wholePod?: boolean } = {}): MachinePlan {
  const files = plan.derived.files.map((file) => {
    if (!contents.has(file.hostPath)) return file;
    const content = contents.get(file.hostPath);
    return content ? { ...file, action: 'update' as const, content } : { ...file, action: 'remove' as const };
  });
  const derived = { ...plan.derived, files };
  const digest = filesDigest(derived);
  const secrets = podSecretMounts(plan.pod.name, digest, files, plan.profile);
  return {
    ...plan,
    derived,
    network: { ...plan.network, action: 'exists' },
    pod: { ...plan.pod, labels: { ...plan.pod.labels, [LABEL_FILES]: digest }, action: !options.wholePod && runsAsPlanned(plan.pod.action) ? 'replace-containers' : 'replace', reason },
    container: { ...plan.container, secrets: secrets.service },
    front: plan.front ? { ...plan.front, secrets: secrets.front } : undefined,
    changes: true,
  };
}

import { pathExists } from '../base/atomic-write.js';
import { isDhError } from '../base/errors.js';
import type { Engine } from '../engine/engine.js';
import type { ClusterSpec, PodSpecEntry } from './cluster-file.js';
import { clusterNetwork, tlsVolumeOf } from './cluster-up.js';
import { etcdPaths } from './etcd-doctor.js';
import { clusterStatePaths, IN_CONTAINER, podStatePaths, SERVICE_PORT } from './layout.js';
import { fromOpenssl, handshakeFromHost, opensslCommand, type Reach } from './tls-reach.js';
import { explainFailure, type Presenter, type Verifier } from './trust-explain.js';

/** One trust path of a running cluster: who calls whom, and whether the handshake verified. */
export interface TrustPath {
  from: string;
  to: string;
  /**
   * host: this host with the cluster's client bundle; machine: one pod's service calling another;
   * front: a pod's front calling its machine; etcd: an etcd client certificate at a member.
   */
  kind: 'host' | 'machine' | 'front' | 'etcd';
  /** What was dialled: hostname:port (and the address, from the host). */
  target: string;
  ok: boolean;
  reason?: string;
  fix?: string;
}

export interface TrustDoctorReport {
  ok: boolean;
  cluster: string;
  /** The CAs a client of the cluster trusts (what the host checks with); undefined: the system's. */
  clientBundle: string | undefined;
  paths: TrustPath[];
}

/**
 * Checks every trust path of a cluster `up -f` brought up, live: the host to each machine with
 * the cluster's client bundle; each machine to each other one, from inside the calling pod with
 * the truststore it really has; each front to its machine. A path that fails is explained from
 * the certificates and truststores dh-podman derived (which CA is missing from which
 * truststore, which name is not in which SAN, what expired), not from OpenSSL's words alone.
 */
export async function runTrustDoctor(engine: Engine, spec: ClusterSpec, stateDir: string, clusterFile: string): Promise<TrustDoctorReport> {
  const rotate = `dh-podman rotate -f ${clusterFile}`;
  const bundle = await clientBundle(spec, stateDir);
  const paths: TrustPath[] = [];
  const host: Verifier = { who: 'the host', truststore: bundle, source: 'trust.caCertFile' };
  for (const pod of spec.pods) paths.push(await hostToMachine(engine, spec, stateDir, host, pod, rotate));
  for (const from of spec.pods) {
    for (const to of spec.pods.filter((other) => other !== from)) {
      const verifier = machineVerifier(spec, stateDir, from, bundle);
      const reach = await inContainer(engine, `${from.name}-svc`, to.hostname, verifier.inContainer);
      paths.push(await judge({ from: from.name, to: to.name, kind: 'machine', target: `${to.hostname}:${SERVICE_PORT}` }, reach, verifier, presenter(spec, stateDir, to), `${from.name}-svc`, rotate));
    }
  }
  if (spec.envoy) {
    for (const pod of spec.pods) {
      const verifier = machineVerifier(spec, stateDir, pod, bundle);
      const reach = await inContainer(engine, `${pod.name}-front`, pod.hostname, verifier.inContainer);
      paths.push(await judge({ from: `${pod.name} front`, to: pod.name, kind: 'front', target: `${pod.hostname}:${SERVICE_PORT}` }, reach, { ...verifier, who: `${pod.name}'s front` }, presenter(spec, stateDir, pod), `${pod.name}-front`, rotate));
    }
  }
  for (const path of await etcdPaths(spec, stateDir, clusterFile)) paths.push({ ...path, kind: 'etcd' });
  return { ok: paths.every((path) => path.ok), cluster: spec.cluster, clientBundle: bundle, paths };
}

/** What clients trust: the cluster's bundle once `up` wrote one (it adds the cluster CA), else trust.caCertFile. */
async function clientBundle(spec: ClusterSpec, stateDir: string): Promise<string | undefined> {
  const bundle = clusterStatePaths(stateDir, spec.cluster).trustBundle;
  const generated = spec.pods.some((pod) => pod.certificate.mode === 'generate');
  return generated && (await pathExists(bundle)) ? bundle : spec.trust?.caCertFile;
}

async function hostToMachine(engine: Engine, spec: ClusterSpec, stateDir: string, host: Verifier, pod: PodSpecEntry, rotate: string): Promise<TrustPath> {
  const published = pod.publish?.[0];
  const address = published !== undefined ? '127.0.0.1' : await engine.pods.address(pod.name, clusterNetwork(spec)).catch(() => undefined);
  const port = published ?? SERVICE_PORT;
  const row = { from: 'host', to: pod.name, kind: 'host' as const, target: `${pod.hostname}:${port} at ${address ?? '?'}` };
  const reach: Reach = address === undefined
    ? { ok: false, unreachable: true, detail: `pod ${pod.name} has no address on ${clusterNetwork(spec)} (not running?)` }
    : await handshakeFromHost({ address, port, hostname: pod.hostname, caFile: host.truststore });
  return judge(row, reach, host, presenter(spec, stateDir, pod), pod.name, rotate);
}

/** The truststore a pod's service and front verify peers with: internal with Envoy, else iris, else the image's. */
function machineVerifier(spec: ClusterSpec, stateDir: string, pod: PodSpecEntry, bundle: string | undefined): Verifier & { inContainer: string | undefined } {
  const paths = podStatePaths(stateDir, pod.name);
  if (spec.envoy) {
    const source = spec.trust?.internalCaCertFile ? 'trust.internalCaCertFile' : "trust.internalCaCertFile (today: the issuers found in the pods' chains)";
    return { who: pod.name, truststore: paths.truststoreInternalPem, source, inContainer: IN_CONTAINER.truststoreInternalPem };
  }
  if (bundle) return { who: pod.name, truststore: paths.truststoreIrisPem, source: 'trust.caCertFile', inContainer: IN_CONTAINER.truststoreIrisPem };
  return { who: pod.name, truststore: undefined, source: "the images' system trust (dh-podman build --ca-cert-file)", inContainer: undefined };
}

function presenter(spec: ClusterSpec, stateDir: string, pod: PodSpecEntry): Presenter {
  return { who: pod.name, hostname: pod.hostname, tlsVolume: tlsVolumeOf(spec, stateDir, pod) };
}

async function inContainer(engine: Engine, container: string, hostname: string, caFile: string | undefined): Promise<Reach | { ok: false; noExec: string }> {
  try {
    const result = await engine.exec(container, opensslCommand(hostname, SERVICE_PORT, caFile));
    return fromOpenssl(result.exitCode, result.output);
  } catch (error) {
    return { ok: false, noExec: isDhError(error) ? error.message : String(error) };
  }
}

async function judge(row: Omit<TrustPath, 'ok'>, reach: Reach | { ok: false; noExec: string }, verifier: Verifier, to: Presenter, caller: string, rotate: string): Promise<TrustPath> {
  if (reach.ok) return { ...row, ok: true };
  if ('noExec' in reach) return { ...row, ok: false, reason: `cannot run the check in ${caller}: ${reach.noExec}`, fix: `bring the cluster up first: ${rotate.replace('rotate', 'up')}` };
  if (reach.unreachable) return { ...row, ok: false, reason: `unreachable: ${reach.detail}`, fix: `check that ${to.who} runs and listens: dh-podman status, dh-podman logs ${to.who}` };
  const explained = await explainFailure(verifier, to, { rotate }).catch(() => undefined);
  if (explained) return { ...row, ok: false, ...explained };
  return { ...row, ok: false, reason: `the handshake failed: ${reach.detail}`, fix: `see dh-podman logs ${to.who}` };
}

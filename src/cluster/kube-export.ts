import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigMap } from 'kubernetes-models/v1';
import { stringify } from 'yaml';
import { DhError, ExitCode, inputError } from '../base/errors.js';
import type { ClusterSpec } from './cluster-file.js';
import { planIssuance, writePlanned } from './cluster-issue.js';
import { requestFor } from './cluster-plan.js';
import { kubePod, type KubeObject } from './kube-pod.js';
import { kubeService } from './kube-service.js';
import { DEFAULT_IMAGE, ENVOY_PORT } from './layout.js';
import { checkMachine, type CheckedMachine } from './machine-plan.js';
import { kubeUnit } from './systemd-unit.js';
import { planProfileFiles, type TlsProfile } from './tls-profile.js';
import { BUNDLE_KEY, TrustManagerBundle } from './trust-manager-bundle.js';

export interface KubeExport {
  /** The multi-document YAML: Secrets, ConfigMaps and Pods, every one schema-valid. */
  yaml: string;
  objects: (KubeObject | TrustManagerBundle)[];
  unit: { name: string; text: string };
}

/**
 * The cluster as Kubernetes objects, from the same checks and derived files as `up`: what runs
 * under `podman kube play` (or on Kubernetes) trusts exactly what the pods of `up` trust.
 * `profileOf` reads an image's TLS profile (its label, from the engine), which decides the files.
 */
export interface KubeExportOptions {
  /** The trust bundle as a cert-manager trust-manager Bundle instead of a plain ConfigMap. */
  trustManager?: boolean;
  /** Export the machines of a cluster that has etcd members, leaving the members out. */
  withoutEtcd?: boolean;
}

export async function kubeExport(
  spec: ClusterSpec,
  stateDir: string,
  yamlPath: string,
  profileOf: (image: string) => Promise<TlsProfile>,
  onStep: (line: string) => void,
  onWarning: (line: string) => void = onStep,
  options: KubeExportOptions = {},
): Promise<KubeExport> {
  // etcd members are reached by address, and their certificates name the addresses of the Podman
  // network; Kubernetes gives pods no such addresses. An export that quietly dropped them would
  // start machines with no etcd, so leaving them out has to be asked for.
  if (spec.etcd && !options.withoutEtcd) {
    throw inputError('KUBE_ETCD_NOT_EXPORTED', `has etcd members, which kube generate does not export (their certificates name member addresses on the Podman network)`, {
      subject: 'etcd',
      fix: 'run etcd in Kubernetes with its own chart and CA, then export the machines alone with --without-etcd',
    });
  }
  // Every pod is checked, with the certificates this run would issue, before any is written.
  const issuance = await planIssuance(spec, stateDir, spec.pods);
  const machines = new Map<string, CheckedMachine>();
  let trustPem: string | undefined;
  try {
    for (const pod of spec.pods) machines.set(pod.name, await checkMachine(requestFor(spec, stateDir, pod, issuance.trustFile, issuance.materialVolumes)));
    trustPem = issuance.trustFile ? await readFile(issuance.trustFile, 'utf8') : undefined;
  } finally {
    await issuance.dispose();
  }
  await writePlanned(issuance.writes, onStep);
  const objects: KubeExport['objects'] = [];
  if (options.trustManager && !trustPem) onWarning(`cluster ${spec.cluster} has no trust bundle (no trust.caCertFile, no generated certificates): its pods use the images' system trust, so there is no Bundle to write`);
  if (trustPem) {
    // For clients of the cluster (and trust tooling): the CAs every pod trusts, as PEM.
    objects.push(
      options.trustManager
        ? new TrustManagerBundle(spec.cluster, trustPem)
        : new ConfigMap({ metadata: { name: `${spec.cluster}-trust-bundle`, labels: { 'io.dh-podman.cluster': spec.cluster } }, data: { [BUNDLE_KEY]: trustPem } }),
    );
  }
  for (const pod of spec.pods) {
    const checked = machines.get(pod.name)!;
    const image = pod.image ?? DEFAULT_IMAGE;
    // The files the image reads, as `up` derives them from its io.dh-podman.tls-profile label.
    const profile = await profileOf(image);
    const machine = profile === 'enterprise' ? checked : { ...checked, derived: await planProfileFiles(profile, checked.inputs) };
    objects.push(...(await kubePod({ cluster: spec.cluster, name: pod.name, hostname: pod.hostname, image, publish: pod.publish ?? [], machine, profile })));
    const { service, warning } = kubeService({
      cluster: spec.cluster,
      pod: pod.name,
      hostname: pod.hostname,
      envoyPort: spec.envoy ? (spec.envoy.port ?? ENVOY_PORT) : undefined,
    });
    objects.push(service);
    if (warning) onWarning(warning);
  }
  // Every object is checked against the Kubernetes API schema before anything is written.
  for (const object of objects) {
    try {
      object.validate();
    } catch (error) {
      if (error instanceof DhError) throw error;
      // The inputs were checked already, so an invalid object is a bug here, not bad input.
      throw new DhError('KUBE_SCHEMA', ExitCode.internal, `${object.kind} ${object.metadata?.name}: ${(error as Error).message}`, { fix: 'report this with the cluster file' });
    }
  }
  const yaml = objects.map((object) => stringify(object.toJSON(), { lineWidth: 0 })).join('---\n');
  return { yaml, objects, unit: kubeUnit(spec.cluster, resolve(yamlPath)) };
}

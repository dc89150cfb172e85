import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigMap } from 'kubernetes-models/v1';
import { stringify } from 'yaml';
import { DhError, ExitCode } from '../base/errors.js';
import type { ClusterSpec } from './cluster-file.js';
import { clusterTrust, ensureCertificate, requestFor } from './cluster-up.js';
import { kubePod, type KubeObject } from './kube-pod.js';
import { kubeService } from './kube-service.js';
import { DEFAULT_IMAGE, ENVOY_PORT } from './layout.js';
import { checkMachine } from './machine-plan.js';
import { kubeUnit } from './systemd-unit.js';
import { planProfileFiles, type TlsProfile } from './tls-profile.js';

export interface KubeExport {
  /** The multi-document YAML: Secrets, ConfigMaps and Pods, every one schema-valid. */
  yaml: string;
  objects: KubeObject[];
  unit: { name: string; text: string };
}

/**
 * The cluster as Kubernetes objects, from the same checks and derived files as `up`: what runs
 * under `podman kube play` (or on Kubernetes) trusts exactly what the pods of `up` trust.
 * `profileOf` reads an image's TLS profile (its label, from the engine), which decides the files.
 */
export async function kubeExport(
  spec: ClusterSpec,
  stateDir: string,
  yamlPath: string,
  profileOf: (image: string) => Promise<TlsProfile>,
  onStep: (line: string) => void,
  onWarning: (line: string) => void = onStep,
): Promise<KubeExport> {
  for (const pod of spec.pods) await ensureCertificate(spec, stateDir, pod, onStep);
  const trustFile = await clusterTrust(spec, stateDir);
  const objects: KubeObject[] = [];
  if (trustFile) {
    // For clients of the cluster (and trust tooling): the CAs every pod trusts, as PEM.
    objects.push(new ConfigMap({ metadata: { name: `${spec.cluster}-trust-bundle`, labels: { 'io.dh-podman.cluster': spec.cluster } }, data: { 'ca.crt': await readFile(trustFile, 'utf8') } }));
  }
  for (const pod of spec.pods) {
    const checked = await checkMachine(requestFor(spec, stateDir, pod, trustFile));
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
      // The inputs were checked already, so an invalid object is a bug here, not bad input.
      throw new DhError('KUBE_SCHEMA', ExitCode.internal, `${object.kind} ${object.metadata?.name}: ${(error as Error).message}`, { fix: 'report this with the cluster file' });
    }
  }
  const yaml = objects.map((object) => stringify(object.toJSON(), { lineWidth: 0 })).join('---\n');
  return { yaml, objects, unit: kubeUnit(spec.cluster, resolve(yamlPath)) };
}

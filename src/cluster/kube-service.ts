import { Service } from 'kubernetes-models/v1';
import { SERVICE_PORT } from './layout.js';

/** The label that selects one machine's Pod (the cluster label selects all of them). */
export const POD_LABEL = 'io.dh-podman.pod';

/** The labels every exported object carries. */
export function clusterLabels(cluster: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 'dh-podman', 'app.kubernetes.io/instance': cluster, 'io.dh-podman.cluster': cluster };
}

/** NAME.NAMESPACE.svc, optionally followed by the cluster domain: a name Kubernetes DNS answers. */
const SERVICE_NAME = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)\.([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)\.svc(\.[a-z0-9.-]+)?$/;

export interface KubeServiceInput {
  cluster: string;
  pod: string;
  hostname: string;
  /** The Envoy front's port in the pod, when the machine has one. */
  envoyPort?: number | undefined;
}

/**
 * One Service per machine, named in its certificate: for a FQDN NAME.NAMESPACE.svc[.DOMAIN] the
 * Service is NAME (to be applied in NAMESPACE), so the name the certificate carries is the one
 * cluster DNS answers. Headless: DNS returns the pod's own address, TLS goes straight to the
 * machine that holds the certificate. Any other FQDN gets a Service named after the pod and a
 * warning: Kubernetes DNS cannot answer for it.
 */
export function kubeService(input: KubeServiceInput): { service: Service; warning: string | undefined } {
  const match = SERVICE_NAME.exec(input.hostname.toLowerCase());
  const name = match ? match[1]! : input.pod;
  const warning = match
    ? undefined
    : `${input.hostname} is not a Kubernetes Service name (NAME.NAMESPACE.svc.cluster.local): Service ${name} answers as ${name}.NAMESPACE.svc, which ${input.pod}'s certificate does not carry; give the machine such a hostname, or provide DNS for ${input.hostname}`;
  const ports = [
    { name: 'service', port: SERVICE_PORT, targetPort: SERVICE_PORT, protocol: 'TCP' as const },
    ...(input.envoyPort ? [{ name: 'front', port: input.envoyPort, targetPort: input.envoyPort, protocol: 'TCP' as const }] : []),
  ];
  const service = new Service({
    metadata: { name, labels: clusterLabels(input.cluster), annotations: { 'io.dh-podman.hostname': input.hostname, ...(match ? { 'io.dh-podman.namespace': match[3]! } : {}) } },
    spec: { clusterIP: 'None', selector: { [POD_LABEL]: input.pod }, ports },
  });
  return { service, warning };
}

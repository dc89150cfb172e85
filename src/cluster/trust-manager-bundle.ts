import { DhError, ExitCode } from '../base/errors.js';
import { decodePemText } from '../pki/material.js';
import { toPem } from '../pki/pem.js';

export const TRUST_MANAGER_API_VERSION = 'trust.cert-manager.io/v1alpha1';
/** The key of the ConfigMap trust-manager writes: the same as the plain ConfigMap's. */
export const BUNDLE_KEY = 'ca.crt';

interface BundleJson {
  apiVersion: typeof TRUST_MANAGER_API_VERSION;
  kind: 'Bundle';
  metadata: { name: string; labels: Record<string, string> };
  spec: { sources: { inLine: string }[]; target: { configMap: { key: string } } };
}

/**
 * The cluster's trust bundle as a cert-manager trust-manager Bundle: trust-manager writes the
 * CAs into a ConfigMap of the Bundle's name in every namespace, so clients anywhere in a
 * Kubernetes cluster trust the pods, and a CA rollover is one edited Bundle. Each CA is its own
 * inline source, so a rollover's diff shows which CA came or went. Bundles are cluster scoped:
 * no namespace. kubernetes-models has no schema for this CRD; validate() checks what the CRD
 * requires (sources, target key) and that every source is one certificate.
 */
export class TrustManagerBundle {
  readonly kind = 'Bundle';
  readonly metadata: BundleJson['metadata'];
  private readonly sources: { inLine: string }[];

  constructor(cluster: string, pem: string) {
    this.metadata = { name: `${cluster}-trust-bundle`, labels: { 'io.dh-podman.cluster': cluster } };
    const certificates = decodePemText(pem, 'the trust bundle').material?.certificates ?? [];
    this.sources = certificates.map((certificate) => ({ inLine: toPem('CERTIFICATE', certificate.der) }));
  }

  validate(): void {
    const invalid = (why: string) => new DhError('KUBE_SCHEMA', ExitCode.internal, `Bundle ${this.metadata.name}: ${why}`, { fix: 'report this with the cluster file' });
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(this.metadata.name)) throw invalid('the name is not a DNS subdomain');
    if (this.sources.length === 0) throw invalid('spec.sources is empty: the trust bundle holds no certificate');
    for (const [index, source] of this.sources.entries()) {
      if ((decodePemText(source.inLine, `spec.sources[${index}]`).material?.certificates.length ?? 0) !== 1) throw invalid(`spec.sources[${index}].inLine is not one certificate`);
    }
  }

  toJSON(): BundleJson {
    return {
      apiVersion: TRUST_MANAGER_API_VERSION,
      kind: 'Bundle',
      metadata: this.metadata,
      spec: { sources: this.sources, target: { configMap: { key: BUNDLE_KEY } } },
    };
  }
}

import { join } from 'node:path';
import { pathExists } from '../base/atomic-write.js';
import type { ClusterSpec } from './cluster-file.js';
import { clusterCaFile, tlsVolumeOf } from './cluster-up.js';
import { etcdClientDir } from './etcd-material.js';
import { etcdCaFile, etcdMembers, etcdStatePaths, OPERATOR_CLIENT } from './etcd-spec.js';

/** tls.crt (leaf, then intermediates), envoy.pem (Envoy's chain), or a file of CAs. */
export type CertificateFileRole = 'tls' | 'envoy' | 'ca';

export interface ClusterCertificateFile {
  /** The pod's name, or the cluster file key that names the CA file ("cluster CA" for the generated one). */
  owner: string;
  role: CertificateFileRole;
  file: string;
  /** False for a generate or ca pod whose certificate `up` has not issued yet: expected, not a fault. */
  issued: boolean;
}

/**
 * Every file of the cluster that holds certificates, without contacting the engine: what `up`
 * would mount or bake in. Reading and judging them is the caller's business.
 */
export async function clusterCertificateFiles(spec: ClusterSpec, stateDir: string): Promise<ClusterCertificateFile[]> {
  const files: ClusterCertificateFile[] = [];
  for (const pod of spec.pods) {
    const volume = tlsVolumeOf(spec, stateDir, pod);
    const tls = join(volume, 'tls.crt');
    // An existing pod's tls.crt passed the cluster file's checks, so a missing one is news.
    const issued = pod.certificate.mode === 'existing' || (await pathExists(tls));
    files.push({ owner: pod.name, role: 'tls', file: tls, issued });
    const envoy = join(volume, 'envoy.pem');
    // envoy.pem is optional: Envoy falls back to tls.crt without it.
    if (await pathExists(envoy)) files.push({ owner: pod.name, role: 'envoy', file: envoy, issued: true });
  }
  const caFiles: [string, string | undefined][] = [
    ['trust.caCertFile', spec.trust?.caCertFile],
    ['trust.internalCaCertFile', spec.trust?.internalCaCertFile],
    ['images.caCertFile', spec.images?.caCertFile],
  ];
  for (const [owner, file] of caFiles) if (file) files.push({ owner, role: 'ca', file, issued: true });
  // The cluster CA exists only once `up` issued a generate-mode certificate.
  const clusterCa = clusterCaFile(spec, stateDir);
  if (await pathExists(clusterCa)) files.push({ owner: 'cluster CA', role: 'ca', file: clusterCa, issued: true });
  if (spec.etcd) files.push(...(await etcdCertificateFiles(spec, stateDir)));
  return files;
}

/** The etcd boundary's certificates: its CA, the members', and the etcd client certificates. */
async function etcdCertificateFiles(spec: ClusterSpec, stateDir: string): Promise<ClusterCertificateFile[]> {
  const files: ClusterCertificateFile[] = [];
  const ca = etcdCaFile(spec, stateDir);
  files.push({ owner: spec.etcd?.ca ? 'etcd.ca' : 'etcd CA', role: 'ca', file: ca, issued: await pathExists(ca) });
  for (const member of etcdMembers(spec, stateDir)) {
    const file = join(member.tlsVolume, 'tls.crt');
    files.push({ owner: member.pod, role: 'tls', file, issued: member.given || (await pathExists(file)) });
  }
  const clients = [...spec.pods.map((pod) => [pod.name, etcdClientDir(stateDir, pod.name)] as const), [OPERATOR_CLIENT, etcdStatePaths(stateDir, spec.cluster).client(OPERATOR_CLIENT)] as const];
  for (const [owner, dir] of clients) {
    const file = join(dir, 'tls.crt');
    files.push({ owner: `${owner} etcd client`, role: 'tls', file, issued: await pathExists(file) });
  }
  return files;
}

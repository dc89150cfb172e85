import { join } from 'node:path';
import type { ClusterSpec, PodSpecEntry } from './cluster-file.js';
import { clusterStatePaths, DEFAULT_NETWORK } from './layout.js';

/** Where a cluster's things are, from its file and state dir alone. */

export function clusterNetwork(spec: ClusterSpec): string {
  return spec.network ?? (spec.cluster ? `dh-${spec.cluster}` : DEFAULT_NETWORK);
}

/** Where a pod's certificate lives: its own tlsVolume, or one kept in the cluster's state. */
export function tlsVolumeOf(spec: ClusterSpec, stateDir: string, pod: PodSpecEntry): string {
  return pod.certificate.tlsVolume ?? clusterStatePaths(stateDir, spec.cluster).tlsVolume(pod.name);
}

export function clusterCaDir(spec: ClusterSpec, stateDir: string): string {
  return spec.certificates?.caDir ?? clusterStatePaths(stateDir, spec.cluster).caDir;
}

export function clusterCaFile(spec: ClusterSpec, stateDir: string): string {
  return join(clusterCaDir(spec, stateDir), 'ca.crt');
}

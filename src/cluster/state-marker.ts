import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathExists, writeFileAtomic } from '../base/atomic-write.js';
import { inputError } from '../base/errors.js';
import type { ClusterSpec } from './cluster-file.js';
import { clusterStatePaths, podStatePaths } from './layout.js';

/**
 * A directory dh-podman creates for a cluster (its own, or one pod's) carries this file naming
 * its owner. Deleting state means deleting directories whose marker names the cluster being
 * taken down, so a state dir shared with anything else (another cluster, a pod of the same name
 * started by hand, files of yours) loses nothing that is not this cluster's.
 */
export const STATE_MARKER = '.dh-podman-state';

/** A cluster's own directory has no pod; a pod's directory names both. */
export interface StateOwner {
  cluster: string;
  pod?: string | undefined;
}

interface Marker extends StateOwner {
  tool: 'dh-podman';
}

/** A directory left in place by `down --volumes`, and why. */
export interface LeftState {
  path: string;
  reason: string;
}

async function readMarker(dir: string): Promise<Marker | 'none' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(join(dir, STATE_MARKER), 'utf8');
  } catch (error) {
    // ENOTDIR: a file where the directory would be; it has no marker either.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'none';
    throw error;
  }
  try {
    const marker = JSON.parse(text) as Partial<Marker>;
    if (marker.tool === 'dh-podman' && typeof marker.cluster === 'string' && (marker.pod === undefined || typeof marker.pod === 'string')) return marker as Marker;
  } catch {
    // Not JSON: not a marker this tool wrote.
  }
  return 'unreadable';
}

const describe = (owner: StateOwner) => (owner.pod === undefined ? `cluster ${owner.cluster}` : `pod ${owner.pod} of cluster ${owner.cluster}`);
const sameOwner = (marker: Marker, owner: StateOwner) => marker.cluster === owner.cluster && marker.pod === owner.pod;

/** Every directory `up -f` keeps this cluster's state in, with the owner its marker must name. */
function ownedDirs(stateDir: string, spec: ClusterSpec): { dir: string; owner: StateOwner }[] {
  return [
    { dir: clusterStatePaths(stateDir, spec.cluster).root, owner: { cluster: spec.cluster } },
    ...spec.pods.map((pod) => ({ dir: podStatePaths(stateDir, pod.name).root, owner: { cluster: spec.cluster, pod: pod.name } })),
  ];
}

/**
 * For `up -f`, before it writes: every directory that already carries a marker must name this
 * cluster (else nothing is written: two clusters sharing one pod's keystores would break both),
 * then each missing directory is created with its marker. A directory that exists without a
 * marker (made by hand, or by a dh-podman before markers) is used as it is and never marked, so
 * `down --volumes` leaves it.
 */
export async function claimClusterState(stateDir: string, spec: ClusterSpec): Promise<void> {
  await refuseForeignState(stateDir, spec);
  for (const { dir, owner } of ownedDirs(stateDir, spec)) await createMarked(dir, owner);
}

/** The check of claimClusterState alone, which planning runs: nothing is created. */
export async function refuseForeignState(stateDir: string, spec: ClusterSpec): Promise<void> {
  for (const { dir, owner } of ownedDirs(stateDir, spec)) {
    const marker = await readMarker(dir);
    if (marker === 'unreadable' || (marker !== 'none' && !sameOwner(marker, owner))) {
      throw inputError('STATE_NOT_OURS', `belongs to ${marker === 'unreadable' ? 'something else (its marker is not one dh-podman wrote)' : describe(marker)}, not to ${describe(owner)}`, {
        subject: join(dir, STATE_MARKER),
        fix: owner.pod === undefined ? 'give the cluster another name, or use another state dir' : 'give the pod another name, or use another state dir',
      });
    }
  }
}

async function createMarked(dir: string, owner: StateOwner): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  try {
    await mkdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw error;
  }
  const marker: Marker = { tool: 'dh-podman', cluster: owner.cluster, ...(owner.pod === undefined ? {} : { pod: owner.pod }) };
  await writeFileAtomic(join(dir, STATE_MARKER), `${JSON.stringify(marker)}\n`, { mode: 0o644 });
}

/**
 * For `down --volumes`: deletes the cluster's directory and its pods' directories whose marker
 * names them, and nothing else. What stays is listed with the reason. With dryRun, the same
 * lists and nothing deleted.
 */
export async function removeClusterState(stateDir: string, spec: ClusterSpec, options: { dryRun?: boolean } = {}): Promise<{ removed: string[]; left: LeftState[] }> {
  const removed: string[] = [];
  const left: LeftState[] = [];
  for (const { dir, owner } of ownedDirs(stateDir, spec)) {
    const marker = await readMarker(dir);
    if (marker === 'none') {
      if (await pathExists(dir)) left.push({ path: dir, reason: `no ${STATE_MARKER} marker: dh-podman did not create it for ${describe(owner)}` });
      continue;
    }
    if (marker === 'unreadable' || !sameOwner(marker, owner)) {
      left.push({ path: dir, reason: `its ${STATE_MARKER} marker names ${marker === 'unreadable' ? 'no owner dh-podman wrote' : describe(marker)}` });
      continue;
    }
    // A dry run lists what would go and deletes nothing.
    if (!options.dryRun) await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return { removed, left };
}

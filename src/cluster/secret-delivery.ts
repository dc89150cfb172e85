import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { PodEngine } from '../engine/pod-engine.js';
import type { SecretMount } from '../engine/secrets.js';
import type { DerivedFile } from './derived-files.js';

/**
 * How a pod's secret files (see isSecretPath) reach its containers: as Podman secrets, which the
 * engine keeps in its root-only store and copies into each container with the reader's uid and
 * a read-only mode. Names carry the pod and the digest of the files the pod is started with, so
 * a replaced pod's secrets never collide with the ones its predecessor still uses (a failed
 * replacement puts that predecessor back), and stale ones are found by the pod's prefix.
 */

/**
 * Podman allows secret names of 64 characters at most, fewer than a pod name and a file name
 * can take, so the pod is named by a digest: `dhp.<pod digest>.<files digest>.<file>`. The dots
 * end each part, so one pod's prefix never matches another's.
 */
export function secretPrefix(pod: string): string {
  return `dhp.${createHash('sha256').update(pod).digest('hex').slice(0, 12)}.`;
}

export function secretMountsFor(pod: string, filesDigest: string, files: DerivedFile[], uid: number, wanted: (containerPath: string) => boolean): SecretMount[] {
  return files
    .filter((file) => file.secret && file.action !== 'remove' && wanted(file.containerPath))
    .map((file) => ({
      source: `${secretPrefix(pod)}${filesDigest.slice(0, 12)}.${basename(file.containerPath)}`,
      target: file.containerPath,
      uid,
      gid: uid,
      // Read-only for its reader: 0600 on the host is 0400 in the container, 0644 is 0444.
      mode: file.mode & 0o444,
    }));
}

/**
 * Stores each mount's file in Podman's secret store unless a secret of that name exists (the
 * name fixes its contents). Returns the names created, for the caller to undo.
 */
export async function storeSecrets(engine: PodEngine, files: DerivedFile[], mounts: SecretMount[]): Promise<string[]> {
  const byTarget = new Map(files.map((file) => [file.containerPath, file]));
  const unique = [...new Map(mounts.map((m) => [m.source, m])).values()];
  // Each secret is its own call and none depends on another: all at once. When one fails, the
  // ones this run stored are removed here, as the caller's undo would have.
  const results = await Promise.allSettled(unique.map((mount) => engine.secrets.createIfAbsent(mount.source, byTarget.get(mount.target)!.content)));
  const created = unique.filter((_, i) => results[i]!.status === 'fulfilled' && (results[i] as PromiseFulfilledResult<boolean>).value).map((mount) => mount.source);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    await Promise.all(created.map((name) => engine.secrets.remove(name).catch(() => undefined)));
    throw failed.reason;
  }
  return created;
}

/** Removes the pod's secrets except `keep` (all of them when keep is empty: the pod is gone). */
export async function removePodSecrets(engine: PodEngine, pod: string, keep: string[] = []): Promise<void> {
  const names = (await engine.secrets.list(secretPrefix(pod))).filter((name) => !keep.includes(name));
  await Promise.all(names.map((name) => engine.secrets.remove(name)));
}

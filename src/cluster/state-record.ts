import { createHash } from 'node:crypto';
import { readFile, realpath, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../base/atomic-write.js';
import { inputError } from '../base/errors.js';

/**
 * Where `up -f` put a cluster's state, so later commands on the same cluster file find it
 * without being told again. One small JSON file per cluster under the default state dir,
 * named for the cluster and the cluster file, so two files naming the same cluster never share
 * a record.
 */
export interface StateRecord {
  cluster: string;
  clusterFile: string;
  stateDir: string;
  recordedAt: string;
}

/** The cluster file as the record knows it: absolute, symlinks resolved where it exists. */
export async function clusterFileIdentity(file: string): Promise<string> {
  const absolute = resolve(file);
  return realpath(absolute).catch(() => absolute);
}

export function stateRecordPath(defaultDir: string, cluster: string, clusterFile: string): string {
  const digest = createHash('sha256').update(clusterFile).digest('hex').slice(0, 16);
  return join(defaultDir, 'records', `${cluster}-${digest}.json`);
}

export async function readStateRecord(defaultDir: string, cluster: string, clusterFile: string): Promise<StateRecord | undefined> {
  const path = stateRecordPath(defaultDir, cluster, clusterFile);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let record: Partial<StateRecord> | undefined;
  try {
    record = JSON.parse(text) as Partial<StateRecord>;
  } catch {
    record = undefined;
  }
  if (typeof record?.stateDir !== 'string' || typeof record.cluster !== 'string' || typeof record.clusterFile !== 'string') {
    throw inputError('STATE_RECORD_INVALID', 'is not a state record dh-podman wrote', {
      subject: path,
      fix: 'delete it (it only remembers where "up -f" put the state) and name the state dir with --state-dir',
    });
  }
  // The name is a digest: a record for another cluster or file is not this one's.
  if (record.cluster !== cluster || record.clusterFile !== clusterFile) return undefined;
  return record as StateRecord;
}

export async function writeStateRecord(defaultDir: string, cluster: string, clusterFile: string, stateDir: string): Promise<void> {
  const record: StateRecord = { cluster, clusterFile, stateDir, recordedAt: new Date().toISOString() };
  await writeFileAtomic(stateRecordPath(defaultDir, cluster, clusterFile), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644, overwrite: true });
}

export async function forgetStateRecord(defaultDir: string, cluster: string, clusterFile: string): Promise<void> {
  await rm(stateRecordPath(defaultDir, cluster, clusterFile), { force: true });
}

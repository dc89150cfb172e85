import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { clusterFileIdentity, forgetStateRecord, readStateRecord, writeStateRecord, type StateRecord } from './state-record.js';

/** Moves the default state dir (and the records kept there), for root and other users alike. */
export const STATE_DIR_ENV = 'DH_PODMAN_STATE_DIR';

/** $DH_PODMAN_STATE_DIR; else /var/lib/dh-podman as root; else the XDG data directory. */
export function defaultStateDir(env: NodeJS.ProcessEnv, uid: number): string {
  const chosen = env[STATE_DIR_ENV];
  if (chosen) return resolve(chosen);
  if (uid === 0) return '/var/lib/dh-podman';
  // The XDG spec says a relative XDG_DATA_HOME is invalid and to be ignored.
  const xdg = env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : join(env.HOME || homedir(), '.local', 'share');
  return join(xdg, 'dh-podman');
}

/** Why the state dir is where it is: named for this run, the file's stateDir, up's record, or the default. */
export type StateDirSource = 'given' | 'file' | 'record' | 'default';

export interface StateDirQuery {
  /** A directory named for this run (a command-line option); relative to the working directory. */
  given?: string | undefined;
  /** The cluster, when the run is about a cluster file; its stateDir already resolved against the file. */
  cluster?: { name: string; file: string; stateDir?: string | undefined } | undefined;
  env: NodeJS.ProcessEnv;
  uid?: number | undefined;
}

export interface ResolvedStateDir {
  dir: string;
  source: StateDirSource;
  /** Where records are kept. */
  defaultDir: string;
  cluster?: { name: string; file: string } | undefined;
  /** What `up -f` recorded for this cluster file, if anything. */
  record: StateRecord | undefined;
}

/**
 * The one place a state dir is decided: a directory named for the run, else the cluster file's
 * stateDir, else where `up -f` recorded this cluster's state, else the default.
 */
export async function resolveStateDir(query: StateDirQuery): Promise<ResolvedStateDir> {
  const defaultDir = defaultStateDir(query.env, query.uid ?? process.getuid?.() ?? 0);
  const cluster = query.cluster ? { name: query.cluster.name, file: await clusterFileIdentity(query.cluster.file) } : undefined;
  const record = cluster ? await readStateRecord(defaultDir, cluster.name, cluster.file) : undefined;
  const [dir, source]: [string, StateDirSource] =
    query.given !== undefined
      ? [resolve(query.given), 'given']
      : query.cluster?.stateDir !== undefined
        ? [resolve(query.cluster.stateDir), 'file']
        : record
          ? [record.stateDir, 'record']
          : [defaultDir, 'default'];
  return { dir, source, defaultDir, cluster, record };
}

/** The record, when it names another directory than the one in use (the caller says so). */
export function contradictedRecord(resolved: ResolvedStateDir): StateRecord | undefined {
  return resolved.record && resolved.record.stateDir !== resolved.dir ? resolved.record : undefined;
}

/**
 * For `up -f`, before it writes anything: a state dir named for the run is recorded, so later
 * commands find it unasked; a file's stateDir needs no record, so one saying otherwise goes.
 * The default needs none either (and a record would have won over it).
 */
export async function rememberStateDir(resolved: ResolvedStateDir): Promise<void> {
  const { cluster, record } = resolved;
  if (!cluster || record?.stateDir === resolved.dir) return;
  if (resolved.source === 'given') await writeStateRecord(resolved.defaultDir, cluster.name, cluster.file, resolved.dir);
  else if (resolved.source === 'file' && record) await forgetStateRecord(resolved.defaultDir, cluster.name, cluster.file);
}

/** For `down -f` once the state is deleted: a record pointing at it points at nothing. */
export async function forgetStateDir(resolved: ResolvedStateDir): Promise<void> {
  if (resolved.cluster && resolved.record?.stateDir === resolved.dir) await forgetStateRecord(resolved.defaultDir, resolved.cluster.name, resolved.cluster.file);
}

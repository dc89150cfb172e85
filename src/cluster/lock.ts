import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { runtimeError } from '../base/errors.js';

/**
 * One run per pod at a time: a lock file holding the owner's pid. A lock whose process is gone
 * (a crash, a kill -9) is taken over, so nobody has to delete it by hand.
 *
 * Every step is a single atomic file-system operation, so of any number of runs (processes or
 * not) exactly one gets the lock:
 * - The lock is made by link()ing a finished file holding our pid to the lock path; link fails
 *   with EEXIST when the path exists, and a racer never sees a lock without its pid.
 * - A stale lock is replaced only by the one run that wins a takeover marker named after the
 *   stale file's inode (again by link()). While that marker exists nobody else replaces that
 *   inode, so the winner can rename() its own file over the lock path without a window in which
 *   the path is free or holds somebody else's fresh lock.
 */

/** How often a run that meets a takeover in progress looks again; a takeover takes microseconds. */
const ATTEMPTS = 100;
const RETRY_MS = 5;
/** Marker levels: a takeover whose taker died is taken over in turn, this many times at most. */
const MAX_TAKEOVER_DEPTH = 4;

export async function acquireLock(path: string, what: string): Promise<() => Promise<void>> {
  await mkdir(dirname(path), { recursive: true });
  const mine = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  // A full disk fails the write after the file was created: it must not stay behind.
  await writeFile(mine, `${process.pid}\n`, { mode: 0o600, flag: 'wx' }).catch(async (error: unknown) => {
    await rm(mine, { force: true });
    throw error;
  });
  try {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (await tryLink(mine, path)) return () => rm(path, { force: true });
      const owner = await readOwner(path);
      if (!owner) continue; // released between our link and our read: try again at once
      if (isAlive(owner.pid)) throw locked(path, what, owner.pid);
      const outcome = await takeOver(path, owner, mine);
      if (outcome === 'taken') return () => rm(path, { force: true });
      if (outcome === 'busy') await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
    throw runtimeError('LOCKED', `could not take the lock for ${what}`, { subject: path, fix: 'run again' });
  } finally {
    await rm(mine, { force: true });
  }
}

interface Owner {
  pid: number;
  ino: number;
}

/**
 * Replaces the stale lock `stale` with our file, if we are the one run that wins its takeover.
 * 'busy': another live run is taking it over; 'changed': the lock is no longer that file.
 */
async function takeOver(path: string, stale: Owner, mine: string): Promise<'taken' | 'busy' | 'changed'> {
  // Markers of takers that died half way; they go once the stale lock is replaced, never before
  // (removing one earlier would let a new taker in beside the live one of the next level).
  const abandoned: string[] = [];
  let key = String(stale.ino);
  for (let depth = 0; depth < MAX_TAKEOVER_DEPTH; depth++) {
    const marker = `${path}.takeover-${key}`;
    if (await tryLink(mine, marker)) {
      try {
        // Holding the marker, nobody else replaces this inode; but an earlier winner may have
        // replaced it already (and the inode since been reused), so look at the lock again.
        const current = await readOwner(path);
        if (!current || current.ino !== stale.ino || isAlive(current.pid)) return 'changed';
        await rename(mine, path);
        // The markers name an inode that is no longer the lock; a late racer that makes one
        // again finds the lock changed and backs off.
        await Promise.all(abandoned.map((old) => rm(old, { force: true })));
        return 'taken';
      } finally {
        await rm(marker, { force: true });
      }
    }
    const taker = await readOwner(marker);
    if (!taker) return 'changed';
    if (isAlive(taker.pid)) return 'busy';
    // The run taking it over died half way: its marker is stale too, taken over the same way.
    abandoned.push(marker);
    key = `${key}-${taker.ino}`;
  }
  throw runtimeError('LOCKED', 'stale lock takeovers were interrupted too often', {
    subject: path,
    fix: `make sure no dh-podman run is active, then remove ${path} and ${path}.takeover-*`,
  });
}

/** Whether `target` now exists as a link to `source`; false when something is there already. */
async function tryLink(source: string, target: string): Promise<boolean> {
  try {
    await link(source, target);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** The pid and inode of a lock or marker, or undefined when it is gone. */
async function readOwner(path: string): Promise<Owner | undefined> {
  try {
    // Pid and inode from one open file: the path may be replaced between two lookups by name.
    const handle = await open(path, 'r');
    const [text, stats] = await Promise.all([handle.readFile('utf8'), handle.stat()]).finally(() => handle.close());
    // A file that is not a pid (hand-written, truncated by a full disk) has no living owner.
    const pid = Number.parseInt(text, 10);
    return { pid: Number.isInteger(pid) && pid > 0 ? pid : 0, ino: stats.ino };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function locked(path: string, what: string, pid: number) {
  return runtimeError('LOCKED', `another dh-podman run (pid ${pid}) is changing ${what}`, {
    subject: path,
    fix: 'wait for it to finish and run again',
  });
}

function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

import { chmod, chown, link, lstat, mkdir, readdir, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pathExists, removeFileIfPresent, writeFileAtomic } from '../base/atomic-write.js';
import { runtimeError } from '../base/errors.js';
import type { DerivedFile } from './derived-files.js';
import type { PodStatePaths } from './layout.js';

export interface WrittenFiles {
  /** The files changed (written or removed). */
  paths: string[];
  /** Puts every previous file back as it was: the same inode, so bytes, mode and owner. */
  undo(): Promise<void>;
  /** Drops the kept previous files once the run has succeeded. */
  commit(): Promise<void>;
}

// Fixed names, not random ones: a run killed half way leaves at most one of each per file, and
// the next run removes them before it starts.
const stagedPath = (path: string) => join(dirname(path), `.${basename(path)}.dh-staged`);
const keptPath = (path: string) => join(dirname(path), `.${basename(path)}.dh-previous`);

/**
 * Writes a pod's derived files in two steps. First every new file is written in full beside its
 * target: a full disk or a read-only state directory fails here, before any file a running pod
 * uses is touched. Then each is renamed into place, the previous one kept as a hard link (no
 * bytes copied, so putting it back needs no space and restores its owner and mode too).
 */
export async function writeDerivedFiles(paths: PodStatePaths, files: DerivedFile[]): Promise<WrittenFiles> {
  const changed = files.filter((file) => file.action !== 'unchanged');
  try {
    // The auth directory stays the invoking user's alone (root's, or a rootless user's): its
    // files reach the container as Podman secrets, never through this directory.
    await mkdir(paths.authDir, { recursive: true, mode: 0o700 });
    await reclaim(paths.authDir);
    await mkdir(paths.trustDir, { recursive: true, mode: 0o755 });
  } catch (error) {
    throw writeFailed(`the directory ${paths.root}`, paths.root, error);
  }

  // All at once: each is flushed to disk before it counts as written, and the flushes overlap.
  const staged = await Promise.allSettled(
    changed.map(async (file) => {
      await removeFileIfPresent(stagedPath(file.hostPath));
      if (file.action !== 'remove') await writeFileAtomic(stagedPath(file.hostPath), file.content, { mode: file.mode });
    }),
  );
  const failed = staged.findIndex((result) => result.status === 'rejected');
  if (failed >= 0) {
    await removeAll(changed.map((f) => stagedPath(f.hostPath)));
    const file = changed[failed]!;
    throw writeFailed(`the ${file.purpose}`, file.hostPath, (staged[failed] as PromiseRejectedResult).reason);
  }

  const moved: { file: DerivedFile; existed: boolean }[] = [];
  const undo = async () => {
    for (const { file, existed } of moved.reverse()) {
      if (existed) await rename(keptPath(file.hostPath), file.hostPath);
      else await removeFileIfPresent(file.hostPath);
    }
  };
  for (const file of changed) {
    try {
      await removeFileIfPresent(keptPath(file.hostPath));
      const existed = await pathExists(file.hostPath);
      if (existed) await link(file.hostPath, keptPath(file.hostPath));
      moved.push({ file, existed });
      if (file.action === 'remove') await removeFileIfPresent(file.hostPath);
      else await rename(stagedPath(file.hostPath), file.hostPath);
    } catch (error) {
      await undo().catch(() => undefined);
      await removeAll(changed.map((f) => stagedPath(f.hostPath)));
      throw writeFailed(`the ${file.purpose}`, file.hostPath, error);
    }
  }
  return {
    paths: changed.map((file) => file.hostPath),
    undo,
    commit: () => removeAll(changed.map((file) => keptPath(file.hostPath))),
  };
}

async function removeAll(paths: string[]): Promise<void> {
  for (const path of paths) await removeFileIfPresent(path).catch(() => undefined);
}

function writeFailed(what: string, subject: string, error: unknown) {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === 'ENOSPC' ? 'no space left on the device' : (error as Error).message;
  return runtimeError('WRITE_FAILED', `cannot write ${what}: ${reason}; the previous files are unchanged`, {
    subject,
    fix: code === 'ENOSPC' ? 'free space where the state directory is, then run again' : 'check that the state directory is writable, then run again',
    cause: error,
  });
}

/**
 * Earlier versions handed the auth directory and its secrets to the container's service uid on
 * the host. They are taken back: owned by whoever runs dh-podman, the directory 0700 and every
 * file in it without group or other access, whether or not this run rewrites it.
 */
async function reclaim(authDir: string): Promise<void> {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (uid === undefined || gid === undefined) return;
  await chmod(authDir, 0o700);
  await chown(authDir, uid, gid);
  for (const name of await readdir(authDir)) {
    const path = join(authDir, name);
    const stats = await lstat(path);
    if (!stats.isFile()) continue;
    if (stats.uid !== uid || stats.gid !== gid) await chown(path, uid, gid);
    if ((stats.mode & 0o077) !== 0) await chmod(path, stats.mode & 0o700);
  }
}

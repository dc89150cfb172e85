import { chown, link, mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pathExists, writeFileAtomic } from '../base/atomic-write.js';
import { runtimeError } from '../base/errors.js';
import type { DerivedFile } from './derived-files.js';
import { SERVICE_UID, type PodStatePaths } from './layout.js';

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
  const asRoot = process.getuid?.() === 0;
  const changed = files.filter((file) => file.action !== 'unchanged');
  try {
    await mkdir(paths.authDir, { recursive: true, mode: 0o700 });
    await mkdir(paths.trustDir, { recursive: true, mode: 0o755 });
    // The service account reads the keystore through the bind mount; as root we can hand the
    // directory and its secrets to it, rootless the user namespace maps ownership instead.
    if (asRoot) await chown(paths.authDir, SERVICE_UID, SERVICE_UID);
  } catch (error) {
    throw writeFailed(`the directory ${paths.root}`, paths.root, error);
  }

  for (const file of changed) {
    try {
      await rm(stagedPath(file.hostPath), { force: true });
      if (file.action === 'remove') continue;
      await writeFileAtomic(stagedPath(file.hostPath), file.content, { mode: file.mode });
      if (asRoot && file.serviceOwned) await chown(stagedPath(file.hostPath), SERVICE_UID, SERVICE_UID);
    } catch (error) {
      await removeAll(changed.map((f) => stagedPath(f.hostPath)));
      throw writeFailed(`the ${file.purpose}`, file.hostPath, error);
    }
  }

  const moved: { file: DerivedFile; existed: boolean }[] = [];
  const undo = async () => {
    for (const { file, existed } of moved.reverse()) {
      if (existed) await rename(keptPath(file.hostPath), file.hostPath);
      else await rm(file.hostPath, { force: true });
    }
  };
  for (const file of changed) {
    try {
      await rm(keptPath(file.hostPath), { force: true });
      const existed = await pathExists(file.hostPath);
      if (existed) await link(file.hostPath, keptPath(file.hostPath));
      moved.push({ file, existed });
      if (file.action === 'remove') await rm(file.hostPath, { force: true });
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
  for (const path of paths) await rm(path, { force: true }).catch(() => undefined);
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

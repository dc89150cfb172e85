import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { chmod, link, lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { runtimeError } from './errors.js';

export interface AtomicWriteOptions {
  mode: number;
  /** Without it an existing file is an error, so nobody loses a key by accident. */
  overwrite?: boolean;
}

/**
 * Writes through a temporary file in the same directory and renames it into place (links it,
 * when an existing file must not be replaced), so a crash or a failed write leaves either the old
 * file or the new one, never half of either. The temporary file is created with the final mode,
 * so a private key is never briefly readable.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions,
): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let renamed = false;
  try {
    const handle = await open(temp, 'wx', options.mode);
    try {
      await handle.writeFile(data);
      // open() applies the umask; chmod makes the mode exactly what was asked for.
      await handle.chmod(options.mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.overwrite) {
      await rename(temp, path);
      renamed = true;
    } else {
      await linkNoClobber(temp, path);
    }
  } finally {
    // After a rename the temporary name is gone already (no call to remove nothing); after a
    // link it is a second name, and after a failure a leftover.
    if (!renamed) await removeFileIfPresent(temp);
  }
}

/**
 * link() puts the finished file in place only if nothing is there, in one step: of two writers
 * exactly one succeeds, and no check-then-rename window lets the other replace the winner's file.
 */
async function linkNoClobber(temp: string, path: string): Promise<void> {
  try {
    await link(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw runtimeError('FILE_EXISTS', 'already exists', {
      subject: path,
      fix: 'pass --force to replace it, or choose another --out directory',
    });
  }
}

/**
 * Removes a file, when there is one. fs.rm({ force }) would do it through node's JavaScript
 * rimraf (an lstat, then the unlink, each compiled afresh in a CLI's one run), where a file
 * needs one unlink.
 */
export async function removeFileIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

export type WriteOutcome = 'created' | 'updated' | 'unchanged';

/**
 * Derived files are rewritten only when their bytes change, so re-running a command that
 * succeeded changes nothing (not even mtimes). A wrong mode is corrected either way.
 */
export async function writeFileIfChanged(path: string, data: string | Uint8Array, mode: number): Promise<WriteOutcome> {
  const wanted = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let current: Buffer | undefined;
  try {
    // Synchronously: a derived file is a few kilobytes, read before an asynchronous read's round
    // trips through libuv's thread pool would have come back.
    current = readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (current && current.equals(wanted)) {
    if ((statSync(path).mode & 0o777) !== mode) await chmod(path, mode);
    return 'unchanged';
  }
  await writeFileAtomic(path, wanted, { mode, overwrite: true });
  return current ? 'updated' : 'created';
}

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { relative, isAbsolute, sep } from 'node:path';
import { inputError } from './errors.js';

/**
 * Certificates and keys are small. A cap keeps a wrong path (a disk image, a log) from being
 * read into memory whole, and lets us say "too large" instead of failing to parse.
 */
export const MAX_INPUT_BYTES = 4 * 1024 * 1024;

/** What a bounded file is, for the messages that refuse it: "a cluster file", and where to look. */
export interface BoundedKind {
  noun: string;
  /** The fix when the file is too large. */
  fix: string;
  code?: string;
}

const CERTIFICATE_FILE: BoundedKind = { noun: 'a certificate or key file', fix: 'check the path: it should be a PEM certificate or key file' };

/**
 * Reads a whole file, refusing anything larger than the cap without reading it.
 *
 * Synchronously, behind the promise: a file of a few kilobytes is read before an asynchronous
 * open would have come back, and the four round trips through libuv's thread pool (open, stat,
 * read, close) were a fifth of reading the host's CA bundle in a command's one run.
 */
export async function readBounded(path: string, maxBytes = MAX_INPUT_BYTES, kind: BoundedKind = CERTIFICATE_FILE): Promise<Buffer> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw notReadable(path, error);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      throw inputError('FILE_NOT_REGULAR', 'is not a regular file', {
        subject: path,
        fix: 'point at the PEM file itself',
      });
    }
    if (stat.size > maxBytes) {
      throw inputError(kind.code ?? 'FILE_TOO_LARGE', `is ${formatMiB(stat.size)}, more than the ${formatMiB(maxBytes)} ${kind.noun} can be`, {
        subject: path,
        fix: kind.fix,
      });
    }
    // Read one byte past the cap: a file that grows between stat and read is still caught.
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    let total = 0;
    for (;;) {
      const bytesRead = readSync(fd, buffer, total, buffer.length - total, total);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) {
        throw inputError(kind.code ?? 'FILE_TOO_LARGE', `is larger than the ${formatMiB(maxBytes)} ${kind.noun} can be`, { subject: path, fix: kind.fix });
      }
      if (total === buffer.length) break;
    }
    return buffer.subarray(0, total);
  } finally {
    closeSync(fd);
  }
}

/**
 * Resolves `name` inside `dir` and refuses a path that, through symlinks, lands outside it: a
 * TLS volume is mounted into containers, and a link to /etc/shadow must not be followed.
 * Returns undefined when the file does not exist.
 */
export async function resolveInside(dir: string, name: string): Promise<string | undefined> {
  const realDir = await realpath(dir);
  let target: string;
  try {
    target = await realpath(`${realDir}${sep}${name}`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw notReadable(`${dir}${sep}${name}`, error);
  }
  const rel = relative(realDir, target);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw inputError('FILE_OUTSIDE_VOLUME', `is a symlink to ${target}, outside the TLS volume`, {
      subject: `${dir}${sep}${name}`,
      fix: 'copy the file into the volume instead of linking to it',
    });
  }
  return target;
}

function notReadable(path: string, error: unknown) {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return inputError('FILE_MISSING', 'does not exist', { subject: path, fix: 'check the path', cause: error });
  }
  if (code === 'EACCES') {
    return inputError('FILE_UNREADABLE', 'cannot be read (permission denied)', {
      subject: path,
      fix: 'run as a user that can read it, or fix its mode',
      cause: error,
    });
  }
  if (code === 'EISDIR') {
    return inputError('FILE_NOT_REGULAR', 'is a directory', { subject: path, fix: 'point at the file itself', cause: error });
  }
  return inputError('FILE_UNREADABLE', `cannot be read (${code ?? 'unknown error'})`, { subject: path, cause: error });
}

function formatMiB(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

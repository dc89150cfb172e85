import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';

/** The service account's uid inside the pods; on the host it may be anybody's. */
export const SERVICE_UID = 9000;

/** Whether uid 9000, with no account and no groups, can read the file (setpriv from util-linux). */
export function readableAs9000(path: string): boolean {
  return spawnSync('setpriv', ['--reuid', `${SERVICE_UID}`, '--regid', `${SERVICE_UID}`, '--clear-groups', 'cat', path], { stdio: 'ignore' }).status === 0;
}

export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Every file under `root` but a lock, path relative to root → its bytes (base64): to compare states. */
export function fileBytes(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const path of filesUnder(root)) if (basename(path) !== '.lock') files[relative(root, path)] = readFileSync(path).toString('base64');
  return files;
}

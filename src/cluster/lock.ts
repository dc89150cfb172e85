import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { runtimeError } from '../base/errors.js';

/**
 * One run per pod at a time: a lock file holding the owner's pid. A lock whose process is gone
 * (a crash, a kill -9) is taken over, so nobody has to delete it by hand.
 */
export async function acquireLock(path: string, what: string): Promise<() => Promise<void>> {
  await mkdir(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw runtimeError('LOCKED', `another dh-podman run (pid ${owner}) is changing ${what}`, {
          subject: path,
          fix: 'wait for it to finish and run again',
        });
      }
      await rm(path, { force: true });
    }
  }
  throw runtimeError('LOCKED', `could not take the lock for ${what}`, { subject: path, fix: 'run again' });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

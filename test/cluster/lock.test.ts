import t from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireLock } from '../../src/cluster/lock.js';

t.test('a second run on the same pod is stopped while the first holds the lock', async (t) => {
  const path = join(t.testdir(), 'pods', 'a', '.lock');
  const release = await acquireLock(path, 'pod a');
  await t.rejects(acquireLock(path, 'pod a'), { code: 'LOCKED', message: new RegExp(`pid ${process.pid}`) });
  await release();
  t.notOk(existsSync(path), 'released');
  const again = await acquireLock(path, 'pod a');
  await again();
});

t.test('a lock left by a process that is gone is taken over', async (t) => {
  const path = join(t.testdir(), '.lock');
  // Pids wrap far below this; no process has it.
  writeFileSync(path, '4194303\n');
  const release = await acquireLock(path, 'pod a');
  await release();
});

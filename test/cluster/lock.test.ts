import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { acquireLock } from '../../src/cluster/lock.js';
import { withoutTapLoader } from '../support/cli.js';

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

/** A pid no process has: pids wrap far below it. */
const DEAD_PID = '4194303\n';

/** Runs `racers` acquisitions at once; returns how many got the lock, releasing none of them. */
async function race(racers: number, acquire: () => Promise<unknown>): Promise<{ won: number; locked: number; other: unknown[] }> {
  const results = await Promise.allSettled(Array.from({ length: racers }, acquire));
  const other: unknown[] = [];
  let locked = 0;
  for (const result of results) {
    if (result.status === 'rejected') {
      if ((result.reason as { code?: string }).code === 'LOCKED') locked++;
      else other.push(result.reason);
    }
  }
  return { won: results.filter((result) => result.status === 'fulfilled').length, locked, other };
}

/**
 * lock.ts with every file-system call delayed by a random 0 to 2 ms, so racers in one process
 * interleave between any two calls, as separate processes do.
 */
async function jitteredLock(t: Test): Promise<typeof acquireLock> {
  const fs = await import('node:fs/promises');
  const jittered = Object.fromEntries(
    Object.entries(fs).map(([name, value]) => [
      name,
      typeof value === 'function'
        ? async (...args: unknown[]) => {
            await new Promise((resolve) => setTimeout(resolve, Math.random() * 2));
            return (value as (...a: unknown[]) => unknown)(...args);
          }
        : value,
    ]),
  );
  const modulePath = new URL('../../src/cluster/lock.js', import.meta.url).href;
  return (await t.mockImport<typeof import('../../src/cluster/lock.js')>(modulePath, { 'node:fs/promises': jittered })).acquireLock;
}

t.test('racers that all find a dead owner: exactly one takes the lock over, every round', async (t) => {
  const acquireLock = await jitteredLock(t);
  const dir = t.testdir();
  const rounds = 100;
  const failures: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const path = join(dir, `round-${round}`, '.lock');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, DEAD_PID);
    const outcome = await race(8, () => acquireLock(path, 'pod a'));
    if (outcome.won !== 1 || outcome.locked !== 7 || outcome.other.length > 0) {
      failures.push(`round ${round}: ${outcome.won} won, ${outcome.locked} locked, ${outcome.other.map(String).join('; ')}`);
    }
    t.equal(readFileSync(path, 'utf8'), `${process.pid}\n`, 'the lock holds the winner\'s pid');
    // Nothing but the lock itself is left in the directory: no temporary or takeover files.
    t.same(readdirSync(dirname(path)), ['.lock']);
  }
  t.same(failures, [], `exactly one winner in each of ${rounds} rounds`);
});

t.test('separate processes racing for a stale lock: exactly one proceeds', async (t) => {
  const dir = t.testdir();
  const lockModule = new URL('../../src/cluster/lock.js', import.meta.url).href;
  // Each child tries once, says whether it got the lock, and holds it until every child has
  // answered (its stdin closes): a winner that exited early would leave a stale lock that a child
  // starting late on a loaded machine could rightly take over.
  const child = `
    const { acquireLock } = await import(${JSON.stringify(lockModule)});
    try { await acquireLock(process.argv[1], 'pod a'); console.log('won'); }
    catch (error) { console.log(error.code === 'LOCKED' ? 'locked' : 'error ' + error.message); }
    process.stdin.resume();
    await new Promise((resolve) => process.stdin.on('end', resolve));`;
  for (let round = 0; round < 4; round++) {
    const path = join(dir, `round-${round}`, '.lock');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, DEAD_PID);
    const children = Array.from({ length: 4 }, () => spawn(...withoutTapLoader(process.execPath, ['--input-type=module', '-e', child, path]), { stdio: ['pipe', 'pipe', 'inherit'] }));
    const outputs = await Promise.all(
      children.map(
        (proc) =>
          new Promise<string>((resolve, reject) => {
            let text = '';
            proc.stdout.on('data', (chunk: Buffer) => {
              text += chunk.toString();
              if (text.includes('\n')) resolve(text.trim());
            });
            proc.on('error', reject);
            proc.on('exit', () => resolve(text.trim()));
          }),
      ),
    );
    await Promise.all(children.map((proc) => new Promise((resolve) => { proc.on('exit', resolve); proc.stdin.end(); })));
    t.same(outputs.sort(), ['locked', 'locked', 'locked', 'won'], `round ${round}`);
  }
});

t.test('a lock being created is never mistaken for a stale one', async (t) => {
  // The owner's pid is in the file from the moment the lock path exists, so a racer never reads
  // an empty lock, takes it for a dead owner's and removes it.
  const acquireLock = await jitteredLock(t);
  const dir = t.testdir();
  for (let round = 0; round < 50; round++) {
    const path = join(dir, `round-${round}`, '.lock');
    const outcome = await race(6, () => acquireLock(path, 'pod a'));
    t.equal(outcome.won, 1, `round ${round}: one winner`);
    t.equal(outcome.locked, 5, `round ${round}: the others are told it is locked`);
  }
});

t.test('a takeover whose taker died half way is taken over in turn, and its marker removed', async (t) => {
  const path = join(t.testdir(), '.lock');
  writeFileSync(path, DEAD_PID);
  writeFileSync(`${path}.takeover-${statSync(path).ino}`, DEAD_PID);
  const release = await acquireLock(path, 'pod a');
  t.equal(readFileSync(path, 'utf8'), `${process.pid}\n`);
  t.same(readdirSync(dirname(path)), ['.lock']);
  await release();
});

import t from 'tap';
import { recordTiming, startTiming, timed, timedSync, timingOn, timingRequested } from '../../src/base/timing.js';

/** DH_PODMAN_DEBUG=timing: one line per step with its time, then the total; nothing when off. */
t.test('DH_PODMAN_DEBUG asks for timing alone or in a comma list', async (t) => {
  t.ok(timingRequested({ DH_PODMAN_DEBUG: 'timing' }));
  t.ok(timingRequested({ DH_PODMAN_DEBUG: '1,timing' }));
  t.notOk(timingRequested({ DH_PODMAN_DEBUG: '1' }));
  t.notOk(timingRequested({}));
});

t.test('stack traces are asked for by 1, alone or beside timing', async (t) => {
  const { debugAsks } = await import('../../src/base/debug.js');
  t.ok(debugAsks({ DH_PODMAN_DEBUG: '1' }, '1'));
  t.ok(debugAsks({ DH_PODMAN_DEBUG: 'timing,1' }, '1'));
  t.notOk(debugAsks({ DH_PODMAN_DEBUG: 'timing' }, '1'));
  t.notOk(debugAsks({ DH_PODMAN_DEBUG: '10' }, '1'));
});

t.test('off, steps run and nothing is written', async (t) => {
  t.notOk(timingOn());
  t.equal(await timed('a step', async () => 7), 7);
  t.equal(timedSync('a step', () => 8), 8);
  recordTiming('a step', 1);
});

t.test('on, each step is a line with its time; the total ends it', async (t) => {
  const lines: string[] = [];
  const finish = startTiming((line) => lines.push(line));
  t.ok(timingOn());
  t.equal(await timed('async step', async () => 'done'), 'done');
  t.equal(timedSync('sync step', () => 3), 3);
  await t.rejects(timed('failing step', async () => Promise.reject(new Error('no'))), /no/, 'a failure is still the caller\'s');
  finish();
  t.notOk(timingOn(), 'finishing turns timing off');
  t.equal(lines.length, 4);
  t.match(lines[0], /^timing: @ *\d+ ms async step \d+\.\d ms$/);
  t.match(lines[1], /^timing: @ *\d+ ms sync step \d+\.\d ms$/);
  t.match(lines[2], /failing step \d+\.\d ms$/, 'a failed step is timed too');
  t.match(lines[3], /^timing: @ *\d+ ms total \d+\.\d ms since the process started$/);
});

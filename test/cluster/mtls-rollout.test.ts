import t from 'tap';
import { brokenCalls, type CallCheck } from '../../src/cluster/call-matrix.js';
import { rollOutChecked } from '../../src/cluster/mtls-rollout.js';
import type { RollOutStep } from '../../src/cluster/roll-out.js';

/** Steps that record what happened to them; `sick` never becomes healthy. */
function steps(names: string[], sick: string | undefined, log: string[]): (RollOutStep & { hostname: string })[] {
  return names.map((name) => ({
    name,
    hostname: `${name}.example.test`,
    apply: async () => void log.push(`apply ${name}`),
    healthy: async () => {
      if (name === sick) throw new Error('no answer within 1 s');
      log.push(`healthy ${name}`);
    },
    revert: async () => void log.push(`revert ${name}`),
  }));
}

t.test('machines move one at a time, the calls checked after each', async (t) => {
  const log: string[] = [];
  await rollOutChecked(steps(['a', 'b'], undefined, log), 'want', async () => {
    log.push('calls');
    return [];
  }, () => undefined);
  t.same(log, ['apply a', 'healthy a', 'calls', 'apply b', 'healthy b', 'calls']);
});

t.test('a call that breaks puts that machine and every one before it back, newest first; the rest are not touched', async (t) => {
  const log: string[] = [];
  let checks = 0;
  const error = await rollOutChecked(steps(['a', 'b', 'c'], undefined, log), 'need', async () => (++checks === 2 ? ['a → b (SSLHandshakeException)'] : []), () => undefined).catch((e: unknown) => e);
  t.same(log, ['apply a', 'healthy a', 'apply b', 'healthy b', 'revert b', 'revert a']);
  t.match(error, { code: 'MTLS_ROLLOUT_STOPPED', exitCode: 4, subject: 'b' });
  t.match((error as Error).message, /^the rollout to mutual TLS need stopped at b \(b\.example\.test\): calls that worked before fail now: a → b \(SSLHandshakeException\); b, a put back as they were$/);
  t.match((error as { fix: string }).fix, /^not touched: c; /);
});

t.test('a machine that does not come up is put back with the ones before it', async (t) => {
  const log: string[] = [];
  const error = await rollOutChecked(steps(['a', 'b'], 'b', log), 'want', async () => [], () => undefined).catch((e: unknown) => e);
  t.same(log, ['apply a', 'healthy a', 'apply b', 'revert b', 'revert a']);
  t.match((error as Error).message, /stopped at b .*no answer within 1 s; b, a put back as they were$/);
});

t.test('only calls that worked before count as broken', async (t) => {
  const call = (from: string, to: string, state: CallCheck['state']): CallCheck => ({ from, to, state, detail: state });
  const before = [call('a', 'b', 'ok'), call('b', 'a', 'failed'), call('a', 'c', 'no-call')];
  const after = [call('a', 'b', 'failed'), call('b', 'a', 'failed'), call('a', 'c', 'failed')];
  t.same(brokenCalls(before, after).map((c) => `${c.from}→${c.to}`), ['a→b']);
});

import t from 'tap';
import { rollOut, type RollOutStep } from '../../src/cluster/roll-out.js';

/** Steps that record what happened to them; `sick` never becomes healthy. */
function steps(names: string[], sick: string | undefined, log: string[]): RollOutStep[] {
  return names.map((name) => ({
    name,
    apply: async () => void log.push(`apply ${name}`),
    healthy: async () => {
      if (name === sick) throw new Error('no answer within 1 s');
      log.push(`healthy ${name}`);
    },
    revert: async () => void log.push(`revert ${name}`),
  }));
}

t.test('pods restart one at a time, each healthy before the next', async (t) => {
  const log: string[] = [];
  t.same(await rollOut(steps(['a', 'b', 'c'], undefined, log)), ['a', 'b', 'c']);
  t.same(log, ['apply a', 'healthy a', 'apply b', 'healthy b', 'apply c', 'healthy c']);
});

t.test('the first pod that does not come up is put back and the rest are not touched', async (t) => {
  const log: string[] = [];
  const error = await rollOut(steps(['a', 'b', 'c'], 'b', log)).catch((e: unknown) => e);
  t.same(log, ['apply a', 'healthy a', 'apply b', 'revert b']);
  t.match(error, { code: 'ROTATE_NOT_HEALTHY', exitCode: 4 });
  t.match((error as Error).message, /^b did not come up after rotation: no answer within 1 s; its previous certificates and trust were put back$/);
  t.match((error as { fix: string }).fix, /^not touched: c; /);
});

t.test('a revert that fails too is said, not hidden', async (t) => {
  const failing = steps(['a'], 'a', []);
  failing[0]!.revert = async () => {
    throw new Error('pod create failed');
  };
  await t.rejects(rollOut(failing), { message: /putting its previous files back failed too \(pod create failed\)/ });
});

t.test('a pod whose apply fails is not reverted (apply undid itself) and the rest are not touched', async (t) => {
  const log: string[] = [];
  const all = steps(['a', 'b', 'c'], undefined, log);
  all[1]!.apply = async () => {
    throw Object.assign(new Error('host port 0.0.0.0:9 is held by another process; pod b was not touched'), { code: 'PORT_IN_USE' });
  };
  const error = await rollOut(all).catch((e: unknown) => e);
  t.same(log, ['apply a', 'healthy a'], 'no revert of b, nothing of c');
  t.match(error, { exitCode: 4, message: /^b was not rotated: host port 0\.0\.0\.0:9 is held/ });
  t.match((error as { fix: string }).fix, /^not touched: c; fix the cause and run rotate again$/);
});

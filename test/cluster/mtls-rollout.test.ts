import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadClusterFile } from '../../src/cluster/cluster-file.js';
import { planCluster } from '../../src/cluster/cluster-plan.js';
import { brokenCalls, type CallCheck } from '../../src/cluster/call-matrix.js';
import { rollOutChecked } from '../../src/cluster/mtls-rollout.js';
import type { RollOutStep } from '../../src/cluster/roll-out.js';
import { startFakePodman } from '../support/fake-podman.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';

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

const IMAGE = 'localhost/mtls-plan/probe:latest';

/** A cluster file of two existing machines at mutual TLS `level`, with `extra` top-level lines. */
async function clusterAt(t: Test, level: string, extra: string[] = []) {
  const dir = t.testdir();
  const ca = makeCa(dir, 'site', '/CN=mtls plan CA');
  const lines = ['cluster: mtls-plan', 'stateDir: ./state', `mtls: ${level}`, ...extra, 'trust:', '  caCertFile: ./site.crt', 'pods:'];
  for (const pod of ['one', 'two']) {
    makeVolume(dir, pod, makeLeaf(dir, pod, ca, [`${pod}.mtls-plan.test`]));
    lines.push(`  - name: mtls-plan-${pod}`, `    hostname: ${pod}.mtls-plan.test`, `    image: ${IMAGE}`, `    certificate: { mode: existing, tlsVolume: ./${pod} }`);
  }
  writeFileSync(join(dir, 'dh-podman.yaml'), `${lines.join('\n')}\n`);
  const { spec, issues } = await loadClusterFile(join(dir, 'dh-podman.yaml'));
  if (!spec) throw new Error(JSON.stringify(issues));
  const podman = await startFakePodman();
  podman.addImage(IMAGE);
  t.teardown(() => podman.close());
  return { spec, state: join(dir, 'state'), engine: podman.engine };
}

t.test('mtls in the cluster file: every machine asks for client certificates at that level', async (t) => {
  for (const [level, value] of [['want', 'WANTED'], ['need', 'NEEDED']] as const) {
    const { spec, state, engine } = await clusterAt(t, level);
    const plan = await planCluster(engine, spec, state);
    t.same(plan.machines.map((machine) => machine.derived.properties['tls.clientAuthentication']), [value, value], level);
  }
  const { spec, state, engine } = await clusterAt(t, 'off');
  const plan = await planCluster(engine, spec, state);
  t.same(plan.machines.map((machine) => machine.derived.properties['tls.clientAuthentication']), [undefined, undefined], 'off');
});

t.test('need with an Envoy front is refused before anything: the front presents no client certificate', async (t) => {
  const { spec, state, engine } = await clusterAt(t, 'need', ['envoy:', '  hostname: front.mtls-plan.test']);
  const error = await planCluster(engine, spec, state).catch((e: unknown) => e);
  t.match(error, { code: 'MTLS_NEED_WITH_ENVOY', exitCode: 3 });
});

import t from 'tap';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allCallsWork } from '../support/calls.js';
import { runCli } from '../support/cli.js';
import { freePort } from '../support/net.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';
import { writeClusterFile } from '../support/cluster-file.js';
import { podmanEnv, requirePodman, PROBE_AND_FRONT } from '../support/podman.js';
import { buildClusterImages, curlHttps, podman } from '../support/podman-cli.js';

/**
 * Rotation on a running two-pod cluster whose certificates are made with OpenSSL: a new leaf, a
 * wrong leaf, and a CA rollover, with every pod calling the other between the steps.
 */

const PREFIX = `localhost/dh-podman-test-rotate-${process.pid}/`;
const cluster = `r${process.pid}`;

t.test('rotate: a new leaf, a refused leaf, and a CA rollover without a failed call', async (t) => {
  if (!(await requirePodman(t))) return;
  const dir = t.testdir();
  const oldCa = makeCa(dir, 'old-ca', '/CN=Rotation Site CA');
  const pods = [
    { name: `${cluster}-one`, hostname: 'one.rotate.test', volume: join(dir, 'one'), port: await freePort() },
    { name: `${cluster}-two`, hostname: 'two.rotate.test', volume: join(dir, 'two'), port: await freePort() },
  ];
  const [one, two] = pods as [(typeof pods)[0], (typeof pods)[0]];
  for (const pod of pods) makeVolume(dir, pod.name.endsWith('one') ? 'one' : 'two', makeLeaf(dir, pod.name, oldCa, [pod.hostname]));
  const trustFile = join(dir, 'trust.pem');
  copyFileSync(oldCa.cert, trustFile);
  const file = join(dir, 'dh-podman.yaml');
  writeClusterFile(file, [`cluster: ${cluster}`, 'stateDir: ./state', 'trust: { caCertFile: ./trust.pem }'],
    pods.map((pod) => ({ name: pod.name, hostname: pod.hostname, port: pod.port, image: `${PREFIX}probe:latest`, volume: `./${pod.name.endsWith('one') ? 'one' : 'two'}` })));

  const build = await buildClusterImages(t, cluster, PREFIX, PROBE_AND_FRONT);
  t.equal(build.code, 0, build.stderr);
  const up = await runCli(['up', '-f', file], { env: podmanEnv });
  t.equal(up.code, 0, up.stderr);

  const podId = async (name: string) => (await podman(['pod', 'inspect', '--format', '{{.Id}}', name])).stdout.trim();
  const rotate = (...args: string[]) => runCli(['rotate', '-f', file, '--json', ...args], { env: podmanEnv });
  const actions = (stdout: string) => Object.fromEntries(JSON.parse(stdout).pods.map((p: { name: string; action: string }) => [p.name, p.action]));
  const newLeaf = (pod: (typeof pods)[0], ca: { cert: string; key: string }, label: string, names = [pod.hostname]) => {
    const leaf = makeLeaf(dir, `${pod.name}-${label}`, ca, names);
    copyFileSync(leaf.cert, join(pod.volume, 'tls.crt'));
    copyFileSync(leaf.key, join(pod.volume, 'tls.key'));
  };

  await allCallsWork(t, pods, trustFile, 'after up');

  await t.test('a new leaf from the same CA: only that pod restarts', async (t) => {
    const before = { one: await podId(one.name), two: await podId(two.name) };
    newLeaf(one, oldCa, 'second');
    const result = await rotate(one.name);
    t.equal(result.code, 0, result.stderr);
    t.same(actions(result.stdout), { [one.name]: 'restarted' });
    t.not(await podId(one.name), before.one, 'one was restarted');
    t.equal(await podId(two.name), before.two, 'two was not touched');
    const all = await rotate();
    t.same(actions(all.stdout), { [one.name]: 'unchanged', [two.name]: 'unchanged' }, 'rotating again changes nothing');
    await allCallsWork(t, pods, trustFile, 'after the new leaf');
  });

  await t.test('a leaf whose SAN misses the hostname is refused and the old pod keeps serving', async (t) => {
    const before = await podId(one.name);
    const good = { crt: readFileSync(join(one.volume, 'tls.crt')), key: readFileSync(join(one.volume, 'tls.key')) };
    newLeaf(one, oldCa, 'wrong', ['elsewhere.rotate.test']);
    const result = await runCli(['rotate', '-f', file], { env: podmanEnv });
    t.equal(result.code, 3);
    t.match(result.stdout, /\/pods\/0\/certificate\/tlsVolume: .*one\/tls\.crt: no subjectAltName entry of the leaf matches one\.rotate\.test/);
    t.match(result.stdout, /1 problem\(s\); nothing was created or changed/);
    t.equal(await podId(one.name), before, 'the pod was not touched');
    t.equal((await curlHttps(`https://${one.hostname}:${one.port}/health`, trustFile, one.hostname, one.port)).code, 0, 'and still answers');
    writeFileSync(join(one.volume, 'tls.crt'), good.crt);
    writeFileSync(join(one.volume, 'tls.key'), good.key);
  });

  await t.test('CA rollover: old and new CA trusted together, then new leaves, then the old CA goes', async (t) => {
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the renewed CA starts a second later
    const newCa = makeCa(dir, 'new-ca', '/CN=Rotation Site CA');
    writeFileSync(trustFile, readFileSync(oldCa.cert, 'utf8') + readFileSync(newCa.cert, 'utf8'));
    const both = await rotate();
    t.equal(both.code, 0, both.stderr);
    t.same(actions(both.stdout), { [one.name]: 'restarted', [two.name]: 'restarted' }, 'every truststore gained the new CA');
    t.equal(JSON.parse(both.stdout).warnings.length, 2, 'both pods still present leaves of the leaving CA');
    t.match(both.stderr, /warning: .*one\.rotate\.test.* still presents tls\.crt issued under the CA/);
    await allCallsWork(t, pods, trustFile, 'trusting old and new');

    for (const pod of pods) newLeaf(pod, newCa, 'renewed');
    const reissued = await rotate();
    t.equal(reissued.code, 0, reissued.stderr);
    t.same(JSON.parse(reissued.stdout).warnings, [], 'no pod depends on the old CA any more');
    await allCallsWork(t, pods, trustFile, 'with leaves of the new CA');

    copyFileSync(newCa.cert, trustFile);
    const done = await rotate();
    t.equal(done.code, 0, done.stderr);
    t.same(actions(done.stdout), { [one.name]: 'restarted', [two.name]: 'restarted' }, 'the old CA left every truststore');
    await allCallsWork(t, pods, trustFile, 'trusting only the new CA');
  });

  const down = await runCli(['down', '-f', file], { env: podmanEnv });
  t.equal(down.code, 0, down.stderr);
});

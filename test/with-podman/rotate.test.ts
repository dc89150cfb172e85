import t, { type Test } from 'tap';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { loadClusterFile } from '../../src/cluster/cluster-file.js';
import { planCluster } from '../../src/cluster/cluster-plan.js';
import { applyMachinePlan } from '../../src/cluster/machine-apply.js';
import { waitForHealth } from '../../src/cluster/health.js';
import { clusterRotate } from '../../src/cluster/rotate.js';
import { resolveStateDir } from '../../src/cluster/state-dir.js';
import { Engine } from '../../src/engine/engine.js';
import { allCallsWork } from '../support/calls.js';
import { runCli } from '../support/cli.js';
import { freePort } from '../support/net.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';
import { writeClusterFile } from '../support/cluster-file.js';
import { podmanEnv, requirePodman, PROBE_AND_FRONT } from '../support/podman.js';
import { buildClusterImages, curlHttps, eventually, podman } from '../support/podman-cli.js';
import { fileBytes } from '../support/custody.js';

/**
 * Rotation on a running two-pod cluster whose certificates are made with OpenSSL: a new leaf
 * (new containers in the same pod), a rotated pod taken as not answering and new containers that
 * Podman refuses (both put back), a wrong leaf, and a CA rollover, with every pod calling the
 * other between the steps.
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
  const ids = async (name: string) => ({
    pod: await podId(name),
    infra: (await podman(['pod', 'inspect', '--format', '{{.InfraContainerID}}', name])).stdout.trim(),
    service: (await podman(['container', 'inspect', '--format', '{{.Id}}', `${name}-svc`])).stdout.trim(),
  });
  /** The certificate the pod presents in a real handshake on its published port, verified against the trust file. */
  const served = (pod: (typeof pods)[0]) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: pod.port, servername: pod.hostname, ca: readFileSync(trustFile) }, () => {
        resolve(socket.getPeerCertificate().fingerprint256);
        socket.end();
      });
      socket.on('error', reject);
    });
  const inVolume = (pod: (typeof pods)[0]) => new X509Certificate(readFileSync(join(pod.volume, 'tls.crt'))).fingerprint256;
  const rotate = (...args: string[]) => runCli(['rotate', '-f', file, '--json', ...args], { env: podmanEnv });
  const actions = (stdout: string) => Object.fromEntries(JSON.parse(stdout).pods.map((p: { name: string; action: string }) => [p.name, p.action]));
  const volumeFiles = () => ({ crt: readFileSync(join(one.volume, 'tls.crt')), key: readFileSync(join(one.volume, 'tls.key')) });
  /** One's good leaf back in its volume: after a put-back, nothing is left to rotate and every call works. */
  const goodLeafBack = async (t: Test, good: ReturnType<typeof volumeFiles>, why: string, when: string) => {
    writeFileSync(join(one.volume, 'tls.crt'), good.crt);
    writeFileSync(join(one.volume, 'tls.key'), good.key);
    t.same(actions((await rotate()).stdout), { [one.name]: 'unchanged', [two.name]: 'unchanged' }, why);
    await allCallsWork(t, pods, trustFile, when);
  };
  const newLeaf = (pod: (typeof pods)[0], ca: { cert: string; key: string }, label: string, names = [pod.hostname]) => {
    const leaf = makeLeaf(dir, `${pod.name}-${label}`, ca, names);
    copyFileSync(leaf.cert, join(pod.volume, 'tls.crt'));
    copyFileSync(leaf.key, join(pod.volume, 'tls.key'));
  };

  await allCallsWork(t, pods, trustFile, 'after up');

  await t.test('a new leaf from the same CA: only that pod restarts, with new containers in the same pod', async (t) => {
    const before = { one: await ids(one.name), two: await ids(two.name) };
    newLeaf(one, oldCa, 'second');
    const result = await rotate(one.name);
    t.equal(result.code, 0, result.stderr);
    t.same(actions(result.stdout), { [one.name]: 'restarted' });
    const after = await ids(one.name);
    t.equal(after.pod, before.one.pod, 'one is the same pod');
    t.equal(after.infra, before.one.infra, 'with the same infra container (its network, address and ports kept)');
    t.not(after.service, before.one.service, 'and a new service container');
    t.equal(await served(one), inVolume(one), 'which presents the new leaf in a handshake');
    t.same(await ids(two.name), before.two, 'two was not touched');
    const all = await rotate();
    t.same(actions(all.stdout), { [one.name]: 'unchanged', [two.name]: 'unchanged' }, 'rotating again changes nothing');
    await allCallsWork(t, pods, trustFile, 'after the new leaf');
  });

  await t.test('a rotated pod that does not answer gets its previous containers back, presenting its previous leaf', async (t) => {
    const before = await ids(one.name);
    const previousLeaf = await served(one);
    const good = volumeFiles();
    newLeaf(one, oldCa, 'unanswered');
    const { spec } = await loadClusterFile(file);
    const stateDir = (await resolveStateDir({ cluster: { name: spec!.cluster, file, stateDir: spec!.stateDir }, env: process.env })).dir;
    const waited: string[] = [];
    const error = await Engine.with({ env: { ...process.env, ...podmanEnv } }, (engine) =>
      clusterRotate(engine, spec!, stateDir, {
        pods: [one.name],
        healthTimeoutMs: 90_000,
        onStep: () => undefined,
        onWarning: () => undefined,
        // The rotated pod is taken as never answering; the one put back is awaited over TLS, as rotate does.
        waitHealthy: (target, timeoutMs) => {
          waited.push(target.hostname);
          return waited.length === 1 ? Promise.reject(new Error('taken as not answering')) : waitForHealth(target, timeoutMs);
        },
      }),
    ).catch((caught: unknown) => caught);
    t.match(error, { code: 'ROTATE_NOT_HEALTHY' });
    t.match((error as Error).message, /taken as not answering; its previous certificates and trust were put back$/);
    t.same(waited, [one.hostname, one.hostname], 'the pod put back answered /health over TLS');
    const after = await ids(one.name);
    t.equal(after.pod, before.pod, 'the same pod');
    t.equal(after.infra, before.infra, 'with the same infra container');
    t.not(after.service, before.service, 'its service container made again');
    t.equal(await served(one), previousLeaf, 'presenting its previous leaf in a handshake');
    await goodLeafBack(t, good, 'with its previous leaf back in its volume, nothing is left to rotate', 'after the put-back');
  });

  await t.test('new containers that Podman refuses: the previous ones are made again in the same pod and serve', async (t) => {
    const before = await ids(one.name);
    const previousLeaf = await served(one);
    const good = volumeFiles();
    const { spec } = await loadClusterFile(file);
    const stateDir = (await resolveStateDir({ cluster: { name: spec!.cluster, file, stateDir: spec!.stateDir }, env: process.env })).dir;
    const podState = join(stateDir, 'pods', one.name);
    const filesBefore = fileBytes(podState);
    newLeaf(one, oldCa, 'refused');
    const error = await Engine.with({ env: { ...process.env, ...podmanEnv } }, async (engine) => {
      const [machine] = (await planCluster(engine, spec!, stateDir, spec!.pods.filter((pod) => pod.name === one.name))).machines;
      t.equal(machine!.pod.action, 'replace-containers');
      // A bind mount whose source does not exist: Podman refuses the new service container.
      const refused = { ...machine!, container: { ...machine!.container, mounts: [...machine!.container.mounts, { source: join(dir, 'no-such-dir'), destination: '/nowhere', readOnly: true }] } };
      return applyMachinePlan(engine, refused).then(() => undefined, (caught: unknown) => caught);
    });
    t.match((error as Error | undefined)?.message, /no-such-dir.*; the previous containers were put back and are running$/);
    const after = await ids(one.name);
    t.equal(after.pod, before.pod, 'the same pod');
    t.equal(after.infra, before.infra, 'with the same infra container');
    t.not(after.service, before.service, 'its previous service container made again');
    t.same(fileBytes(podState), filesBefore, 'its derived files are the same bytes as before');
    t.equal(await eventually(() => served(one).catch(() => undefined), 90_000), previousLeaf, 'presenting its previous leaf in a handshake');
    await goodLeafBack(t, good, 'the container put back is the one planned: nothing is left to rotate', 'after the refused containers');
  });

  await t.test('a leaf whose SAN misses the hostname is refused and the old pod keeps serving', async (t) => {
    const before = await podId(one.name);
    const good = volumeFiles();
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

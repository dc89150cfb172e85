import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allCallsWork } from '../support/calls.js';
import { runCli } from '../support/cli.js';
import { freePort } from '../support/net.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';
import { BASE_IMAGE, podmanEnv, requirePodman, PROBE_AND_FRONT } from '../support/podman.js';
import { podman, removeClusterPods, untagPrefix } from '../support/podman-cli.js';

/** A three-pod cluster from one file: two TLS volumes made with OpenSSL, one generated. */

const PREFIX = 'localhost/dh-podman-test-cluster/';
const cluster = `c${process.pid}`;

t.test('up brings the cluster up, every pod calls every other, up again changes nothing, down leaves nothing', async (t) => {
  if (!(await requirePodman(t))) return;
  const dir = t.testdir();
  const ca = makeCa(dir, 'site', '/CN=cluster test site CA');
  const pods = [
    { name: `${cluster}-one`, hostname: 'one.cluster.test', port: await freePort() },
    { name: `${cluster}-two`, hostname: 'two.cluster.test', port: await freePort() },
    { name: `${cluster}-three`, hostname: 'three.cluster.test', port: await freePort() },
  ];
  makeVolume(dir, 'one', makeLeaf(dir, 'one', ca, [pods[0]!.hostname]));
  makeVolume(dir, 'two', makeLeaf(dir, 'two', ca, [pods[1]!.hostname]));
  const file = join(dir, 'dh-podman.yaml');
  writeFileSync(file, [
    `cluster: ${cluster}`,
    'stateDir: ./state',
    'trust:',
    '  caCertFile: ./site.crt',
    'pods:',
    ...pods.map((pod, i) => [
      `  - name: ${pod.name}`,
      `    hostname: ${pod.hostname}`,
      `    image: ${PREFIX}probe:latest`,
      `    publish: [${pod.port}]`,
      i < 2 ? `    certificate: { mode: existing, tlsVolume: ./${['one', 'two'][i]} }` : '    certificate: { mode: generate }',
    ].join('\n')),
    '',
  ].join('\n'));

  // Only this test's pods and networks: other tests and other checkouts use the same engine.
  const ours = (names: string) => names.split('\n').filter((name) => name.includes(cluster)).sort().join(',');
  const list = async () => ({
    pods: ours((await podman(['pod', 'ls', '--format', '{{.Name}}'])).stdout),
    networks: ours((await podman(['network', 'ls', '--format', '{{.Name}}'])).stdout),
  });
  const before = await list();
  t.teardown(async () => {
    await removeClusterPods(cluster);
    await untagPrefix(PREFIX);
  });
  const build = await runCli(['build', '--tag-prefix', PREFIX, '--base-image', BASE_IMAGE, ...PROBE_AND_FRONT], { env: podmanEnv });
  t.equal(build.code, 0, build.stderr);

  const up = await runCli(['up', '-f', file, '--json'], { env: podmanEnv });
  t.equal(up.code, 0, up.stderr);
  t.same(JSON.parse(up.stdout).pods.map((p: { action: string }) => p.action), ['create', 'create', 'create']);
  const bundle = join(dir, 'state', 'clusters', cluster, 'trust-bundle.pem');
  t.match(readFileSync(bundle, 'utf8'), /BEGIN CERTIFICATE[\s\S]*BEGIN CERTIFICATE/, 'the site CA and the cluster CA, trusted by every pod');

  await allCallsWork(t, pods, bundle, 'after up');

  const again = await runCli(['up', '-f', file, '--json'], { env: podmanEnv });
  t.equal(again.code, 0, again.stderr);
  t.equal(JSON.parse(again.stdout).changed, false, 'up again: nothing to change');

  const down = await runCli(['down', '-f', file, '--json'], { env: podmanEnv });
  t.equal(down.code, 0, down.stderr);
  t.same(await list(), before, 'podman pod ls and network ls are as before up');
});

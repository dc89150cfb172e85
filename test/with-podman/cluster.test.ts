import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allCallsWork } from '../support/calls.js';
import { runCli } from '../support/cli.js';
import { freePort } from '../support/net.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';
import { writeClusterFile } from '../support/cluster-file.js';
import { podmanEnv, requirePodman, PROBE_AND_FRONT } from '../support/podman.js';
import { buildClusterImages, podman } from '../support/podman-cli.js';

/** A three-pod cluster from one file: two TLS volumes made with OpenSSL, one generated. */

const PREFIX = `localhost/dh-podman-test-cluster-${process.pid}/`;
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
  writeClusterFile(file, [`cluster: ${cluster}`, 'stateDir: ./state', 'trust:', '  caCertFile: ./site.crt'],
    pods.map((pod, i) => ({ ...pod, image: `${PREFIX}probe:latest`, volume: ['./one', './two'][i] })));

  // This cluster's own pods and network only: other test files run at the same time.
  const list = async () => ({
    pods: (await podman(['pod', 'ls', '--format', '{{.Name}}', '--filter', `label=io.dh-podman.cluster=${cluster}`])).stdout.split('\n').filter(Boolean).sort(),
    networks: (await podman(['network', 'ls', '--format', '{{.Name}}'])).stdout.split('\n').filter((name) => name === `dh-${cluster}`),
  });
  const before = await list();
  t.same(before, { pods: [], networks: [] }, 'nothing of the cluster exists before up');
  const build = await buildClusterImages(t, cluster, PREFIX, PROBE_AND_FRONT);
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
  t.same(await list(), before, 'none of its pods and no network of it is left after down');
});

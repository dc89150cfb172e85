import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { secretPrefix } from '../../src/cluster/secret-delivery.js';
import { runCli } from '../support/cli.js';
import { filesUnder, readableAs9000, SERVICE_UID } from '../support/custody.js';
import { freePort } from '../support/net.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';
import { BASE_IMAGE, podmanEnv, requirePodman } from '../support/podman.js';
import { curlHttps, eventually, podman } from '../support/podman-cli.js';
import { cliAsUser, podmanAsUser, setUpRootless, stopRootless, userStateDir, type RootlessUser } from '../support/rootless.js';

/**
 * dh-podman as an ordinary user with a rootless Podman: `start`, `up -f`, `stop` and `down`
 * with the state in the user's XDG data directory, the engine found as the rootless socket, and
 * the same custody as for root: every derived secret file the user's alone (0600), unreadable
 * by uid 9000, delivered to the service account as a Podman secret.
 */

/** The image the user runs: root's probe image, copied into the user's storage by the setup. */
const IMAGE = 'localhost/dh-podman/probe:latest';
const suffix = `${process.pid}`;
const machine = `rl-m${suffix}`;
const network = `rl-net${suffix}`;
const cluster = `rl${suffix}`;
const clusterPods = [`${cluster}-1`, `${cluster}-2`];
const hosts = ['one.rl.test', 'two.rl.test'];

t.test('start, up -f, stop and down work as a user with rootless Podman', async (t) => {
  if (!(await requirePodman(t))) return;
  if ((await podman(['image', 'exists', IMAGE], true)).code !== 0) {
    const build = await runCli(['build', '--only', 'probe', '--base-image', BASE_IMAGE], { env: podmanEnv });
    t.equal(build.code, 0, `build: ${build.stderr.split('\n').slice(-3).join(' ')}`);
  }
  let user: RootlessUser;
  try {
    user = setUpRootless([IMAGE]);
  } catch (error) {
    // Never a skip: the machine cannot run rootless Podman, and the failure says why.
    t.fail(`rootless Podman is not available: ${(error as Error).message}`);
    return;
  }
  const work = join(user.home, `rl-test-${suffix}`);
  const stateDir = userStateDir(user);
  t.teardown(async () => {
    for (const pod of [machine, ...clusterPods]) await podmanAsUser(user, ['pod', 'rm', '-f', pod]);
    for (const net of [network, `dh-${cluster}`]) await podmanAsUser(user, ['network', 'rm', '-f', net]);
    const secrets = (await podmanAsUser(user, ['secret', 'ls', '--format', '{{.Name}}'])).stdout.split('\n');
    for (const name of secrets.filter((s) => [machine, ...clusterPods].some((pod) => s.startsWith(secretPrefix(pod))))) await podmanAsUser(user, ['secret', 'rm', name]);
    rmSync(work, { recursive: true, force: true });
    for (const dir of [join(stateDir, 'pods', machine), ...clusterPods.map((pod) => join(stateDir, 'pods', pod)), join(stateDir, 'clusters', cluster)]) rmSync(dir, { recursive: true, force: true });
    stopRootless();
  });

  // The TLS volume: made by OpenSSL as root, then handed to the user (tls.key 0600).
  mkdirSync(work, { recursive: true });
  const ca = makeCa(work, 'ca', '/CN=rootless CA');
  const volume = makeVolume(work, 'tls', makeLeaf(work, 'leaf', ca, ['m.rl.test']));
  execFileSync('chown', ['-R', `${user.name}:`, work]);

  const port = await freePort();
  const start = await cliAsUser(user, ['start', '--json', '-h', 'm.rl.test', '--tls-volume', volume, '--name', machine, '--image', IMAGE, '--publish', `${port}`, '--network', network, '--ca-cert-file', ca.cert]);
  t.equal(start.code, 0, `start as ${user.name}: ${start.stderr}`);
  const health = await eventually(async () => {
    const answer = await curlHttps(`https://m.rl.test:${port}/health`, ca.cert, 'm.rl.test', port);
    return answer.code === 0 ? answer : undefined;
  });
  t.match(JSON.parse(health?.stdout || '{}'), { status: 'ok', hostname: 'm.rl.test' }, 'the machine answers /health over TLS on its published loopback port');

  // Custody: the auth dir under the user's XDG data dir is the user's alone.
  const auth = join(stateDir, 'pods', machine, 'auth');
  t.ok(existsSync(auth), `the state is in the user's XDG data dir (${auth})`);
  const secrets = filesUnder(auth);
  t.ok(secrets.some((path) => path.endsWith('keystore.p12')) && secrets.some((path) => path.endsWith('keystore.passphrase')), 'the auth dir holds the keystore and its passphrase');
  for (const path of secrets) {
    const stats = statSync(path);
    t.equal(stats.uid, user.uid, `${path} is ${user.name}'s`);
    t.equal(stats.mode & 0o777, 0o600, `${path} is 0600`);
    t.notOk(readableAs9000(path), `uid ${SERVICE_UID} cannot read ${path}`);
  }
  t.same(filesUnder(stateDir).filter((path) => statSync(path).uid === SERVICE_UID), [], `no file of the state dir is owned by uid ${SERVICE_UID}`);
  const asService = (path: string) => podmanAsUser(user, ['exec', '--user', `${SERVICE_UID}`, `${machine}-svc`, 'cat', path]);
  t.equal((await asService('/etc/sysconfig/deephaven/auth/keystore.p12')).code, 0, 'inside the pod the service account reads its keystore');
  t.equal((await asService('/etc/sysconfig/deephaven/auth/keystore.passphrase')).code, 0, 'and its passphrase');
  t.not((await asService('/etc/sysconfig/deephaven/tls/tls.key')).code, 0, 'but not tls.key');

  // A two-pod cluster with generated certificates: up, one pod calls the other, stop, down.
  const ports = [await freePort(), await freePort()];
  const file = join(work, 'cluster.yaml');
  writeFileSync(file, [
    `cluster: ${cluster}`,
    'pods:',
    ...clusterPods.map((pod, i) => [
      `  - name: ${pod}`,
      `    hostname: ${hosts[i]}`,
      `    image: ${IMAGE}`,
      `    publish: [${ports[i]}]`,
      '    certificate: { mode: generate }',
    ].join('\n')),
    '',
  ].join('\n'));
  execFileSync('chown', [`${user.name}:`, file]);
  const up = await cliAsUser(user, ['up', '-f', file]);
  t.equal(up.code, 0, `up -f as ${user.name}: ${up.stderr}`);
  const clusterCa = join(stateDir, 'clusters', cluster, 'ca', 'ca.crt');
  const call = await eventually(async () => {
    const answer = await curlHttps(`https://${hosts[0]}:${ports[0]}/call?url=${encodeURIComponent(`https://${hosts[1]}:8123/health`)}`, clusterCa, hosts[0]!, ports[0]!);
    return answer.code === 0 && answer.stdout.includes('"upstreamStatus":200') ? answer : undefined;
  });
  t.ok(call, `${hosts[0]} calls ${hosts[1]} over TLS on the cluster's network`);
  for (const pod of clusterPods) {
    for (const path of filesUnder(join(stateDir, 'pods', pod, 'auth'))) t.equal(`${statSync(path).uid} ${(statSync(path).mode & 0o777).toString(8)}`, `${user.uid} 600`, `${path} is ${user.name}'s, 0600`);
  }

  const stop = await cliAsUser(user, ['stop', ...clusterPods]);
  t.equal(stop.code, 0, `stop: ${stop.stderr}`);
  const down = await cliAsUser(user, ['down', '-f', file]);
  t.equal(down.code, 0, `down -f: ${down.stderr}`);
  const pods = (await podmanAsUser(user, ['pod', 'ls', '--format', '{{.Name}}'])).stdout.split('\n');
  t.same(pods.filter((pod) => clusterPods.includes(pod)), [], 'after down no pod of the cluster remains');
  const networks = (await podmanAsUser(user, ['network', 'ls', '--format', '{{.Name}}'])).stdout.split('\n');
  t.notOk(networks.includes(`dh-${cluster}`), 'nor its network');
  const left = (await podmanAsUser(user, ['secret', 'ls', '--format', '{{.Name}}'])).stdout.split('\n');
  t.same(left.filter((name) => clusterPods.some((pod) => name.startsWith(secretPrefix(pod)))), [], 'nor any of its secrets');
});

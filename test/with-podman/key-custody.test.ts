import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { secretPrefix } from '../../src/cluster/secret-delivery.js';
import { runCli } from '../support/cli.js';
import { filesUnder, readableAs9000, SERVICE_UID } from '../support/custody.js';
import { freePort } from '../support/net.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';
import { BASE_IMAGE, podmanEnv, requirePodman, PROBE_AND_FRONT } from '../support/podman.js';
import { eventually, podman, removeClusterPods, untagPrefix } from '../support/podman-cli.js';

/**
 * Key custody, audited as an attacker with a host account would try it: after up -f, rotate and
 * kube generate, no file holding key material or a passphrase can be read by uid 9000 (the
 * service account's uid inside the pods, which on the host may be anybody's), nothing of them
 * shows in podman inspect, logs, --json or debug output, and inside a pod the service account
 * reads its own keystore but neither the TLS volume's key nor the front's keystore.
 */

const PREFIX = `localhost/dh-podman-test-custody-${process.pid}/`;
const cluster = `kc${process.pid}`;
const hosts = ['one.kc.test', 'two.kc.test'];
const podName = (i: number) => `${cluster}-${i}`;

/** Every secret the state dir holds: passphrases (as text) and keystores/keys (as bytes). */
function secretsOf(stateDir: string): { path: string; needles: string[] }[] {
  return filesUnder(stateDir)
    .filter((path) => /\/auth\//.test(path) && !/\.dh-/.test(path))
    .map((path) => {
      const bytes = readFileSync(path);
      const text = bytes.toString('utf8');
      // A passphrase is looked for as written; binary stores by a run of their base64 and hex.
      const needles = /passphrase$/.test(path) ? [text.trim()] : [bytes.subarray(32, 80).toString('base64').slice(4, 40), bytes.subarray(32, 64).toString('hex')];
      if (/-key\.pem$/.test(path)) needles.push(text.split('\n')[1]!.slice(0, 40));
      return { path, needles };
    });
}

function auditHost(t: Test, stateDir: string, when: string): void {
  const secrets = secretsOf(stateDir);
  t.ok(secrets.some((s) => s.path.endsWith('keystore.p12')) && secrets.some((s) => s.path.endsWith('keystore.passphrase')), `${when}: the state dir holds keystores and passphrases`);
  for (const { path } of secrets) {
    const stats = statSync(path);
    t.equal(stats.uid, 0, `${when}: ${path} is root's`);
    t.equal(stats.mode & 0o077, 0, `${when}: ${path} has no group or other access (${(stats.mode & 0o777).toString(8)})`);
    t.notOk(readableAs9000(path), `${when}: uid ${SERVICE_UID} cannot read ${path}`);
  }
  const owned = filesUnder(stateDir).filter((path) => statSync(path).uid === SERVICE_UID);
  t.same(owned, [], `${when}: no file of the state dir is owned by uid ${SERVICE_UID}`);
}

function assertNoSecrets(t: Test, text: string, needles: string[], what: string): void {
  const found = needles.filter((needle) => needle.length >= 16 && text.includes(needle));
  t.same(found, [], `${what} holds no passphrase or key bytes`);
}

t.test('no host account can read a machine\'s keys; the service reads only its own', async (t) => {
  if (!(await requirePodman(t))) return;
  t.equal(spawnSync('setpriv', ['--version']).status, 0, 'setpriv (util-linux) runs commands as uid 9000');
  const dir = t.testdir();
  const stateDir = join(dir, 'state');
  const ca = makeCa(dir, 'ca', '/CN=custody CA');
  const volumes = hosts.map((host, i) => makeVolume(dir, `v${i}`, makeLeaf(dir, `l${i}`, ca, [host, 'front.kc.test'])));
  t.teardown(async () => {
    await removeClusterPods(cluster);
    await untagPrefix(PREFIX);
  });
  const build = await runCli(['build', '--tag-prefix', PREFIX, '--base-image', BASE_IMAGE, ...PROBE_AND_FRONT], { env: podmanEnv });
  t.equal(build.code, 0, build.stderr);

  const ports = [await freePort(), await freePort()];
  const file = join(dir, 'cluster.yaml');
  writeFileSync(file, [
    `cluster: ${cluster}`,
    `stateDir: ${stateDir}`,
    'trust:',
    `  caCertFile: ${ca.cert}`,
    'envoy:',
    '  hostname: front.kc.test',
    `  image: ${PREFIX}front:latest`,
    'pods:',
    ...hosts.map((host, i) => [
      `  - name: ${podName(i)}`,
      `    hostname: ${host}`,
      `    image: ${PREFIX}probe:latest`,
      `    publish: [${ports[i]}]`,
      `    certificate: { mode: existing, tlsVolume: ${volumes[i]} }`,
    ].join('\n')),
    '',
  ].join('\n'));

  // With the timing lines too: every engine call and keystore step is named on stderr.
  const up = await runCli(['up', '-f', file, '--json'], { env: { ...podmanEnv, DH_PODMAN_DEBUG: '1,timing' } });
  t.equal(up.code, 0, up.stderr);
  t.match(up.stderr, /timing: .*engine POST \/v4\.0\.0\/libpod\/secrets\/create 200/, 'the timing lines are there to audit');
  auditHost(t, stateDir, 'after up -f');
  const needles = secretsOf(stateDir).flatMap((s) => s.needles);
  t.ok(needles.length >= 4, 'there are secrets to look for');
  assertNoSecrets(t, up.stdout + up.stderr, needles, 'up -f --json with DH_PODMAN_DEBUG=1,timing');

  // What Podman holds about every pod and container: env, labels, annotations, command, mounts.
  const containers = (await podman(['ps', '-a', '--format', '{{.Names}}', '--filter', `label=io.dh-podman.cluster=${cluster}`])).stdout.split('\n').filter(Boolean);
  t.ok(containers.length >= 4, 'each pod has its service and its front');
  const inspect = await podman(['inspect', ...containers]);
  assertNoSecrets(t, inspect.stdout, needles, 'podman inspect of every container');
  const podInspect = await podman(['pod', 'inspect', podName(0), podName(1)]);
  assertNoSecrets(t, podInspect.stdout, needles, 'podman pod inspect');

  // Inside: the service account reads its keystore and passphrase, not the TLS key nor the front's keystore.
  const svc = `${podName(0)}-svc`;
  const front = `${podName(0)}-front`;
  const asService = (path: string) => podman(['exec', '--user', `${SERVICE_UID}`, svc, 'cat', path], true);
  t.equal((await asService('/etc/sysconfig/deephaven/auth/keystore.p12')).code, 0, 'the service account reads its keystore');
  t.equal((await asService('/etc/sysconfig/deephaven/auth/keystore.passphrase')).code, 0, 'and its passphrase');
  t.not((await asService('/etc/sysconfig/deephaven/tls/tls.key')).code, 0, 'but not the TLS volume\'s tls.key');
  t.not((await asService('/etc/sysconfig/deephaven/auth/front-keystore.p12')).code, 0, 'nor the front\'s keystore');
  const frontRead = await podman(['exec', front, 'cat', '/etc/sysconfig/deephaven/auth/front-keystore.p12'], true);
  t.equal(frontRead.code, 0, `the front reads its keystore ${frontRead.stderr} ${(await podman(['logs', front], true)).stderr}`);
  const health = await eventually(async () => {
    const logs = await podman(['logs', svc], true);
    return /listening|started/i.test(logs.stdout + logs.stderr) ? logs : undefined;
  });
  t.ok(health, 'the service started with its keystore from the secret');
  assertNoSecrets(t, (health?.stdout ?? '') + (health?.stderr ?? ''), needles, 'the service log');
  const logs = await runCli(['logs', podName(0)], { env: podmanEnv });
  assertNoSecrets(t, logs.stdout + logs.stderr, needles, 'dh-podman logs');

  // rotate: a new leaf for pod one, then the same audit.
  const renewed = makeLeaf(dir, 'l0b', ca, [hosts[0]!, 'front.kc.test']);
  writeFileSync(join(volumes[0]!, 'tls.crt'), readFileSync(renewed.cert));
  writeFileSync(join(volumes[0]!, 'tls.key'), readFileSync(renewed.key));
  const rotate = await runCli(['rotate', '-f', file, podName(0), '--json'], { env: podmanEnv });
  t.equal(rotate.code, 0, rotate.stderr);
  auditHost(t, stateDir, 'after rotate');
  const secretNames = (await podman(['secret', 'ls', '--format', '{{.Name}}'])).stdout.split('\n').filter((name) => name.startsWith(secretPrefix(podName(0))));
  const inUse = JSON.parse((await podman(['inspect', `${podName(0)}-svc`, `${podName(0)}-front`])).stdout) as { Config: { Secrets?: { Name: string }[] } }[];
  t.same(secretNames.sort(), [...new Set(inUse.flatMap((c) => (c.Config.Secrets ?? []).map((s) => s.Name)))].sort(), 'after rotate only the secrets the new pod uses are left');

  // kube generate: the manifest holds every secret, so it is root's alone.
  const kubeDir = join(dir, 'kube');
  const kube = await runCli(['kube', 'generate', '-f', file, '--out', kubeDir], { env: podmanEnv });
  t.equal(kube.code, 0, kube.stderr);
  for (const path of filesUnder(kubeDir).filter((p) => p.endsWith('.yaml'))) {
    t.equal(statSync(path).mode & 0o077, 0, `${path} is 0600`);
    t.notOk(readableAs9000(path), `uid ${SERVICE_UID} cannot read ${path}`);
  }

  const down = await runCli(['down', '-f', file], { env: podmanEnv });
  t.equal(down.code, 0, down.stderr);
  const left = (await podman(['secret', 'ls', '--format', '{{.Name}}'])).stdout.split('\n').filter((name) => hosts.some((_, i) => name.startsWith(secretPrefix(podName(i)))));
  t.same(left, [], 'down removes the pods\' secrets');
});

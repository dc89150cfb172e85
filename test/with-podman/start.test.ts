import t from 'tap';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { freePort } from '../support/net.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';
import { BASE_IMAGE, podmanEnv, requirePodman, PROBE_AND_FRONT } from '../support/podman.js';
import { curlHttps, eventually, podman, removePodsAndNetwork, untagPrefix } from '../support/podman-cli.js';

/**
 * `start` against real Podman with the probe service: two machines on one network, trust from
 * the image (CA baked at build) or from --ca-cert-file, checked by curl from the host and by
 * one pod calling the other over TLS with hostname verification.
 */

const A = 'a.example.test';
const B = 'b.example.test';
const suffix = `${process.pid}`;
const network = `dhp-test-start-${suffix}`;
const PLAIN = `localhost/dh-podman-test-plain-${process.pid}/`;
const BAKED = `localhost/dh-podman-test-baked-${process.pid}/`;


const podName = (host: string) => `${host.replace(/\./g, '-')}-${suffix}`;

t.test('machines started with their TLS volumes trust each other as configured', async (t) => {
  if (!(await requirePodman(t))) return;
  const dir = t.testdir();
  const stateDir = join(dir, 'state');
  const ca1 = makeCa(dir, 'ca1', '/CN=dh-podman test CA one');
  const ca2 = makeCa(dir, 'ca2', '/CN=dh-podman test CA two');
  writeFileSync(join(dir, 'both.pem'), readFileSync(ca1.cert, 'utf8') + readFileSync(ca2.cert, 'utf8'));
  const both = join(dir, 'both.pem');
  // A's certificate comes from CA one, B's from CA two: a bundle without CA two cannot reach B.
  const volumes: Record<string, string> = {
    [A]: makeVolume(dir, `tls-${A}`, makeLeaf(dir, A, ca1, [A])),
    [B]: makeVolume(dir, `tls-${B}`, makeLeaf(dir, B, ca2, [B])),
  };
  const ports: Record<string, number> = { [A]: await freePort(), [B]: await freePort() };

  t.teardown(async () => {
    await removePodsAndNetwork(network, podName(A), podName(B));
    for (const prefix of [PLAIN, BAKED]) {
      await untagPrefix(prefix);
    }
  });

  for (const [prefix, extra] of [[PLAIN, []], [BAKED, ['--ca-cert-file', both]]] as const) {
    const build = await runCli(['build', '--tag-prefix', prefix, '--base-image', BASE_IMAGE, ...PROBE_AND_FRONT, ...extra], { env: podmanEnv });
    t.equal(build.code, 0, `build ${prefix}: ${build.stderr.split('\n').slice(-3).join(' ')}`);
  }

  const start = (host: string, prefix: string, extra: string[] = []) =>
    runCli(['start', '--json', '-h', host, '--tls-volume', volumes[host]!, '--name', podName(host), '--image', `${prefix}probe:latest`,
      '--network', network, '--publish', `${ports[host]}`, '--state-dir', stateDir, ...extra], { env: podmanEnv });
  const health = (host: string, caFile: string) => curlHttps(`https://${host}:${ports[host]}/health`, caFile, host, ports[host]!);
  const callFromA = (target: string) =>
    curlHttps(`https://${A}:${ports[A]}/call?url=${encodeURIComponent(`https://${target}:8123/health`)}`, ca1.cert, A, ports[A]!);
  const ready = (host: string, caFile: string) => eventually(async () => ((await health(host, caFile)).code === 0 ? true : undefined));

  await t.test('(c) a SAN that misses the hostname stops start before anything exists', async (t) => {
    const result = await runCli(['start', '-h', 'wrong.example.test', '--tls-volume', volumes[A]!, '--name', podName('wrong'), '--network', network, '--state-dir', stateDir], { env: podmanEnv });
    t.equal(result.code, 3);
    t.match(result.stderr, /\[SAN_HOST_MISMATCH\]/);
    t.equal((await podman(['pod', 'exists', podName('wrong')], true)).code, 1, 'no pod was made');
  });

  await t.test('--dry-run prints the plan and creates nothing', async (t) => {
    const result = await runCli(['start', '--dry-run', '--json', '-h', A, '--tls-volume', volumes[A]!, '--name', podName(A), '--image', `${BAKED}probe:latest`, '--network', network, '--state-dir', stateDir], { env: podmanEnv });
    t.equal(result.code, 0, result.stderr);
    const plan = JSON.parse(result.stdout).plan;
    t.equal(plan.pod.action, 'create');
    t.equal(plan.trust, 'system');
    t.notOk(plan.properties['tls.truststore'], 'no tls.truststore without --ca-cert-file');
    t.equal((await podman(['pod', 'exists', podName(A)], true)).code, 1, 'no pod');
    t.equal((await podman(['network', 'exists', network], true)).code, 1, 'no network');
    t.throws(() => statSync(join(stateDir, 'pods', podName(A))), 'no state files');
  });

  await t.test('(a) CAs baked into the images: system trust, no truststore', async (t) => {
    for (const host of [A, B]) {
      const result = await start(host, BAKED);
      t.equal(result.code, 0, result.stderr);
    }
    t.ok(await ready(A, ca1.cert), 'curl --cacert reaches A with hostname verification');
    t.ok(await ready(B, ca2.cert), 'and B');
    const wrongName = await curlHttps(`https://${B}:${ports[A]}/health`, ca1.cert, B, ports[A]!);
    t.not(wrongName.code, 0, "A's certificate does not pass for another name");
    const call = await callFromA(B);
    t.equal(call.code, 0, call.stderr);
    t.match(JSON.parse(call.stdout), { status: 'ok', upstreamStatus: 200 }, 'A calls B through system trust');
    t.match(JSON.parse((await health(A, ca1.cert)).stdout), { trust: 'system', hostname: A });
    t.throws(() => statSync(join(stateDir, 'pods', podName(A), 'trust', 'truststore-iris.p12')), 'no truststore file');
    t.equal((await podman(['pod', 'inspect', podName(A), '--format', '{{.Hostname}}'])).stdout.trim(), A, "the pod's hostname is the FQDN");

    const again = await start(A, BAKED);
    t.equal(again.code, 0);
    t.equal(JSON.parse(again.stdout).changed, false, 'a second identical start changes nothing');

    const modes = (name: string) => (statSync(join(stateDir, 'pods', podName(A), name)).mode & 0o777).toString(8);
    t.equal(modes('auth/keystore.p12'), '600');
    t.equal(modes('auth/keystore.passphrase'), '600');
    t.equal(modes('dh-podman.prop'), '644');
    const readOnly = await podman(['exec', `${podName(A)}-svc`, 'sh', '-c', 'touch /etc/sysconfig/deephaven/tls/x'], true);
    t.not(readOnly.code, 0, 'the TLS volume is read-only in the container');
    t.match(readOnly.stderr, /Read-only file system/);

    const passphrase = readFileSync(join(stateDir, 'pods', podName(A), 'auth/keystore.passphrase'), 'utf8').trim();
    const inspect = await podman(['pod', 'inspect', podName(A)]);
    const containerInspect = await podman(['inspect', `${podName(A)}-svc`]);
    const logs = await runCli(['logs', podName(A)], { env: podmanEnv });
    for (const [what, text] of [['pod inspect', inspect.stdout], ['container inspect', containerInspect.stdout], ['logs', logs.stdout + logs.stderr]] as const) {
      t.notOk(text.includes(passphrase), `no passphrase in ${what}`);
    }
  });

  await t.test('(b) plain images with --ca-cert-file: truststore-iris.p12 decides', async (t) => {
    const withBoth = await start(A, PLAIN, ['--ca-cert-file', both]);
    t.equal(withBoth.code, 0, withBoth.stderr);
    t.equal(JSON.parse(withBoth.stdout).action, 'replace', 'the other image replaces the pod');
    t.ok(await ready(A, ca1.cert));
    const call = await callFromA(B);
    t.match(JSON.parse(call.stdout), { status: 'ok' }, 'A calls B through truststore-iris.p12');
    t.match(JSON.parse((await health(A, ca1.cert)).stdout), { trust: 'truststore-iris' });
    const keytool = await podman(['exec', `${podName(A)}-svc`, 'sh', '-c',
      'keytool -list -storetype PKCS12 -keystore /etc/sysconfig/deephaven/trust/truststore-iris.p12 -storepass:file /etc/sysconfig/deephaven/trust/truststore.passphrase']);
    t.match(keytool.stdout, /Your keystore contains 2 entries/);
    t.match(keytool.stdout, /dh-podman-test-ca-two-[0-9a-f]{8}, .*trustedCertEntry/);

    const withoutB = await start(A, PLAIN, ['--ca-cert-file', ca1.cert]);
    t.equal(withoutB.code, 0, withoutB.stderr);
    t.ok(await ready(A, ca1.cert));
    const refused = await callFromA(B);
    t.match(JSON.parse(refused.stdout), { status: 'failed' }, "without B's issuer in the bundle the call fails");
  });

  await t.test('a failure half way rolls back what the run created', async (t) => {
    // Another process holds the host port: the pod is created, then fails to start.
    const blocker = createServer().listen(0, '0.0.0.0');
    await new Promise((resolve) => blocker.once('listening', resolve));
    t.teardown(() => blocker.close());
    const taken = (blocker.address() as { port: number }).port;
    const otherNetwork = `${network}-rollback`;
    const host = 'c.example.test';
    const volume = makeVolume(dir, 'tls-c', makeLeaf(dir, host, ca1, [host]));
    const result = await runCli(['start', '-h', host, '--tls-volume', volume, '--name', podName(host), '--image', `${PLAIN}probe:latest`,
      '--network', otherNetwork, '--publish', `${taken}`, '--state-dir', stateDir], { env: podmanEnv });
    t.equal(result.code, 4, 'exit 4: the engine failed');
    t.equal((await podman(['pod', 'exists', podName(host)], true)).code, 1, 'no pod left');
    t.equal((await podman(['network', 'exists', otherNetwork], true)).code, 1, 'no network left');
    t.throws(() => statSync(join(stateDir, 'pods', podName(host), 'auth', 'keystore.p12')), 'no keystore left');
  });
});

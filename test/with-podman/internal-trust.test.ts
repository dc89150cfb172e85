import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runCli } from '../support/cli.js';
import { freePort } from '../support/net.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';
import { BASE_IMAGE, podmanEnv, requirePodman, PROBE_AND_FRONT } from '../support/podman.js';
import { curlHttps, eventually, podman, removePodsAndNetwork, untagPrefix } from '../support/podman-cli.js';

/**
 * Envoy-fronted machines trust each other through truststore-internal.p12 only: narrower than
 * the external trust. CA X is external (it signs envoy.pem and a rogue service); CA Y signs the
 * machines. Every pod's tls.truststore trusts both; internally only Y counts.
 */

const PREFIX = `localhost/dh-podman-test-internal-${process.pid}/`;
const suffix = `${process.pid}`;
const network = `dhp-test-internal-${suffix}`;
const hosts = { one: 'dh1.example.test', two: 'dh2.example.test', rogue: 'rogue.example.test' };
const pod = (host: string) => `${host.replace(/\./g, '-')}-${suffix}`;


t.test('internal trust is narrower than external trust', async (t) => {
  if (!(await requirePodman(t))) return;
  const dir = t.testdir();
  const stateDir = join(dir, 'state');
  const external = makeCa(dir, 'x', '/CN=external CA X');
  const internal = makeCa(dir, 'y', '/CN=internal CA Y');
  writeFileSync(join(dir, 'both.pem'), readFileSync(external.cert, 'utf8') + readFileSync(internal.cert, 'utf8'));
  const envoyLeaf = makeLeaf(dir, 'envoy', external, ['dh.example.test']);
  const envoyPem = readFileSync(envoyLeaf.cert, 'utf8') + readFileSync(envoyLeaf.key, 'utf8');
  const volumes = {
    one: makeVolume(dir, 'one', makeLeaf(dir, 'one', internal, [hosts.one]), [internal.cert], { 'envoy.pem': envoyPem }),
    two: makeVolume(dir, 'two', makeLeaf(dir, 'two', internal, [hosts.two]), [internal.cert]),
    rogue: makeVolume(dir, 'rogue', makeLeaf(dir, 'rogue', external, [hosts.rogue]), [external.cert]),
  };
  const port = await freePort();
  const frontPort = await freePort();
  t.teardown(async () => {
    await removePodsAndNetwork(network, ...Object.values(hosts).map(pod));
    await untagPrefix(PREFIX);
  });
  const build = await runCli(['build', '--tag-prefix', PREFIX, '--base-image', BASE_IMAGE, ...PROBE_AND_FRONT], { env: podmanEnv });
  t.equal(build.code, 0, build.stderr);

  const start = (name: keyof typeof volumes, extra: string[] = []) =>
    runCli(['start', '--json', '-h', hosts[name], '--tls-volume', volumes[name], '--name', pod(hosts[name]), '--image', `${PREFIX}probe:latest`,
      '--network', network, '--state-dir', stateDir, '--ca-cert-file', join(dir, 'both.pem'), ...extra], { env: podmanEnv });
  for (const name of ['two', 'rogue'] as const) t.equal((await start(name)).code, 0, `start ${name}`);

  const call = async (target: string) => {
    const url = `https://${hosts.one}:${port}/call?url=${encodeURIComponent(`https://${target}:8123/health`)}`;
    // Retried only while a JVM is not listening yet (pod one's, or the target's): a refused
    // connection says nothing about trust. A trust decision is returned as it is.
    const answer = await eventually(async () => {
      const response = await curlHttps(url, internal.cert, hosts.one, port);
      if (response.code !== 0) return undefined;
      const body = JSON.parse(response.stdout) as { status: string; error?: string };
      return body.status === 'failed' && /ConnectException|Connection refused/.test(body.error ?? '') ? undefined : body;
    });
    return answer ?? { status: 'no answer', error: '' };
  };

  // Without --envoy: tls.truststore (X and Y) is used both ways, and nothing internal exists.
  const plain = await start('one', ['--publish', `${port}`]);
  t.equal(plain.code, 0, plain.stderr);
  t.notOk(JSON.parse(plain.stdout).plan.properties['internal.tls.truststore'], 'no internal.tls.truststore without --envoy');
  t.notOk(existsSync(join(stateDir, 'pods', pod(hosts.one), 'trust', 'truststore-internal.p12')), 'no truststore-internal.p12');
  t.notOk(existsSync(join(stateDir, 'pods', pod(hosts.one), 'envoy.yaml')), 'no Envoy bootstrap');
  t.equal((await podman(['container', 'exists', `${pod(hosts.one)}-front`], true)).code, 1, 'no front container');
  t.match(await call(hosts.rogue), { status: 'ok' }, 'external trust accepts the X-signed service');

  // With --envoy: truststore-internal.p12 holds Y only, and it decides service-to-service trust.
  const fronted = await start('one', ['--publish', `${port}`, '--publish', `${frontPort}:8000`, '--envoy', '--envoy-hostname', 'dh.example.test',
    '--envoy-image', `${PREFIX}front:latest`]);
  t.equal(fronted.code, 0, fronted.stderr);
  const plan = JSON.parse(fronted.stdout).plan;
  t.equal(plan.properties['internal.tls.truststore'], '/etc/sysconfig/deephaven/trust/truststore-internal.p12');
  t.equal(plan.trust, 'internal');
  const listing = await podman(['exec', `${pod(hosts.one)}-svc`, 'sh', '-c',
    'keytool -list -storetype PKCS12 -keystore /etc/sysconfig/deephaven/trust/truststore-internal.p12 -storepass:file /etc/sysconfig/deephaven/trust/truststore.passphrase']);
  t.match(listing.stdout, /Your keystore contains 1 entry/);
  t.match(listing.stdout, /internal-ca-y-[0-9a-f]{8}, .*trustedCertEntry/);
  t.match(await call(hosts.two), { status: 'ok', upstreamStatus: 200 }, 'pod to pod through truststore-internal.p12');
  const refused = await call(hosts.rogue);
  t.match(refused, { status: 'failed' }, 'the X-signed service is refused internally');
  t.match(refused.error, /PKIX|certification path|unable to find valid/);

  // Through the front: clients trust envoy.pem's CA (X), not the machines' (Y).
  const front = (caFile: string) => curlHttps(`https://dh.example.test:${frontPort}/health`, caFile, 'dh.example.test', frontPort);
  const throughFront = await eventually(async () => {
    const response = await front(external.cert);
    return response.code === 0 ? response.stdout : undefined;
  });
  t.match(JSON.parse(throughFront ?? '{}'), { status: 'ok', hostname: hosts.one }, 'a client trusting only X reaches the machine through the front');
  const yOnly = await front(internal.cert);
  t.not(yOnly.code, 0, 'a client trusting only Y cannot');
  t.match(yOnly.stderr, /certificate/i);
  // Read as Envoy reads a .yaml bootstrap: with a YAML parser (the file is JSON, which is YAML).
  const bootstrap = parse(readFileSync(join(stateDir, 'pods', pod(hosts.one), 'envoy.yaml'), 'utf8'));
  t.equal(bootstrap.static_resources.clusters[0].transport_socket.typed_config.sni, 'dh1.example.test', 'the Envoy bootstrap is kept in the state dir');
  t.notOk('admin' in bootstrap, 'and has no admin interface');
});

t.test('--envoy refuses a bad envoy.pem before anything starts', async (t) => {
  const dir = t.testdir();
  const ca = makeCa(dir, 'ca');
  const front = makeLeaf(dir, 'front', ca, ['dh.example.test']);
  const elsewhere = makeLeaf(dir, 'elsewhere', ca, ['elsewhere.example.test']);
  const pem = (cert: string, key?: string) => readFileSync(cert, 'utf8') + (key ? readFileSync(key, 'utf8') : '');
  const cases: [string, string, RegExp][] = [
    ['no key', pem(front.cert), /envoy\.pem: holds no PRIVATE KEY block.*\[KEY_MISSING\]/],
    ['the key of another certificate', pem(front.cert, elsewhere.key), /envoy\.pem: is not the private key of the leaf.*\[KEY_MISMATCH\]/],
    ['a SAN without the Envoy hostname', pem(elsewhere.cert, elsewhere.key), /envoy\.pem: no subjectAltName entry of the leaf matches dh\.example\.test.*\[SAN_HOST_MISMATCH\]/],
  ];
  for (const [label, envoyPem, expected] of cases) {
    const volume = makeVolume(dir, label.replace(/\W+/g, '-'), makeLeaf(dir, `one-${label.length}`, ca, [hosts.one]), [], { 'envoy.pem': envoyPem });
    const result = await runCli(['start', '-h', hosts.one, '--tls-volume', volume, '--envoy', '--envoy-hostname', 'dh.example.test', '--state-dir', join(dir, 'state')],
      { env: { CONTAINER_HOST: 'unix:///nonexistent/dh-podman-test.sock' } });
    t.equal(result.code, 3, `${label}: refused as input; the (unreachable) engine is never asked`);
    t.match(result.stderr, expected, label);
    t.notOk(existsSync(join(dir, 'state')), `${label}: nothing written`);
  }
});

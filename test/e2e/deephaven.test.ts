import t from 'tap';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { clientPython, DEEPHAVEN_IMAGE, ensureDeephavenImage, firstQuery, query } from '../support/deephaven.js';
import { freePort } from '../support/net.js';
import { makeCa, makeLeaf, makeVolume, openssl } from '../support/openssl.js';
import { podmanEnv, requirePodman } from '../support/podman.js';
import { curlHttps, podman } from '../support/podman-cli.js';

/**
 * The real Deephaven Community server (images/deephaven) started by `dh-podman start`, and its
 * real Python client: pydeephaven reaches it over TLS trusting only the CA, verifying the FQDN;
 * a name outside the SAN and another CA are refused. The image is built once per machine and
 * found again by tag; the client venv once per requirements.txt.
 */

const suffix = `${process.pid}`;
const HOST = 'dhs-dh1.localhost';
const pod = `dhs-deephaven-${suffix}`;
const network = `dhs-deephaven-${suffix}`;

t.test('Deephaven Community behind dh-podman start: pydeephaven over TLS with the CA only', async (t) => {
  if (!(await requirePodman(t))) return;
  const dir = t.testdir();
  t.teardown(async () => {
    await podman(['pod', 'rm', '-f', pod], true);
    await podman(['network', 'rm', '-f', network], true);
  });

  await ensureDeephavenImage(t);
  const python = await clientPython();

  const ca = makeCa(dir, 'ca', '/CN=dh-podman deephaven test CA');
  const other = makeCa(dir, 'other', '/CN=dh-podman other CA');
  const leaf = makeLeaf(dir, HOST, ca, [HOST]);
  // SEC1, not PKCS#8: start must hand Deephaven the PKCS#8 form it reads.
  openssl(['ec', '-in', leaf.key, '-out', leaf.key], dir);
  const volume = makeVolume(dir, 'tls', leaf);
  t.match(readFileSync(join(volume, 'tls.key'), 'utf8'), /BEGIN EC PRIVATE KEY/);
  const stateDir = join(dir, 'state');
  const port = await freePort();

  const started = Date.now();
  const start = await runCli(
    ['start', '--json', '-h', HOST, '--tls-volume', volume, '--ca-cert-file', ca.cert, '--image', DEEPHAVEN_IMAGE, '--name', pod, '--network', network,
      '--publish', `127.0.0.1:${port}:8123`, '--state-dir', stateDir],
    { env: podmanEnv },
  );
  t.equal(start.code, 0, start.code === 0 ? 'start' : start.stderr);
  const plan = JSON.parse(start.stdout).plan;
  t.equal(plan.tlsProfile, 'community', "the image's label picks the community profile");
  t.match(plan.properties, {
    'ssl.identity.type': 'privatekey',
    'ssl.identity.certChainPath': '/etc/sysconfig/deephaven/auth/tls-chain.pem',
    'ssl.identity.privateKeyPath': '/etc/sysconfig/deephaven/auth/tls-key.pem',
    'ssl.trust.type': 'certs',
    'ssl.trust.path': '/etc/sysconfig/deephaven/trust/truststore-iris.pem',
  });
  t.notOk(plan.properties['tls.keystore'], 'no PKCS#12 keystore property');

  const podDir = join(stateDir, 'pods', pod);
  const mode = (file: string) => (statSync(join(podDir, file)).mode & 0o777).toString(8);
  t.equal(mode('auth/tls-key.pem'), '600');
  t.equal(mode('auth/tls-chain.pem'), '600');
  t.equal(mode('trust/truststore-iris.pem'), '644');
  t.equal(statSync(join(podDir, 'auth/tls-key.pem')).uid, 0, 'on the host the key copy is root\'s alone; the service gets it as a Podman secret');
  t.match(readFileSync(join(podDir, 'auth/tls-key.pem'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/, 'PKCS#8');
  t.throws(() => statSync(join(podDir, 'auth/keystore.p12')), 'no keystore.p12');

  const first = await firstQuery(python, port, ca.cert, HOST);
  const ready = (Date.now() - started) / 1000;
  t.ok(first, 'pydeephaven connects by the FQDN, trusting only the CA');
  if (!first) {
    // The refusals below would pass against a server that is not there: stop with its log.
    t.comment((await podman(['logs', '--tail', '40', `${pod}-svc`], true)).stderr);
    return;
  }
  t.same(JSON.parse(first?.stdout ?? '{}'), { X: [0, 2, 4, 6, 8] }, 'empty_table(5) reads 5 rows');
  t.comment(`start to first successful query: ${ready.toFixed(1)} s`);

  const wrongName = await query(python, port, ca.cert, 'dhs-other.localhost');
  t.not(wrongName.code, 0, 'a name outside the SAN is refused');
  t.match(wrongName.stderr, /Hostname Verification Check failed/, '(by hostname verification)');
  const wrongCa = await query(python, port, other.cert, HOST);
  t.not(wrongCa.code, 0, 'a client trusting another CA is refused');
  t.match(wrongCa.stderr, /CERTIFICATE_VERIFY_FAILED/, '(by certificate verification)');
  const ide = await curlHttps(`https://${HOST}:${port}/ide/`, ca.cert, HOST, port);
  t.match(ide.stdout, /<html/, 'the web IDE is served over the same TLS (curl --cacert)');

  // The JVM runs inside the Python process (jpy): PID 1 is the whole server.
  const rss = await podman(['exec', `${pod}-svc`, 'sh', '-c', 'grep VmRSS /proc/1/status'], true);
  t.comment(`server RSS: ${rss.stdout.trim()}`);

  const status = await runCli(['status', '--json'], { env: podmanEnv });
  t.equal(status.code, 0, status.stderr);
  t.match(JSON.parse(status.stdout).pods.find((p: { name: string }) => p.name === pod), { tlsProfile: 'community', trust: 'truststore-iris', state: 'running' });

  const again = await runCli(['start', '--json', '-h', HOST, '--tls-volume', volume, '--ca-cert-file', ca.cert, '--image', DEEPHAVEN_IMAGE, '--name', pod, '--network', network,
    '--publish', `127.0.0.1:${port}:8123`, '--state-dir', stateDir], { env: podmanEnv });
  t.equal(JSON.parse(again.stdout).changed, false, 'a second identical start changes nothing');

  const key = readFileSync(join(podDir, 'auth/tls-key.pem'), 'utf8').split('\n')[1]!;
  const logs = await runCli(['logs', pod], { env: podmanEnv });
  const inspect = await podman(['inspect', `${pod}-svc`]);
  for (const [what, text] of [['logs', logs.stdout + logs.stderr], ['container inspect', inspect.stdout], ['start output', start.stdout + start.stderr]] as const) {
    t.notOk(text.includes(key), `no key material in ${what}`);
  }
});

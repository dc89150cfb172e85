import t from 'tap';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { clientPython, firstQuery, TEST_CACHE_DIR } from '../support/deephaven.js';
import { freePort } from '../support/net.js';
import { makeCa, makeLeaf, makeVolume, openssl } from '../support/openssl.js';
import { BASE_IMAGE, podmanEnv, requirePodman } from '../support/podman.js';
import { podman, removePodsAndNetwork, untagPrefix } from '../support/podman-cli.js';

/**
 * The other trust route for Deephaven: the CA baked into the image by `build --ca-cert-file`,
 * and `start` with no --ca-cert-file. The server then has no trust file of its own: the
 * properties carry its identity only, and its outbound trust is the JVM's cacerts, which holds
 * the CA. pydeephaven, trusting that CA alone, reaches it by name.
 */

const suffix = `${process.pid}`;
const PREFIX = `localhost/dhup-baked-${suffix}/`;
const IMAGE = `${PREFIX}deephaven:latest`;
const HOST = 'dhup-baked.localhost';
const pod = `dhup-baked-${suffix}`;
const network = `dhup-baked-${suffix}`;

t.test('Deephaven with the CA baked in at build and no --ca-cert-file at start', async (t) => {
  if (!(await requirePodman(t))) return;
  const dir = t.testdir();
  t.teardown(async () => {
    await removePodsAndNetwork(network, pod);
    await untagPrefix(PREFIX);
  });
  const python = await clientPython();
  const ca = makeCa(dir, 'ca', `/CN=dh-podman baked CA ${suffix}`);
  const volume = makeVolume(dir, 'tls', makeLeaf(dir, HOST, ca, [HOST]));

  let started = Date.now();
  const build = await runCli(['build', '--json', '--ca-cert-file', ca.cert, '--only', 'deephaven', '--tag-prefix', PREFIX, '--base-image', BASE_IMAGE, '--cache-dir', TEST_CACHE_DIR], {
    env: podmanEnv,
  });
  t.equal(build.code, 0, build.code === 0 ? 'build --ca-cert-file' : build.stderr.split('\n').slice(-8).join('\n'));
  if (build.code !== 0) return;
  t.comment(`build with the CA: ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const port = await freePort();
  started = Date.now();
  const start = await runCli(
    ['start', '--json', '-h', HOST, '--tls-volume', volume, '--image', IMAGE, '--name', pod, '--network', network, '--publish', `127.0.0.1:${port}:8123`, '--state-dir', join(dir, 'state')],
    { env: podmanEnv },
  );
  t.equal(start.code, 0, start.code === 0 ? 'start without --ca-cert-file' : start.stderr);
  if (start.code !== 0) return;
  const plan = JSON.parse(start.stdout).plan;
  t.equal(plan.tlsProfile, 'community');
  t.match(plan.properties, { 'ssl.identity.type': 'privatekey' }, 'the identity is wired');
  t.same(
    Object.keys(plan.properties).filter((key) => key.startsWith('ssl.trust')),
    [],
    'no ssl.trust.* at all: the server keeps the JVM default trust, which the image carries',
  );

  const first = await firstQuery(python, port, ca.cert, HOST);
  t.ok(first, 'pydeephaven connects by the FQDN, trusting only the baked CA');
  if (!first) {
    t.comment((await podman(['logs', '--tail', '40', `${pod}-svc`], true)).stderr);
    return;
  }
  t.same(JSON.parse(first.stdout), { X: [0, 2, 4, 6, 8] }, 'empty_table(5) reads 5 rows');
  t.comment(`start to first query: ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // The server's own outbound trust: Java's cacerts in the running container, as the JVM reads it.
  const fingerprint = openssl(['x509', '-in', ca.cert, '-noout', '-fingerprint', '-sha256'], dir).trim().split('=')[1]!;
  const cacerts = await podman(['exec', `${pod}-svc`, 'keytool', '-list', '-cacerts', '-storepass', 'changeit'], true);
  t.equal(cacerts.code, 0, cacerts.stderr);
  t.match(cacerts.stdout, fingerprint, 'keytool -list -cacerts in the container shows the CA');
});

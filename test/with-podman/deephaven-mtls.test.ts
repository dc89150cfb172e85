import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { DEEPHAVEN_IMAGE, deephavenMachine, query } from '../support/deephaven.js';
import { makeCa, makeLeaf, makeVolume, openssl } from '../support/openssl.js';
import { podmanEnv, requirePodman } from '../support/podman.js';

/**
 * The real Deephaven Community server under mutual TLS (`start --mtls`), with pydeephaven as the
 * client: with `want` a client without a certificate still gets in, and so does one presenting
 * the machine's certificate; with `need` only a client presenting a certificate from the
 * --ca-cert-file CAs does. The changed setting replaces the pod.
 */

const suffix = `${process.pid}`;
const HOST = 'dhm-mtls.localhost';
const pod = `dhm-deephaven-${suffix}`;
const network = `dhm-deephaven-${suffix}`;
const ROWS = { X: [0, 2, 4, 6, 8] };

t.test('Deephaven Community with client certificates: want, then need', async (t) => {
  if (!(await requirePodman(t))) return;
  const { dir, python, ca, other, leaf, port, start, ready } = await deephavenMachine(t, { host: HOST, pod, network });
  const stranger = makeLeaf(dir, 'stranger', other, ['dhm-stranger.localhost']);

  const wanted = await start('--mtls', 'want');
  t.equal(wanted.code, 0, wanted.code === 0 ? 'start --mtls want' : wanted.stderr);
  t.equal(JSON.parse(wanted.stdout).plan.properties['ssl.clientAuthentication'], 'WANTED');
  const anonymous = await ready();
  t.same(JSON.parse(anonymous?.stdout ?? '{}'), ROWS, 'WANTED: a client without a certificate still queries');
  const presenting = await query(python, port, ca.cert, HOST, leaf);
  t.same(JSON.parse(presenting.stdout || '{}'), ROWS, "WANTED: so does one presenting the machine's certificate");

  const needed = await start('--mtls', 'need');
  t.equal(needed.code, 0, needed.code === 0 ? 'start --mtls need' : needed.stderr);
  t.equal(JSON.parse(needed.stdout).action, 'replace', 'the changed setting replaces the pod');
  t.equal(JSON.parse(needed.stdout).plan.properties['ssl.clientAuthentication'], 'NEEDED');
  const withCertificate = await ready(leaf);
  t.same(JSON.parse(withCertificate?.stdout ?? '{}'), ROWS, "NEEDED: a client presenting the machine's certificate queries");
  if (!withCertificate) return;
  const without = await query(python, port, ca.cert, HOST);
  t.not(without.code, 0, 'NEEDED: a client without a certificate is refused');
  t.match(without.stderr, /CERTIFICATE_REQUIRED/, '(the server asked for one: TLS alert certificate_required)');
  const foreign = await query(python, port, ca.cert, HOST, stranger);
  t.not(foreign.code, 0, 'NEEDED: a certificate from a CA outside --ca-cert-file is refused');
  t.match(foreign.stderr, /ALERT_CERTIFICATE_UNKNOWN/, '(the server did not trust its issuer: TLS alert certificate_unknown)');
});

t.test('--mtls without --ca-cert-file is refused before Podman is asked anything', async (t) => {
  const dir = t.testdir();
  const ca = makeCa(dir, 'ca');
  const volume = makeVolume(dir, 'tls', makeLeaf(dir, HOST, ca, [HOST]));
  const result = await runCli(['start', '-h', HOST, '--tls-volume', volume, '--image', DEEPHAVEN_IMAGE, '--name', `${pod}-x`, '--state-dir', join(dir, 'state'), '--mtls', 'need'], { env: podmanEnv });
  t.equal(result.code, 3);
  t.match(result.stderr, /MTLS_NEEDS_CA/);
  const bad = await runCli(['start', '-h', HOST, '--tls-volume', volume, '--mtls', 'maybe'], { env: podmanEnv });
  t.equal(bad.code, 2, 'an unknown mode is a usage error');

  // A server-only certificate (no clientAuth) cannot be what the services present as clients.
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server-only.key', '-out', 'server-only.csr', '-subj', `/CN=${HOST}`], dir);
  writeFileSync(join(dir, 'server-only.ext'), `subjectAltName=DNS:${HOST}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`);
  openssl(['x509', '-req', '-in', 'server-only.csr', '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '30', '-extfile', 'server-only.ext', '-out', 'server-only.crt'], dir);
  const serverOnly = makeVolume(dir, 'tls-server-only', { cert: join(dir, 'server-only.crt'), key: join(dir, 'server-only.key') });
  const noClientAuth = await runCli(['start', '-h', HOST, '--tls-volume', serverOnly, '--ca-cert-file', ca.cert, '--image', DEEPHAVEN_IMAGE, '--name', `${pod}-x`,
    '--state-dir', join(dir, 'state'), '--mtls', 'want'], { env: podmanEnv });
  t.equal(noClientAuth.code, 3, 'a machine certificate without clientAuth is refused with --mtls');
  t.match(noClientAuth.stderr, /EKU_NO_CLIENT_AUTH/);
});

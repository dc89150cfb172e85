import t from 'tap';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { browserTrusting } from '../support/browser.js';
import { repoRoot, runCli } from '../support/cli.js';
import { deephavenMachine, query } from '../support/deephaven.js';
import { openssl } from '../support/openssl.js';
import { podmanEnv, requirePodman } from '../support/podman.js';
import { curlHttps, podman } from '../support/podman-cli.js';

/**
 * The real Deephaven Community server (images/deephaven) started by `dh-podman start`, and its
 * real clients: pydeephaven reaches it over TLS trusting only the CA, verifying the FQDN (a name
 * outside the SAN and another CA are refused); headless Chromium loads the web IDE with the CA
 * trusted in its NSS database, and refuses the server when it trusts another CA. Mutual TLS is
 * deephaven-mtls.test.ts, beside this file. The image is built by the test setup; the client
 * venv once per requirements.txt.
 */

const suffix = `${process.pid}`;
const HOST = 'dhs-dh1.localhost';
const pod = `dhs-deephaven-${suffix}`;
const network = `dhs-deephaven-${suffix}`;
/** Kept after the run for a person to look at: what the browser showed. */
const SCREENSHOT = join(repoRoot, '.test-work', 'artifacts', 'deephaven-ide.png');

t.test('Deephaven Community behind dh-podman start: pydeephaven over TLS with the CA only', async (t) => {
  if (!(await requirePodman(t))) return;
  // SEC1, not PKCS#8, in the volume: start must hand Deephaven the PKCS#8 form it reads.
  const sec1 = (key: string, dir: string) => {
    openssl(['ec', '-in', key, '-out', join(dir, 'leaf-sec1.key')], dir);
    return join(dir, 'leaf-sec1.key');
  };
  const { dir, python, ca, other, volume, stateDir, port, start: startWith, ready } = await deephavenMachine(t, { host: HOST, pod, network, keyFile: sec1 });
  t.match(readFileSync(join(volume, 'tls.key'), 'utf8'), /BEGIN EC PRIVATE KEY/);

  const started = Date.now();
  const start = await startWith();
  t.equal(start.code, 0, start.code === 0 ? 'start' : start.stderr);
  const plan = JSON.parse(start.stdout).plan;
  // Without --mtls: a browser asked for a client certificate would wait on its selection dialog.
  t.notOk(plan.properties['ssl.clientAuthentication'], 'no client certificates asked for by default');
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

  const first = await ready();
  t.ok(first, 'pydeephaven connects by the FQDN, trusting only the CA');
  // The refusals below would pass against a server that is not there.
  if (!first) return;
  t.same(JSON.parse(first.stdout), { X: [0, 2, 4, 6, 8] }, 'empty_table(5) reads 5 rows');
  t.comment(`start to first successful query: ${((Date.now() - started) / 1000).toFixed(1)} s`);

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

  const again = await startWith();
  t.equal(JSON.parse(again.stdout).changed, false, 'a second identical start changes nothing');

  const key = readFileSync(join(podDir, 'auth/tls-key.pem'), 'utf8').split('\n')[1]!;
  const logs = await runCli(['logs', pod], { env: podmanEnv });
  const inspect = await podman(['inspect', `${pod}-svc`]);
  for (const [what, text] of [['logs', logs.stdout + logs.stderr], ['container inspect', inspect.stdout], ['start output', start.stdout + start.stderr]] as const) {
    t.notOk(text.includes(key), `no key material in ${what}`);
  }

  // The IDE renders its layout, then its console once the JS API has connected back to the
  // server over the same TLS: both mean the page really works, not just that HTML arrived.
  const url = `https://${HOST}:${port}/ide/`;
  const IDE_READY = '[data-testid="app-loaded"] .console-pane';
  mkdirSync(dirname(SCREENSHOT), { recursive: true });
  const trusting = await browserTrusting(join(dir, 'browser'), ca.cert, HOST);
  // The IDE shows a final "Unable to load API" when it loads a moment before the server's JS API
  // is served (the gRPC port answers first): a fresh load then, as a user would reload.
  let page = await trusting.visit(url, IDE_READY, { screenshot: SCREENSHOT, timeoutMs: 60_000 });
  for (let retry = 0; retry < 2 && !page.error && !page.found; retry++) page = await trusting.visit(url, IDE_READY, { screenshot: SCREENSHOT, timeoutMs: 60_000 });
  t.equal(page.error, undefined, 'Chromium trusting the CA in its NSS database loads the page, no certificate error');
  t.ok(page.found, `the web IDE renders with its console connected (screenshot: ${SCREENSHOT})`);
  t.match(page.html, /<title>Deephaven<\/title>/);

  const distrusting = await browserTrusting(join(dir, 'browser-other'), other.cert, HOST);
  const refused = await distrusting.visit(url, IDE_READY, { timeoutMs: 5000 });
  t.equal(refused.error, 'net::ERR_CERT_AUTHORITY_INVALID', 'Chromium trusting another CA refuses the server');
  t.notOk(refused.found, '(and shows no IDE)');
});

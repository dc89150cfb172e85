import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, runCli } from '../support/cli.js';
import { clientPython, DEEPHAVEN_IMAGE, ensureDeephavenImage } from '../support/deephaven.js';
import { freePort } from '../support/net.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';
import { podmanEnv, requirePodman } from '../support/podman.js';
import { curlHttps, eventually, podman, removeClusterPods } from '../support/podman-cli.js';
import { tool, type ToolResult } from '../support/tools.js';

/**
 * Two real Deephaven Community servers from one cluster file (`up -f`): server A resolves a
 * table published on server B with a `dh://FQDN:PORT/scope/NAME` URI, over TLS, trusting what
 * dh-podman gave A and verifying B's name. CA I issues A's certificate, CA X (the external CA)
 * B's. Without a front, A calls out with the trust it serves with (X and I): B is accepted. With
 * Envoy fronts and I as the internal CA, A's outbound trust is the internal truststore (I only):
 * B is refused by certificate verification, while A resolving its own table (an I-issued
 * certificate, the same outbound trust) still works.
 */

// Two JVMs (and in the second half their fronts) start on a small, shared machine.
t.setTimeout(2_700_000);

const suffix = `${process.pid}`;
const cluster = `dhc-${suffix}`;
const hosts = { a: 'a.dhc.localhost', b: 'b.dhc.localhost' };
const pods = { a: `dhc-a-${suffix}`, b: `dhc-b-${suffix}` };
const table = (host: string) => `dh://${host}:8123/scope/t`;
/** The server's error without its Java stack: the lines that say what failed. */
const cause = (result: ToolResult) => result.stderr.split('\n').filter((line) => /Error|Exception|caused by/.test(line) && !/^\s+at /.test(line)).slice(0, 8).join('\n');

t.test('server A reads a table of server B over TLS; under internal trust an externally issued B is refused', async (t) => {
  if (!(await requirePodman(t))) return;
  const dir = t.testdir();
  t.teardown(() => removeClusterPods(cluster));
  await ensureDeephavenImage(t);
  const python = await clientPython();

  const internal = makeCa(dir, 'i', '/CN=dhc internal CA I');
  const external = makeCa(dir, 'x', '/CN=dhc external CA X');
  const both = join(dir, 'both.pem');
  writeFileSync(both, readFileSync(external.cert, 'utf8') + readFileSync(internal.cert, 'utf8'));
  // What each front presents to clients: issued by the external CA for the front's name.
  const front = makeLeaf(dir, 'front', external, ['dh.dhc.localhost']);
  const envoyPem = { 'envoy.pem': readFileSync(front.cert, 'utf8') + readFileSync(front.key, 'utf8') };
  const volumes = {
    a: makeVolume(dir, 'tls-a', makeLeaf(dir, 'a', internal, [hosts.a]), [], envoyPem),
    b: makeVolume(dir, 'tls-b', makeLeaf(dir, 'b', external, [hosts.b]), [], envoyPem),
  };
  const ports = { a: await freePort(), b: await freePort() };
  const file = join(dir, 'dh-podman.yaml');
  const clusterFile = (fronted: boolean) =>
    [
      `cluster: ${cluster}`,
      'trust:',
      `  caCertFile: ${both}`,
      ...(fronted ? [`  internalCaCertFile: ${internal.cert}`, 'envoy:', '  hostname: dh.dhc.localhost', '  image: localhost/dh-podman/front:latest'] : []),
      'pods:',
      ...(['a', 'b'] as const).flatMap((name) => [
        `  - name: ${pods[name]}`,
        `    hostname: ${hosts[name]}`,
        `    image: ${DEEPHAVEN_IMAGE}`,
        `    publish: [${ports[name]}]`,
        `    certificate: { mode: existing, tlsVolume: ${volumes[name]} }`,
      ]),
    ].join('\n') + '\n';
  const stateDir = join(dir, 'state');
  const up = () => runCli(['up', '-f', file, '--state-dir', stateDir, '--json'], { env: podmanEnv });
  // A client of one server: trusting both CAs (the cluster's trust bundle), verifying its FQDN.
  const run = (name: 'a' | 'b', script: string, tableName: string) =>
    tool(python, [join(repoRoot, 'test', 'python', 'run.py'), '127.0.0.1', String(ports[name]), both, hosts[name], script, tableName], { timeoutMs: 180_000 });
  const resolveOnA = (uri: string) => run('a', `from deephaven.uri import resolve\nremote = resolve(${JSON.stringify(uri)})`, 'remote');
  const publishOn = async (name: 'a' | 'b'): Promise<ToolResult | undefined> => {
    const started = Date.now();
    // The web IDE answers (through the front too) once the server has started: curl until then,
    // as each Python client costs about a second of CPU that the starting JVMs need more.
    await eventually(async () => (/<html/.test((await curlHttps(`https://${hosts[name]}:${ports[name]}/ide/`, both, hosts[name], ports[name])).stdout) ? true : undefined), 600_000);
    const published = await eventually(async () => {
      const result = await run(name, 'from deephaven import empty_table\nt = empty_table(5).update("X = i")', 't');
      if (result.code === 0) return result;
      await new Promise((resolve) => setTimeout(resolve, 2500));
      return undefined;
    }, 300_000);
    t.comment(`${name}: its first script ran after ${((Date.now() - started) / 1000).toFixed(1)} s of trying`);
    if (!published) t.comment((await podman(['logs', '--tail', '30', `${pods[name]}-svc`], true)).stderr);
    return published;
  };

  // Without fronts: A calls B with ssl.trust.* (X and I), the trust it serves with.
  writeFileSync(file, clusterFile(false));
  const first = await up();
  t.equal(first.code, 0, first.code === 0 ? 'up -f of two Deephaven machines' : first.stderr);
  const plain = JSON.parse(first.stdout || '{}');
  t.same(plain.pods?.map((pod: { action: string }) => pod.action), ['create', 'create']);
  const props = readFileSync(join(stateDir, 'pods', pods.a, 'dh-podman.prop'), 'utf8');
  t.match(props, /^ssl\.trust\.path=\/etc\/sysconfig\/deephaven\/trust\/truststore-iris\.pem$/m, 'A trusts the cluster bundle');
  t.match(props, /^outbound\.ssl\.trust\.path=\/etc\/sysconfig\/deephaven\/trust\/truststore-iris\.pem$/m, 'and calls out with it');

  const onB = await publishOn('b');
  t.same(JSON.parse(onB?.stdout ?? '{}'), { X: [0, 1, 2, 3, 4] }, 'B publishes t');
  if (!onB || !(await publishOn('a'))) return;
  const resolved = await resolveOnA(table(hosts.b));
  t.equal(resolved.code, 0, resolved.code === 0 ? `A resolves ${table(hosts.b)}` : cause(resolved));
  t.same(JSON.parse(resolved.stdout || '{}'), { X: [0, 1, 2, 3, 4] }, "B's 5 rows reach the client through A");

  // B's name is verified: by its address, the same server and certificate are refused.
  const address = (await podman(['exec', `${pods.a}-svc`, 'getent', 'hosts', hosts.b])).stdout.trim().split(/\s+/)[0]!;
  t.match(address, /^\d+\.\d+\.\d+\.\d+$/, `B resolves to ${address} on the cluster network`);
  const byAddress = await resolveOnA(table(address));
  t.not(byAddress.code, 0, 'by address, B is refused: its certificate names b.dhc.localhost only');
  t.match(byAddress.stderr, /subject alternative names?|SSLHandshakeException|CertificateException/i, '(by hostname verification)');

  const status = await runCli(['status', '--json'], { env: podmanEnv });
  const listed = JSON.parse(status.stdout || '{}').pods?.filter((pod: { name: string }) => Object.values(pods).includes(pod.name));
  t.same(listed?.map((pod: { tlsProfile: string }) => pod.tlsProfile), ['community', 'community'], 'status shows the community TLS profile');

  // A new certificate for B: rotate restarts B alone and waits until its web IDE answers over TLS.
  const renewed = makeLeaf(dir, 'b2', external, [hosts.b]);
  writeFileSync(join(volumes.b, 'tls.crt'), readFileSync(renewed.cert));
  writeFileSync(join(volumes.b, 'tls.key'), readFileSync(renewed.key), { mode: 0o600 });
  const rotateStarted = Date.now();
  const rotated = await runCli(['rotate', '-f', file, pods.b, '--state-dir', stateDir, '--health-timeout', '600', '--json'], { env: podmanEnv });
  t.equal(rotated.code, 0, rotated.code === 0 ? 'rotate of B' : rotated.stderr);
  t.match(rotated.stderr, new RegExp(`waiting for ${pods.b} to answer over TLS`));
  t.same(JSON.parse(rotated.stdout || '{}').pods?.map((pod: { action: string }) => pod.action), ['restarted'], 'B restarted, A untouched');
  t.comment(`rotate of B, until its web IDE answered: ${((Date.now() - rotateStarted) / 1000).toFixed(1)} s`);
  const afterRotate = await run('b', 'from deephaven import empty_table\nt = empty_table(5).update("X = i")', 't');
  t.equal(afterRotate.code, 0, afterRotate.code === 0 ? 'B serves right after rotate returns' : cause(afterRotate));

  // Envoy-fronted, with I as the internal CA: A's outbound trust is truststore-internal.pem (I).
  writeFileSync(file, clusterFile(true));
  const second = await up();
  t.equal(second.code, 0, second.code === 0 ? 'up -f with fronts' : second.stderr);
  const fronted = readFileSync(join(stateDir, 'pods', pods.a, 'dh-podman.prop'), 'utf8');
  t.match(fronted, /^outbound\.ssl\.trust\.path=\/etc\/sysconfig\/deephaven\/trust\/truststore-internal\.pem$/m);
  t.match(readFileSync(join(stateDir, 'pods', pods.a, 'trust', 'truststore-internal.pem'), 'utf8').match(/BEGIN CERTIFICATE/g), { length: 1 }, 'the internal truststore holds I only');
  t.equal((await podman(['container', 'exists', `${pods.a}-front`], true)).code, 0, 'A has its front');

  if (!(await publishOn('b')) || !(await publishOn('a'))) return;
  const self = await resolveOnA(table(hosts.a));
  t.equal(self.code, 0, self.code === 0 ? 'A resolves its own table: an I-issued certificate passes its outbound trust' : cause(self));
  t.same(JSON.parse(self.stdout || '{}'), { X: [0, 1, 2, 3, 4] });
  const refused = await resolveOnA(table(hosts.b));
  t.not(refused.code, 0, 'B, whose certificate only the external CA issued, is refused');
  t.match(refused.stderr, /PKIX|certification path|unable to find valid|CertificateException|SSLHandshakeException/i, '(by certificate verification)');

  const down = await runCli(['down', '-f', file, '--state-dir', stateDir], { env: podmanEnv });
  t.equal(down.code, 0, down.stderr);
});

import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { freePort } from '../support/net.js';
import { podmanEnv, requirePodman } from '../support/podman.js';
import { curlHttps, eventually, removePods } from '../support/podman-cli.js';

/**
 * The developers' one command on its fast path (`--image probe`, a TLS endpoint in seconds): a
 * URL that curl --cacert reaches, progress on stderr only, and nothing to do the second time.
 * The Deephaven default runs through the real scripts/up.sh in up-script.test.ts.
 */

const HOST = `dhup-up-${process.pid}.localhost`;

t.test('up --image probe brings a machine up and prints a URL that curl --cacert reaches', async (t) => {
  if (!(await requirePodman(t))) return;
  const stateDir = t.testdir();
  const port = await freePort();
  const pod = HOST.replace(/\./g, '-');
  t.teardown(() => removePods(pod));
  const up = () => runCli(['up', '--json', '--image', 'probe', '--hostname', HOST, '--port', `${port}`, '--state-dir', stateDir], { env: podmanEnv });

  const first = await up();
  t.equal(first.code, 0, first.stderr);
  const result = JSON.parse(first.stdout);
  t.match(result, { host: HOST, port, url: `https://${HOST}:${port}/health`, caFile: join(stateDir, 'dev', 'ca', 'ca.crt'), image: 'localhost/dh-podman/probe:latest', changed: true });
  t.notOk(result.pythonExample, 'no Deephaven client line for the probe');
  // Not a terminal: plain lines, numbered, each step ended with its time.
  t.match(first.stderr, /^\[1\/5\] development CA and a certificate for /m);
  t.match(first.stderr, /^\[5\/5\] waiting for https:\/\/.*\/health: done in [\d.]+ s$/m);
  t.notMatch(first.stderr, /\r/, 'no rewritten lines outside a terminal');

  const answer = await eventually(async () => {
    const response = await curlHttps(result.url, result.caFile, HOST, port);
    return response.code === 0 ? response.stdout : undefined;
  });
  t.ok(answer, 'curl --cacert reaches the URL with hostname verification');
  t.match(JSON.parse(answer ?? '{}'), { status: 'ok', hostname: HOST });

  const second = await up();
  t.equal(second.code, 0, second.stderr);
  t.equal(JSON.parse(second.stdout).changed, false, 'running it again changes nothing');
});

t.test('up refuses an image it does not know, as a usage error, before making anything', async (t) => {
  const stateDir = t.testdir();
  const result = await runCli(['up', '--image', 'nginx', '--state-dir', stateDir], { env: podmanEnv });
  t.equal(result.code, 2, result.stderr);
  t.match(result.stderr, /--image.*nginx.*deephaven, probe/);
  t.same(readdirSync(stateDir), [], 'no CA, no certificate');
});

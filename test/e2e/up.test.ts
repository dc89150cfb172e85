import t from 'tap';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { freePort } from '../support/net.js';
import { podmanEnv, requirePodman } from '../support/podman.js';
import { curlHttps, eventually, podman } from '../support/podman-cli.js';

/** The developers' one command: a URL that curl --cacert reaches, and nothing to do the second time. */

const HOST = `up-${process.pid}.localhost`;

t.test('up brings a machine up and prints a URL that curl --cacert reaches', async (t) => {
  if (!(await requirePodman(t))) return;
  const stateDir = t.testdir();
  const port = await freePort();
  const pod = HOST.replace(/\./g, '-');
  t.teardown(() => podman(['pod', 'rm', '-f', pod], true));

  const first = await runCli(['up', '--json', '--hostname', HOST, '--port', `${port}`, '--state-dir', stateDir], { env: podmanEnv });
  t.equal(first.code, 0, first.stderr);
  const result = JSON.parse(first.stdout);
  t.equal(result.url, `https://${HOST}:${port}/health`);
  t.equal(result.caFile, join(stateDir, 'dev', 'ca', 'ca.crt'));

  const answer = await eventually(async () => {
    const response = await curlHttps(result.url, result.caFile, HOST, port);
    return response.code === 0 ? response.stdout : undefined;
  });
  t.ok(answer, 'curl --cacert reaches the URL with hostname verification');
  t.match(JSON.parse(answer ?? '{}'), { status: 'ok', hostname: HOST });

  const second = await runCli(['up', '--json', '--hostname', HOST, '--port', `${port}`, '--state-dir', stateDir], { env: podmanEnv });
  t.equal(second.code, 0, second.stderr);
  t.equal(JSON.parse(second.stdout).changed, false, 'running it again changes nothing');
});

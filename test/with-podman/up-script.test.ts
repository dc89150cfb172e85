import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, withoutTapLoader, type CliResult } from '../support/cli.js';
import { clientPython, TEST_CACHE_DIR } from '../support/deephaven.js';
import { freePort } from '../support/net.js';
import { requirePodman } from '../support/podman.js';
import { curlHttps, removePods } from '../support/podman-cli.js';
import { tool } from '../support/tools.js';

/**
 * The README's main command, for real: scripts/up.sh in this checkout (its own Podman service in
 * .dh-podman/engine, its state in .dh-podman) leaves the Deephaven IDE reachable over TLS with
 * the CA it prints, and the pydeephaven line it prints runs a query. Only the wheel cache is
 * pointed at the tests' one, so a fresh machine downloads the wheels once.
 */

const HOST = `dhup-script-${process.pid}.localhost`;
const POD = HOST.replace(/\./g, '-');
const checkout = join(repoRoot, '.dh-podman');
const engineDir = join(checkout, 'engine');

function upSh(args: string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  // up.sh picks its own engine: nothing of the tests' service may leak into it.
  for (const name of ['CONTAINER_HOST', 'DOCKER_HOST', 'CONTAINERS_CONF', 'DH_PODMAN_ENGINE_DIR']) delete env[name];
  const [file, argv] = withoutTapLoader('bash', [join(repoRoot, 'scripts', 'up.sh'), ...args]);
  return new Promise((resolve) => {
    execFile(file, argv, { cwd: repoRoot, env, maxBuffer: 16 << 20, timeout: 900_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

t.test('scripts/up.sh leaves the Deephaven IDE on TLS, with the CA and a pydeephaven line that work', async (t) => {
  if (!(await requirePodman(t))) return;
  // up.sh runs `npm ci` when node_modules is older than package-lock.json: in the middle of a
  // test run that would pull node_modules from under every other test.
  const stamp = join(repoRoot, 'node_modules', '.package-lock.json');
  if (!existsSync(stamp) || statSync(join(repoRoot, 'package-lock.json')).mtimeMs > statSync(stamp).mtimeMs) {
    t.fail('node_modules is older than package-lock.json: run scripts/install-deps.sh before the tests');
    return;
  }
  const hadState = existsSync(checkout);
  const hadService = existsSync(join(engineDir, 'service.pid'));
  t.teardown(async () => {
    await removePods(POD);
    // What this test started and made, and nothing a developer had running here before.
    if (!hadService) await tool('env', [`DH_PODMAN_ENGINE_DIR=${engineDir}`, 'bash', join(repoRoot, 'scripts', 'podman-env.sh'), 'stop']);
    if (!hadState) rmSync(checkout, { recursive: true, force: true });
    else for (const dir of [join(checkout, 'dev', 'tls', HOST), join(checkout, 'pods', POD)]) rmSync(dir, { recursive: true, force: true });
  });

  const python = await clientPython();
  const port = await freePort();
  const args = ['--json', '--hostname', HOST, '--port', `${port}`, '--cache-dir', TEST_CACHE_DIR];

  let started = Date.now();
  const first = await upSh(args);
  t.comment(`up.sh, first run: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  t.equal(first.code, 0, first.code === 0 ? 'up.sh' : first.stderr.split('\n').slice(-15).join('\n'));
  if (first.code !== 0) return;
  const result = JSON.parse(first.stdout);
  t.match(result, { ok: true, host: HOST, port, url: `https://${HOST}:${port}/ide/`, image: 'localhost/dh-podman/deephaven:latest', pythonClient: /^pydeephaven==\d/ });
  t.equal(result.caFile, join(checkout, 'dev', 'ca', 'ca.crt'), 'the CA is kept in the checkout');
  t.match(first.stderr, /^\[5\/5\] waiting for https:\/\/.*\/ide\/: done in /m, 'each step on stderr, numbered and timed');

  const ide = await curlHttps(result.url, result.caFile, HOST, port);
  t.equal(ide.code, 0, `curl --cacert ${ide.stderr}`);
  t.match(ide.stdout, /<title>Deephaven<\/title>/, 'the web IDE, over TLS trusting only the printed CA');

  // The printed line as it is, by the client release it names.
  const query = await tool(python, ['-c', result.pythonExample], { timeoutMs: 120_000 });
  t.equal(query.code, 0, query.code === 0 ? 'the printed pydeephaven line runs' : query.stderr.split('\n').slice(-3).join(' | '));
  t.equal(query.stdout.split('\n').filter((line) => /^\d+\s+\d+$/.test(line.trim())).length, 5, 'empty_table(5): 5 rows over TLS');

  started = Date.now();
  const second = await upSh(args);
  t.comment(`up.sh, second run: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  t.equal(second.code, 0, second.code === 0 ? 'up.sh again' : second.stderr.split('\n').slice(-5).join('\n'));
  t.equal(JSON.parse(second.stdout).changed, false, 'running it again changes nothing');
});

import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverEngine } from '../../src/engine/discovery.js';
import { runCli } from '../support/cli.js';
import { BASE_IMAGE, podmanEnv, requirePodman } from '../support/podman.js';

/**
 * Unix socket paths are capped at 108 bytes, and t.testdir() paths grow with the checkout path and
 * the test name, so the sockets live in a short directory of their own.
 */
function socketDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'dhp-sock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A socket that answers /_ping like an engine would: enough to test the order of strategies. */
async function fakeEngine(t: Test, dir: string, name: string): Promise<string> {
  const socketPath = join(dir, name);
  const server: Server = createServer((req, res) => res.end(req.url === '/_ping' ? 'OK' : ''));
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return socketPath;
}

t.test('CONTAINER_HOST wins over DOCKER_HOST', async (t) => {
  const dir = socketDir(t);
  const a = await fakeEngine(t, dir, 'a.sock');
  const b = await fakeEngine(t, dir, 'b.sock');
  const endpoint = await discoverEngine({ env: { CONTAINER_HOST: `unix://${a}`, DOCKER_HOST: `unix://${b}` }, allowPrivateService: false });
  t.equal(endpoint.socketPath, a);
  t.equal(endpoint.source, 'CONTAINER_HOST');
  const docker = await discoverEngine({ env: { DOCKER_HOST: `unix://${b}` }, allowPrivateService: false });
  t.equal(docker.source, 'DOCKER_HOST');
});

t.test('a named socket that does not answer is an error, not a fallback', async (t) => {
  const dir = t.testdir();
  await t.rejects(discoverEngine({ env: { CONTAINER_HOST: `unix://${dir}/missing.sock` }, allowPrivateService: false }), {
    code: 'ENGINE_UNREACHABLE',
  });
  await t.rejects(discoverEngine({ env: { DOCKER_HOST: 'tcp://127.0.0.1:2375' }, allowPrivateService: false }), { code: 'ENGINE_UNSUPPORTED_HOST' });
});

t.test('skipped strategies say why in debug output', async (t) => {
  const lines: string[] = [];
  const dir = socketDir(t);
  const rootless = join(dir, 'podman');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(rootless);
  await fakeEngine(t, rootless, 'podman.sock');
  const endpoint = await discoverEngine({ env: { XDG_RUNTIME_DIR: dir }, uid: 1000, debug: (line) => lines.push(line), allowPrivateService: false });
  t.equal(endpoint.source, 'rootless socket');
  t.match(lines.join('\n'), /CONTAINER_HOST is not set/);
});

t.test('the CLI names a wrong socket in one line and exits 4', async (t) => {
  const result = await runCli(['base', 'bootstrap'], { env: { CONTAINER_HOST: 'unix:///nonexistent/podman.sock' } });
  t.equal(result.code, 4);
  t.equal(result.stderr.trim().split('\n').length, 1);
  t.match(result.stderr, /^error: CONTAINER_HOST: CONTAINER_HOST=unix:\/\/\/nonexistent\/podman.sock: no such socket; start the service/);
});

t.test('a private service started for one command is gone after it', async (t) => {
  if (!(await requirePodman(t))) return;
  const privateServices = () => {
    try {
      return execFileSync('pgrep', ['-f', 'dh-podman-engine-'], { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  t.equal(privateServices(), '', 'none before');
  // No CONTAINER_HOST/DOCKER_HOST and no rootful socket on these machines: the CLI starts its own.
  const env: NodeJS.ProcessEnv = { CONTAINERS_CONF: podmanEnv.CONTAINERS_CONF, DH_PODMAN_DEBUG: '1', CONTAINER_HOST: '', DOCKER_HOST: '' };
  const result = await runCli(['base', 'bootstrap', '--tag', BASE_IMAGE], { env });
  t.equal(result.code, 0, result.stderr);
  t.match(result.stderr, /starting a private service/);
  t.equal(privateServices(), '', 'none after');
});

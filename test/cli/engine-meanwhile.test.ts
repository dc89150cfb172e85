import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t, { type Test } from 'tap';
import { inputError } from '../../src/base/errors.js';
import { withEngineMeanwhile } from '../../src/cli/engine-options.js';
import { Output } from '../../src/cli/output.js';

/** Socket paths are capped at 108 bytes: a short directory of their own. */
function shortDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'dhp-mw-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A socket that answers /_ping as an engine does, which is all discovery asks. */
async function pingingSocket(t: Test, dir: string): Promise<string> {
  const socketPath = join(dir, 'engine.sock');
  const server: Server = createServer((req, res) => res.end(req.url === '/_ping' ? 'OK' : ''));
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return socketPath;
}

/** A context whose rootful socket is nowhere, whatever this host runs at /run/podman/podman.sock. */
function context(env: NodeJS.ProcessEnv, dir = tmpdir()) {
  return { context: { io: { env }, rootfulSocket: join(dir, 'no-rootful.sock') }, output: new Output({ json: false, quiet: true, stdout: new PassThrough(), stderr: new PassThrough(), env: {} }) };
}

const badInput = () => inputError('CERT_EXPIRED', 'has expired', { subject: 'tls.crt', fix: 'renew it' });

t.test('the engine is read while the checks run, and the work gets both', async (t) => {
  const socket = await pingingSocket(t, shortDir(t));
  const { context: ctx, output } = context({ CONTAINER_HOST: `unix://${socket}` });
  let readStarted!: () => void;
  const readsBegan = new Promise<void>((resolve) => (readStarted = resolve));
  const meanwhile = {
    // These checks end only once the reads have begun: run one after the other, this would hang.
    checks: async () => {
      await readsBegan;
      return 'checked';
    },
    reads: async () => {
      readStarted();
      return 'read';
    },
  };
  const result = await Promise.race([
    withEngineMeanwhile(ctx, output, meanwhile, async (_engine, checked, read) => `${checked}+${read}`),
    new Promise((resolve) => setTimeout(() => resolve('timed out: the reads waited for the checks'), 5000)),
  ]);
  t.equal(result, 'checked+read');
});

t.test('bad input starts no private engine service, and its error comes first', async (t) => {
  const dir = shortDir(t);
  // No socket anywhere, and a podman on PATH that would leave a mark if anything started it.
  const marker = join(dir, 'podman-was-run');
  writeFileSync(join(dir, 'podman'), `#!/bin/sh\ntouch ${marker}\nsleep 30\n`);
  chmodSync(join(dir, 'podman'), 0o755);
  const { context: ctx, output } = context({ PATH: dir, XDG_RUNTIME_DIR: dir }, dir);
  let worked = false;
  const meanwhile = { checks: async () => Promise.reject(badInput()), reads: async () => 'read' };
  await t.rejects(
    withEngineMeanwhile(ctx, output, meanwhile, async () => {
      worked = true;
    }),
    { code: 'CERT_EXPIRED' },
  );
  t.notOk(worked, 'no work');
  t.notOk(existsSync(marker), 'podman was never run');
});

t.test('an engine that does not answer is said only once the checks have passed', async (t) => {
  const missing = `unix://${join(shortDir(t), 'absent.sock')}`;
  const { context: ctx, output } = context({ CONTAINER_HOST: missing });
  const failing = { checks: async () => Promise.reject(badInput()), reads: async () => 'read' };
  await t.rejects(withEngineMeanwhile(ctx, output, failing, async () => undefined), { code: 'CERT_EXPIRED' }, 'the input error, not the engine one');
  const passing = { checks: async () => 'checked', reads: async () => 'read' };
  await t.rejects(withEngineMeanwhile(ctx, output, passing, async () => undefined), { code: 'ENGINE_UNREACHABLE' });
});

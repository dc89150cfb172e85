import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:tls';
import t from 'tap';
import { defaultClientCas } from '../../src/base/default-client-cas.js';
import { restoreExtraCaCertsVariable } from '../../src/base/extra-ca-certs-variable.js';
import { handshakeFromHost } from '../../src/cluster/tls-reach.js';
import { issueLeaf, issueRootCa } from '../../src/pki/issue.js';
import { cliPath, launcherPath, withoutTapLoader } from '../support/cli.js';

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(...withoutTapLoader(file, args), { env }, (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }));
  });
}

t.test('the launcher keeps NODE_EXTRA_CA_CERTS from Node start-up', async (t) => {
  // Node 20 loads the file at start-up and warns there when it cannot: the warning shows it did.
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: '/nonexistent/extra-cas.pem' };
  const direct = await run(process.execPath, [cliPath, '--version'], env);
  t.match(direct.stderr, /Ignoring extra certs from `\/nonexistent\/extra-cas.pem`/, 'node on the CLI file loads it at start-up');
  const launched = await run(launcherPath, ['--version'], env);
  t.equal(launched.code, 0);
  t.equal(launched.stderr, '', 'through the launcher Node never reads it');
});

t.test('the variable is put back for the processes dh-podman starts', async (t) => {
  const env: NodeJS.ProcessEnv = { DH_PODMAN_NODE_EXTRA_CA_CERTS: '/etc/corp-cas.pem' };
  restoreExtraCaCertsVariable(env);
  t.same(env, { NODE_EXTRA_CA_CERTS: '/etc/corp-cas.pem' });
  const untouched: NodeJS.ProcessEnv = { NODE_EXTRA_CA_CERTS: '/etc/other.pem' };
  restoreExtraCaCertsVariable(untouched);
  t.same(untouched, { NODE_EXTRA_CA_CERTS: '/etc/other.pem' }, 'run without the launcher: nothing to put back');
});

t.test("a connection without a CA of its own trusts NODE_EXTRA_CA_CERTS's CAs, read when it connects", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dh-podman-extra-cas-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ca = await issueRootCa({ commonName: 'Extra CAs Test Root' });
  const leaf = await issueLeaf({ certificateDer: ca.certificateDer, privateKey: ca.privateKey, label: 'test CA' }, { hostnames: ['extra.test'], ips: [] });
  const server = createServer({ cert: leaf.certificatePem, key: leaf.privateKeyPem }, (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const target = { address: '127.0.0.1', port, hostname: 'extra.test', caFile: undefined };

  const saved = process.env.NODE_EXTRA_CA_CERTS;
  t.teardown(() => {
    if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = saved;
  });
  delete process.env.NODE_EXTRA_CA_CERTS;
  const refused = await handshakeFromHost(target);
  t.equal(refused.ok, false, "Node's bundled roots alone do not trust the test CA");

  const file = join(dir, 'extra.pem');
  writeFileSync(file, ca.certificatePem);
  process.env.NODE_EXTRA_CA_CERTS = file;
  t.same(await handshakeFromHost(target), { ok: true }, 'with the file named, the handshake verifies');
  t.ok(defaultClientCas()!.length > 100, "Node's bundled roots are kept alongside");

  process.env.NODE_EXTRA_CA_CERTS = join(dir, 'missing.pem');
  t.equal((await handshakeFromHost(target)).ok, false, 'an unreadable file adds nothing');
});

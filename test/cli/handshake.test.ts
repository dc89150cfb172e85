import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { createServer } from 'node:tls';
import { runCli, type CliResult } from '../support/cli.js';

/**
 * A real TLS handshake against what `cert issue` writes, verified by OpenSSL the way a client
 * would: chain to the given root and the hostname against the SAN.
 */

const HOST = 'dh1.example.test';

/** Serves tls.crt/tls.key on an ephemeral loopback port until the test ends. */
async function serve(t: Test, tlsDir: string): Promise<number> {
  const sockets = new Set<Socket>();
  // The server never closes first: closing right after the handshake races the client's read and
  // OpenSSL reports "unexpected eof". The client closes when its stdin ends.
  const server = createServer({ key: readFileSync(join(tlsDir, 'tls.key')), cert: readFileSync(join(tlsDir, 'tls.crt')) });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  // A client that rejects our certificate aborts the handshake; that is the expected outcome.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** openssl s_client, asynchronously: a synchronous spawn would block the server in this process. */
function sClient(port: number, verifyHostname: string, caFile: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'openssl',
      [
        's_client', '-connect', `127.0.0.1:${port}`, '-servername', HOST, '-verify_hostname', verifyHostname,
        '-verify_return_error', '-CAfile', caFile, '-brief',
      ],
      { timeout: 30_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
    // Closed stdin: s_client finishes the handshake, sees EOF and exits.
    child.stdin?.end();
  });
}

async function issue(t: Test, args: string[]): Promise<void> {
  const result = await runCli(args);
  t.equal(result.code, 0, `dh-podman ${args.join(' ')}: ${result.stderr}`);
}

async function handshake(t: Test, tlsDir: string, rootFile: string): Promise<void> {
  const port = await serve(t, tlsDir);
  const good = await sClient(port, HOST, rootFile);
  t.equal(good.code, 0, `handshake verifies: ${good.stderr}`);
  t.match(good.stdout + good.stderr, /Verification: OK/);

  const wrong = await sClient(port, 'wrong.example.test', rootFile);
  t.not(wrong.code, 0, 'another hostname is rejected');
  t.match(wrong.stdout + wrong.stderr, /hostname mismatch/);
}

for (const key of ['ecdsa-p256', 'rsa-2048'] as const) {
  t.test(`${key} leaf signed by a root CA`, async (t) => {
    const dir = t.testdir();
    await issue(t, ['cert', 'ca', '--out', join(dir, 'ca'), '--key', key]);
    await issue(t, ['cert', 'issue', '--ca-dir', join(dir, 'ca'), '-h', HOST, '--key', key, '--out', join(dir, 'tls')]);
    await handshake(t, join(dir, 'tls'), join(dir, 'ca', 'ca.crt'));
  });
}

t.test('leaf under an intermediate: the server sends leaf + intermediate, the client holds only the root', async (t) => {
  const dir = t.testdir();
  await issue(t, ['cert', 'ca', '--out', join(dir, 'root'), '--key', 'rsa-2048']);
  await issue(t, ['cert', 'ca', '--intermediate', '--ca-dir', join(dir, 'root'), '--out', join(dir, 'int')]);
  await issue(t, ['cert', 'issue', '--ca-dir', join(dir, 'int'), '-h', HOST, '--out', join(dir, 'tls')]);
  await handshake(t, join(dir, 'tls'), join(dir, 'int', 'root.crt'));
});

import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:tls';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { makeCa, makeLeaf, openssl } from '../support/openssl.js';
import { java, tool } from '../support/tools.js';

/** Truststores judged by Java itself (keytool, a TLS client) and by OpenSSL 3. */

const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

function distinctCertificates(pemFile: string): number {
  const blocks = readFileSync(pemFile, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return new Set(blocks.map((block) => new X509Certificate(block).fingerprint256)).size;
}

async function bundle(sources: string[], out: string, extra: string[] = []) {
  return runCli(['trust', 'bundle', ...sources.flatMap((s) => ['--from', s]), '--out-p12', out, ...extra]);
}

t.test('keytool lists one trustedCertEntry per distinct CA', async (t) => {
  const dir = t.testdir();
  const cas = [makeCa(dir, 'ca1'), makeCa(dir, 'ca2'), makeCa(dir, 'ca3')];
  const cases: [string, string[], number][] = [
    ['1 CA', [cas[0]!.cert], 1],
    ['3 CAs (one given twice)', [cas[0]!.cert, cas[1]!.cert, cas[2]!.cert, cas[1]!.cert], 3],
    ['all system CAs', ['system'], distinctCertificates(SYSTEM_BUNDLE)],
  ];
  for (const [label, sources, expected] of cases) {
    const out = join(dir, `${label.replace(/\W+/g, '-')}.p12`);
    const result = await bundle(sources, out);
    t.equal(result.code, 0, `${label}: ${result.stderr}`);
    const list = await tool('keytool', ['-list', '-storetype', 'PKCS12', '-keystore', out, '-storepass', 'changeit']);
    t.equal(list.code, 0, list.stderr);
    t.match(list.stdout, `Your keystore contains ${expected} entr`, `${label}: ${expected} entries`);
    t.equal(list.stdout.split('\n').filter((line) => line.includes('trustedCertEntry')).length, expected, `${label}: all trustedCertEntry`);
    t.equal((await tool('openssl', ['pkcs12', '-info', '-noout', '-in', out, '-passin', 'pass:changeit'])).code, 0, `${label}: OpenSSL 3 reads it`);
    // Password-less, as JDK 18+'s cacerts: no MAC, so any password opens it, and OpenSSL says so.
    const other = await tool('keytool', ['-list', '-storetype', 'PKCS12', '-keystore', out, '-storepass', 'any-other']);
    t.equal(other.code, 0, `${label}: keytool opens it with another password: ${other.stderr}`);
    t.match((await tool('openssl', ['pkcs12', '-info', '-noout', '-in', out, '-passin', 'pass:changeit'])).stderr, /MAC is absent/, `${label}: it carries no MAC`);
  }
  t.ok(distinctCertificates(SYSTEM_BUNDLE) > 100, 'the system bundle is the real one');
});

t.test('--password-file protects the truststore with that password', async (t) => {
  const dir = t.testdir();
  const ca = makeCa(dir, 'ca');
  writeFileSync(join(dir, 'password'), 's3cret-for-test\n');
  const out = join(dir, 'trust.p12');
  const result = await bundle([ca.cert], out, ['--password-file', join(dir, 'password')]);
  t.equal(result.code, 0, result.stderr);
  t.notMatch(result.stdout + result.stderr, /s3cret-for-test/, 'the password is never printed');
  t.equal((await tool('keytool', ['-list', '-storetype', 'PKCS12', '-keystore', out, '-storepass', 's3cret-for-test'])).code, 0);
  t.not((await tool('keytool', ['-list', '-storetype', 'PKCS12', '-keystore', out, '-storepass', 'changeit'])).code, 0);
});

t.test('a Java client trusting only our truststore, hostname verification on', async (t) => {
  const dir = t.testdir();
  const root = makeCa(dir, 'root', '/CN=test root');
  const other = makeCa(dir, 'other', '/CN=test other root');
  // An intermediate under the root: the server sends leaf + intermediate, the store holds the root.
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'int.key', '-out', 'int.csr', '-subj', '/CN=test intermediate'], dir);
  writeFileSync(join(dir, 'int.ext'), 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n');
  openssl(['x509', '-req', '-in', 'int.csr', '-CA', root.cert, '-CAkey', root.key, '-CAcreateserial', '-days', '30', '-extfile', 'int.ext', '-out', 'int.crt'], dir);
  const intermediate = { cert: join(dir, 'int.crt'), key: join(dir, 'int.key') };
  const direct = makeLeaf(dir, 'direct', root, ['dh1.example.test']);
  const viaIntermediate = makeLeaf(dir, 'via-int', intermediate, ['dh1.example.test']);
  const stranger = makeLeaf(dir, 'stranger', other, ['dh1.example.test']);

  const store = join(dir, 'trust.p12');
  t.equal((await bundle([root.cert], store)).code, 0);
  writeFileSync(join(dir, 'storepass'), 'changeit\n');

  const serve = async (leaf: { cert: string; key: string }, chain: string[] = []): Promise<number> => {
    const cert = [leaf.cert, ...chain].map((file) => readFileSync(file, 'utf8')).join('');
    const server: Server = createServer({ cert, key: readFileSync(leaf.key) }, (socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return (server.address() as { port: number }).port;
  };
  const connect = (port: number, host: string) => java('TruststoreClient', [store, join(dir, 'storepass'), '127.0.0.1', `${port}`, host]);

  const ok = await connect(await serve(direct), 'dh1.example.test');
  t.equal(ok.code, 0, ok.stdout + ok.stderr);
  t.match(ok.stdout, /ENTRIES 1\nHANDSHAKE OK TLSv1\.3/);
  const chained = await connect(await serve(viaIntermediate, [intermediate.cert]), 'dh1.example.test');
  t.equal(chained.code, 0, `through an intermediate: ${chained.stdout}`);
  const untrusted = await connect(await serve(stranger), 'dh1.example.test');
  t.equal(untrusted.code, 1);
  t.match(untrusted.stdout, /HANDSHAKE FAILED .*PKIX/, 'a server from a CA not in the bundle is refused');
  const wrongName = await connect(await serve(direct), 'wrong.example.test');
  t.equal(wrongName.code, 1);
  t.match(wrongName.stdout, /HANDSHAKE FAILED .*(No subject alternative|No name matching)/, 'a wrong hostname is refused');
});

import t from 'tap';
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { makeCa, makeLeaf, openssl } from '../support/openssl.js';
import { startJava, tool } from '../support/tools.js';

/** Keystores judged by keytool and by a Java TLS server that presents them. */

function volume(dir: string, name: string, files: { cert: string; key: string }, chain: string[] = []): string {
  const path = join(dir, name);
  mkdirSync(path);
  writeFileSync(join(path, 'tls.crt'), [files.cert, ...chain].map((file) => readFileSync(file, 'utf8')).join(''));
  copyFileSync(files.key, join(path, 'tls.key'));
  return path;
}

for (const keyType of ['ec', 'rsa'] as const) {
  t.test(`a ${keyType.toUpperCase()} keystore: one PrivateKeyEntry with its chain, served by Java`, async (t) => {
    const dir = t.testdir();
    const root = makeCa(dir, 'root', '/CN=keystore test root');
    openssl(['req', '-new', '-newkey', keyType === 'ec' ? 'ec' : 'rsa', ...(keyType === 'ec' ? ['-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-pkeyopt', 'rsa_keygen_bits:2048']),
      '-nodes', '-keyout', 'int.key', '-out', 'int.csr', '-subj', '/CN=keystore test intermediate'], dir);
    writeFileSync(join(dir, 'int.ext'), 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n');
    openssl(['x509', '-req', '-in', 'int.csr', '-CA', root.cert, '-CAkey', root.key, '-CAcreateserial', '-days', '30', '-extfile', 'int.ext', '-out', 'int.crt'], dir);
    const leaf = makeLeaf(dir, 'leaf', { cert: join(dir, 'int.crt'), key: join(dir, 'int.key') }, ['dh1.example.test']);
    const tls = volume(dir, 'tls', leaf, [join(dir, 'int.crt')]);
    const keystore = join(dir, 'out', 'dh1.p12');

    const result = await runCli(['trust', 'keystore', '--tls-volume', tls, '--out', keystore, '--json']);
    t.equal(result.code, 0, result.stderr);
    const passphraseFile = join(dir, 'out', 'dh1.passphrase');
    const passphrase = readFileSync(passphraseFile, 'utf8').trim();
    t.equal(statSync(keystore).mode & 0o777, 0o600, 'keystore 0600');
    t.equal(statSync(passphraseFile).mode & 0o777, 0o600, 'passphrase 0600');
    t.ok(passphrase.length >= 40, 'a long random passphrase');
    t.notOk(result.stdout.includes(passphrase) || result.stderr.includes(passphrase), 'the passphrase is never printed');

    const list = await tool('keytool', ['-list', '-v', '-storetype', 'PKCS12', '-keystore', keystore, '-storepass:file', passphraseFile]);
    t.equal(list.code, 0, list.stderr);
    t.match(list.stdout, 'Your keystore contains 1 entry');
    t.match(list.stdout, 'Alias name: dh1.example.test');
    t.match(list.stdout, 'Entry type: PrivateKeyEntry');
    t.match(list.stdout, 'Certificate chain length: 2');

    const { child, match } = await startJava('KeystoreServer', [keystore, passphraseFile], /LISTENING (\d+)/);
    t.teardown(() => void child.kill());
    const handshake = await tool('openssl', ['s_client', '-connect', `127.0.0.1:${match[1]}`, '-servername', 'dh1.example.test',
      '-verify_hostname', 'dh1.example.test', '-verify_return_error', '-CAfile', root.cert, '-brief'], { timeoutMs: 20_000 });
    t.equal(handshake.code, 0, handshake.stderr);
    t.match(handshake.stderr + handshake.stdout, /Verification: OK/, 'a client verifying with the root accepts the chain Java presents');

    // A passphrase file that exists is used as it is, not replaced.
    writeFileSync(join(dir, 'given.passphrase'), 'given-passphrase-for-test\n', { mode: 0o600 });
    const given = await runCli(['trust', 'keystore', '--tls-volume', tls, '--out', join(dir, 'given.p12'), '--passphrase-file', join(dir, 'given.passphrase')]);
    t.equal(given.code, 0, given.stderr);
    t.equal(readFileSync(join(dir, 'given.passphrase'), 'utf8'), 'given-passphrase-for-test\n');
    t.equal((await tool('keytool', ['-list', '-storetype', 'PKCS12', '-keystore', join(dir, 'given.p12'), '-storepass', 'given-passphrase-for-test'])).code, 0);
  });
}

t.test('a key of another certificate or an encrypted key writes nothing', async (t) => {
  const dir = t.testdir();
  const ca = makeCa(dir, 'ca');
  const a = makeLeaf(dir, 'a', ca, ['a.example.test']);
  const b = makeLeaf(dir, 'b', ca, ['b.example.test']);
  const mismatched = volume(dir, 'mismatch', { cert: a.cert, key: b.key });
  const mismatch = await runCli(['trust', 'keystore', '--tls-volume', mismatched, '--out', join(dir, 'm.p12'), '--json']);
  t.equal(mismatch.code, 3);
  t.match(JSON.parse(mismatch.stdout).findings, [{ code: 'KEY_MISMATCH' }]);
  t.throws(() => statSync(join(dir, 'm.p12')), 'no keystore');
  t.throws(() => statSync(join(dir, 'm.passphrase')), 'no passphrase file');

  openssl(['pkey', '-in', a.key, '-aes256', '-passout', 'pass:x', '-out', 'a-encrypted.key'], dir);
  const encrypted = volume(dir, 'encrypted', { cert: a.cert, key: join(dir, 'a-encrypted.key') });
  const result = await runCli(['trust', 'keystore', '--tls-volume', encrypted, '--out', join(dir, 'e.p12'), '--json']);
  t.equal(result.code, 3);
  t.match(JSON.parse(result.stdout).findings, [{ code: 'KEY_ENCRYPTED' }]);
});

t.test('OpenSSL 3 reads the keystore with its passphrase file, without -legacy, and refuses a wrong passphrase', async (t) => {
  const dir = t.testdir({ 'wrong.passphrase': 'not-the-passphrase\n' });
  const ca = makeCa(dir, 'ca');
  const leaf = makeLeaf(dir, 'leaf', ca, ['dh1.example.test']);
  const keystore = join(dir, 'dh1.p12');
  const made = await runCli(['trust', 'keystore', '--tls-volume', volume(dir, 'tls', leaf), '--out', keystore]);
  t.equal(made.code, 0, made.stderr);

  const info = await tool('openssl', ['pkcs12', '-info', '-noout', '-in', keystore, '-passin', `file:${join(dir, 'dh1.passphrase')}`]);
  t.equal(info.code, 0, info.stderr);
  // -info reports on stderr: the MAC, and a bag per entry with the algorithm that protects it.
  t.match(info.stderr, /^MAC: sha256/m, 'an HMAC-SHA256 MAC');
  t.match(info.stderr, /Shrouded Keybag: PBES2, PBKDF2, AES-/, 'the key under PBES2 and AES');
  t.match(info.stderr, /Certificate bag/);
  t.notMatch(info.stderr, /RC2|3DES|TripleDES|pbeWithSHA1|Error/i, 'nothing that needs the legacy provider');

  const wrong = await tool('openssl', ['pkcs12', '-info', '-noout', '-in', keystore, '-passin', `file:${join(dir, 'wrong.passphrase')}`]);
  t.not(wrong.code, 0, 'a wrong passphrase is refused');
  t.match(wrong.stderr, /Mac verify error/);
});

t.test('an empty passphrase file is PASSPHRASE_EMPTY, and nothing is written', async (t) => {
  const dir = t.testdir({ 'empty.passphrase': '' });
  const ca = makeCa(dir, 'ca');
  const tls = volume(dir, 'tls', makeLeaf(dir, 'leaf', ca, ['dh1.example.test']));
  const result = await runCli(['trust', 'keystore', '--tls-volume', tls, '--out', join(dir, 'dh1.p12'), '--passphrase-file', join(dir, 'empty.passphrase'), '--json']);
  t.equal(result.code, 3);
  t.match(JSON.parse(result.stdout), { ok: false, error: { code: 'PASSPHRASE_EMPTY', subject: join(dir, 'empty.passphrase') } });
  t.throws(() => statSync(join(dir, 'dh1.p12')), 'no keystore');
  t.equal(readFileSync(join(dir, 'empty.passphrase'), 'utf8'), '', 'the passphrase file is left as it was');
});

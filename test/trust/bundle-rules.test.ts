import t from 'tap';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificate } from '../../src/pki/certificate.js';
import { buildPool } from '../../src/trust/pool.js';
import { findSystemBundle, SYSTEM_BUNDLE_PATHS } from '../../src/trust/sources.js';
import { cliPath, repoRoot, runCli, withoutTapLoader, type CliResult } from '../support/cli.js';
import { makeCa, makeLeaf, openssl } from '../support/openssl.js';

/** The pooling rules of `trust bundle`, through the CLI as a pipeline would use it. */

const bundle = (args: string[]) => runCli(['trust', 'bundle', '--json', ...args]);
const codes = (stdout: string) => (JSON.parse(stdout).findings as { code: string; severity: string }[]).map((f) => `${f.severity}:${f.code}`);

t.test('duplicates collapse and the same inputs give the same bytes in any order', async (t) => {
  const dir = t.testdir();
  const [a, b, c] = [makeCa(dir, 'a'), makeCa(dir, 'b'), makeCa(dir, 'c')];
  writeFileSync(join(dir, 'ab.pem'), readFileSync(a.cert, 'utf8') + readFileSync(b.cert, 'utf8'));
  const first = await bundle(['--from', join(dir, 'ab.pem'), '--from', c.cert, '--from', a.cert, '--out-pem', join(dir, '1.pem'), '--out-p12', join(dir, '1.p12')]);
  const second = await bundle(['--from', c.cert, '--from', b.cert, '--from', join(dir, 'ab.pem'), '--out-pem', join(dir, '2.pem'), '--out-p12', join(dir, '2.p12')]);
  t.equal(first.code, 0, first.stderr);
  const report = JSON.parse(first.stdout);
  t.equal(report.count, 3);
  t.equal(report.duplicates, 1);
  t.equal(report.certificates.length, 3);
  t.match(report.certificates[0].sha256, /^[0-9a-f]{64}$/, 'fingerprints are reported');
  t.same(report.password, { source: 'none', opensWith: 'any password' }, 'a password-less store is said to be one');
  t.same(readFileSync(join(dir, '1.pem')), readFileSync(join(dir, '2.pem')), 'PEM is byte-identical');
  t.same(readFileSync(join(dir, '1.p12')), readFileSync(join(dir, '2.p12')), 'PKCS#12 is byte-identical');
  t.equal(JSON.parse(second.stdout).outputs.length, 2);
});

t.test('an intermediate is a warning; a leaf is refused unless --allow-leaf', async (t) => {
  const dir = t.testdir();
  const root = makeCa(dir, 'root');
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'int.key', '-out', 'int.csr', '-subj', '/CN=int'], dir);
  writeFileSync(join(dir, 'int.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n');
  openssl(['x509', '-req', '-in', 'int.csr', '-CA', root.cert, '-CAkey', root.key, '-CAcreateserial', '-days', '30', '-extfile', 'int.ext', '-out', 'int.crt'], dir);
  const intermediate = await bundle(['--from', join(dir, 'int.crt'), '--out-pem', join(dir, 'int-bundle.pem')]);
  t.equal(intermediate.code, 0);
  t.same(codes(intermediate.stdout), ['warning:TRUST_INTERMEDIATE']);

  const leaf = makeLeaf(dir, 'leaf', root, ['a.example.test']);
  const refused = await bundle(['--from', leaf.cert, '--out-pem', join(dir, 'leaf-bundle.pem')]);
  t.equal(refused.code, 3);
  t.same(codes(refused.stdout), ['error:TRUST_LEAF']);
  t.notOk(existsSync(join(dir, 'leaf-bundle.pem')), 'nothing written');
  const allowed = await bundle(['--from', leaf.cert, '--allow-leaf', '--out-pem', join(dir, 'leaf-bundle.pem')]);
  t.equal(allowed.code, 0);
  t.same(codes(allowed.stdout), ['warning:TRUST_LEAF']);
});

t.test('an expired CA is a warning (judged on a fixed clock)', async (t) => {
  const dir = t.testdir();
  const ca = parseCertificate(Buffer.from(readFileSync(makeCa(dir, 'ca').cert, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64'));
  const later = buildPool([{ name: 'ca.pem', certificates: [ca], holdsPrivateKey: false }], { now: new Date('2100-01-01') });
  t.same(later.findings.map((f) => f.code), ['TRUST_EXPIRED']);
  const now = buildPool([{ name: 'ca.pem', certificates: [ca], holdsPrivateKey: false }]);
  t.same(now.findings, []);
});

t.test('keys, garbage and nothing at all are refused; DER and inline PEM are read', async (t) => {
  const dir = t.testdir();
  const ca = makeCa(dir, 'ca');
  writeFileSync(join(dir, 'with-key.pem'), readFileSync(ca.cert, 'utf8') + readFileSync(ca.key, 'utf8'));
  const withKey = await bundle(['--from', join(dir, 'with-key.pem'), '--out-pem', join(dir, 'out.pem')]);
  t.equal(withKey.code, 3);
  t.same(codes(withKey.stdout), ['error:TRUST_PRIVATE_KEY']);
  t.notMatch(withKey.stdout + withKey.stderr, /BEGIN (EC )?PRIVATE KEY/, 'no key printed');
  writeFileSync(join(dir, 'garbage.pem'), 'this is not a certificate\n');
  const garbage = await bundle(['--from', join(dir, 'garbage.pem'), '--out-pem', join(dir, 'out.pem')]);
  t.equal(garbage.code, 3);
  t.same(codes(garbage.stdout), ['error:FILE_NOT_PEM']);
  t.notOk(existsSync(join(dir, 'out.pem')), 'nothing written');

  openssl(['x509', '-in', ca.cert, '-outform', 'der', '-out', 'ca.der'], dir);
  const der = await bundle(['--from', join(dir, 'ca.der')]);
  t.equal(der.code, 0, der.stderr);
  t.equal(JSON.parse(der.stdout).count, 1, 'DER is read');
  const inline = await bundle(['--from-inline', readFileSync(ca.cert, 'utf8')]);
  t.equal(JSON.parse(inline.stdout).count, 1, 'inline PEM is read');
  const none = await runCli(['trust', 'bundle']);
  t.equal(none.code, 2, 'no source is a usage error');
});

t.test('sources that hold no certificate are TRUST_EMPTY, and nothing is written', async (t) => {
  const dir = t.testdir();
  const ca = makeCa(dir, 'ca');
  // A PEM file whose only block is a public key: read without error, yet no certificate.
  openssl(['pkey', '-in', ca.key, '-pubout', '-out', 'public.pem'], dir);
  const result = await bundle(['--from', join(dir, 'public.pem'), '--out-pem', join(dir, 'out.pem'), '--out-p12', join(dir, 'out.p12')]);
  t.equal(result.code, 3);
  t.same(codes(result.stdout), ['error:TRUST_EMPTY']);
  t.same(JSON.parse(result.stdout).outputs, []);
  t.notOk(existsSync(join(dir, 'out.pem')), 'no PEM bundle');
  t.notOk(existsSync(join(dir, 'out.p12')), 'no truststore');
});

/**
 * Runs the CLI with the host's CA bundle paths made to look absent: a preload answers ENOENT for
 * exactly those paths from fs/promises' access(), the call the system-bundle search makes.
 */
function withoutSystemBundle(args: string[], dir: string): Promise<CliResult> {
  const preload = join(dir, 'hide-system-bundle.mjs');
  writeFileSync(
    preload,
    `import { createRequire, syncBuiltinESMExports } from 'node:module';
const fsp = createRequire(import.meta.url)('node:fs/promises');
const hidden = new Set(${JSON.stringify(SYSTEM_BUNDLE_PATHS)});
const access = fsp.access;
fsp.access = async (path, mode) => {
  if (hidden.has(String(path))) throw Object.assign(new Error('ENOENT: no such file or directory, access ' + path), { code: 'ENOENT' });
  return access(path, mode);
};
syncBuiltinESMExports();
`,
  );
  return new Promise((resolve) => {
    execFile(...withoutTapLoader(process.execPath, ['--import', preload, cliPath, ...args]), { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

t.test('--from system without a host bundle is TRUST_NO_SYSTEM_BUNDLE, and nothing is written', async (t) => {
  const dir = t.testdir();
  const ca = makeCa(dir, 'ca');
  const args = (out: string) => ['trust', 'bundle', '--from', 'system', '--from', ca.cert, '--out-pem', join(dir, `${out}.pem`), '--out-p12', join(dir, `${out}.p12`)];
  if (await findSystemBundle()) {
    const control = await runCli(args('control'));
    t.equal(control.code, 0, 'with the host bundle visible the same command succeeds, so the preload is what hides it');
    t.ok(existsSync(join(dir, 'control.pem')) && existsSync(join(dir, 'control.p12')));
  }
  const result = await withoutSystemBundle([...args('hidden'), '--json'], dir);
  t.equal(result.code, 3, result.stderr);
  const report = JSON.parse(result.stdout);
  t.match(report.findings, [{ code: 'TRUST_NO_SYSTEM_BUNDLE', severity: 'error', file: 'system' }]);
  t.equal(report.findings.length, 1, 'the file source is fine');
  t.match(report.findings[0].message, SYSTEM_BUNDLE_PATHS[0]!, 'the paths searched are named');
  t.same(report.outputs, []);

  const human = await withoutSystemBundle(args('hidden'), dir);
  t.equal(human.code, 3);
  t.match(human.stdout, /TRUST_NO_SYSTEM_BUNDLE/);
  t.match(human.stderr, /nothing was written/);
  t.notOk(existsSync(join(dir, 'hidden.pem')) || existsSync(join(dir, 'hidden.p12')), 'nothing written');
});

t.test('an empty password file is PASSPHRASE_EMPTY, and nothing is written', async (t) => {
  const dir = t.testdir({ 'empty.txt': '', 'blank-first-line.txt': '\nsecret\n' });
  const ca = makeCa(dir, 'ca');
  for (const file of ['empty.txt', 'blank-first-line.txt']) {
    const outs = ['--out-pem', join(dir, `${file}.pem`), '--out-p12', join(dir, `${file}.p12`)];
    const result = await bundle(['--from', ca.cert, '--password-file', join(dir, file), ...outs]);
    t.equal(result.code, 3, file);
    t.match(JSON.parse(result.stdout), { ok: false, error: { code: 'PASSPHRASE_EMPTY', subject: join(dir, file) } }, file);
    t.notOk(existsSync(join(dir, `${file}.pem`)) || existsSync(join(dir, `${file}.p12`)), `${file}: nothing written`);
    const human = await runCli(['trust', 'bundle', '--from', ca.cert, '--password-file', join(dir, file), ...outs]);
    t.match(human.stderr, /^error: .*holds no passphrase on its first line.*\[PASSPHRASE_EMPTY\]$/m);
  }
});

/** A self-signed CA that expired: valid 2020-01-01 to 2021-01-01, made by `openssl ca`. */
function makeExpiredCa(dir: string): string {
  writeFileSync(
    join(dir, 'expired.cnf'),
    `[ca]
default_ca = expired
[expired]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
[any]
commonName = supplied
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
`,
  );
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '01\n');
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'expired.key', '-out', 'expired.csr', '-subj', '/CN=expired root'], dir);
  openssl(['ca', '-batch', '-config', 'expired.cnf', '-selfsign', '-keyfile', 'expired.key', '-in', 'expired.csr', '-startdate', '20200101000000Z', '-enddate', '20210101000000Z',
    '-extensions', 'v3_ca', '-notext', '-out', 'expired.crt'], dir);
  return join(dir, 'expired.crt');
}

t.test('an expired CA is a warning in the JSON, and the bundle is still written', async (t) => {
  const dir = t.testdir();
  const expired = makeExpiredCa(dir);
  const current = makeCa(dir, 'current');
  const result = await bundle(['--from', expired, '--from', current.cert, '--out-pem', join(dir, 'out.pem')]);
  t.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  t.equal(report.ok, true);
  t.same(codes(result.stdout), ['warning:TRUST_EXPIRED']);
  t.match(report.findings[0], { file: expired, message: /"CN=expired root" expired on 2021-01-01T00:00:00/ });
  t.equal(report.count, 2, 'a warning does not drop the CA');
  t.ok(existsSync(join(dir, 'out.pem')));
});

t.test('--out-pem and --out-p12 are 0644 whatever the umask', async (t) => {
  const dir = t.testdir();
  const ca = makeCa(dir, 'ca');
  const before = process.umask();
  t.teardown(() => void process.umask(before));
  // The child inherits the umask: 077 would make 0600 of a plain create, 000 0666.
  for (const umask of [0o077, 0o000, 0o022]) {
    process.umask(umask);
    const name = umask.toString(8).padStart(3, '0');
    const pem = join(dir, `${name}.pem`);
    const p12 = join(dir, `${name}.p12`);
    const result = await bundle(['--from', ca.cert, '--out-pem', pem, '--out-p12', p12]);
    t.equal(result.code, 0, result.stderr);
    t.equal(statSync(pem).mode & 0o777, 0o644, `umask ${name}: PEM bundle 0644`);
    t.equal(statSync(p12).mode & 0o777, 0o644, `umask ${name}: truststore 0644`);
  }
  process.umask(before);

  // Unchanged bytes are not rewritten, but a wrong mode is still put right.
  chmodSync(join(dir, '077.pem'), 0o600);
  chmodSync(join(dir, '077.p12'), 0o666);
  const again = await bundle(['--from', ca.cert, '--out-pem', join(dir, '077.pem'), '--out-p12', join(dir, '077.p12')]);
  t.same(JSON.parse(again.stdout).outputs.map((o: { outcome: string }) => o.outcome), ['unchanged', 'unchanged']);
  t.equal(statSync(join(dir, '077.pem')).mode & 0o777, 0o644, 'PEM mode restored');
  t.equal(statSync(join(dir, '077.p12')).mode & 0o777, 0o644, 'truststore mode restored');
});

t.test('without --password-file the human output says the store is password-less', async (t) => {
  const dir = t.testdir({ 'password.txt': 'not-the-default\n' });
  const ca = makeCa(dir, 'ca');
  const result = await runCli(['trust', 'bundle', '--from', ca.cert, '--out-p12', join(dir, 'default.p12')]);
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, /^truststore: password-less, .*"changeit" included/m);
  t.doesNotThrow(() => openssl(['pkcs12', '-info', '-noout', '-in', 'default.p12', '-passin', 'pass:changeit'], dir), 'and changeit opens it');

  const withFile = await runCli(['trust', 'bundle', '--from', ca.cert, '--out-p12', join(dir, 'own.p12'), '--password-file', join(dir, 'password.txt')]);
  t.equal(withFile.code, 0, withFile.stderr);
  t.notMatch(withFile.stdout + withFile.stderr, /truststore: password-less|"changeit"|not-the-default/, 'a password from a file is neither called changeit nor printed');
  const pemOnly = await runCli(['trust', 'bundle', '--from', ca.cert, '--out-pem', join(dir, 'only.pem')]);
  t.notMatch(pemOnly.stdout, /truststore: password-less/, 'no truststore, no password line');
});

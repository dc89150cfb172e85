import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePemBlocks } from '../../src/pki/pem.js';
import { runCli, type CliResult } from '../support/cli.js';

function openssl(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile('openssl', args, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const mode = (path: string) => statSync(path).mode & 0o777;
const labels = (path: string) => parsePemBlocks(readFileSync(path, 'utf8')).map((block) => block.label);
const certificates = (path: string) =>
  parsePemBlocks(readFileSync(path, 'utf8'))
    .filter((block) => block.label === 'CERTIFICATE')
    .map((block) => new X509Certificate(block.der));

/** Runs the CLI and fails the test on a non-zero exit, showing stderr. */
async function ok(t: Test, args: string[]): Promise<CliResult> {
  const result = await runCli(args);
  t.equal(result.code, 0, `dh-podman ${args.join(' ')}: ${result.stderr}`);
  t.notMatch(result.stdout + result.stderr, /PRIVATE KEY/, 'no key material in output');
  return result;
}

async function verifies(t: Test, root: string, chainFile: string): Promise<void> {
  // The chain file doubles as -untrusted: openssl picks the intermediates out of it.
  const result = await openssl(['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', root, '-untrusted', chainFile, chainFile]);
  t.equal(result.code, 0, `openssl verify ${chainFile}: ${result.stdout}${result.stderr}`);
}

t.test('cert ca then cert issue: files, modes, refusal without --force, --force replaces', async (t) => {
  const dir = t.testdir();
  const ca = join(dir, 'ca');
  const tls = join(dir, 'tls');
  await ok(t, ['cert', 'ca', '--out', ca]);
  t.equal(mode(join(ca, 'ca.crt')), 0o644);
  t.equal(mode(join(ca, 'ca.key')), 0o600);
  t.notOk(existsSync(join(ca, 'root.crt')), 'a root CA dir has no separate root.crt');

  await ok(t, ['cert', 'issue', '--ca-dir', ca, '--hostname', 'dh1.example.test', '--out', tls]);
  t.equal(mode(join(tls, 'tls.crt')), 0o644);
  t.equal(mode(join(tls, 'tls.key')), 0o600);
  t.same(labels(join(tls, 'tls.crt')), ['CERTIFICATE'], 'a root CA adds no intermediates, and never the root');
  t.same(labels(join(tls, 'tls.key')), ['PRIVATE KEY'], 'PKCS#8');
  const [leaf] = certificates(join(tls, 'tls.crt'));
  t.ok(leaf!.checkPrivateKey(createPrivateKey(readFileSync(join(tls, 'tls.key')))), 'tls.key belongs to the leaf');
  t.equal(leaf!.subjectAltName, 'DNS:dh1.example.test');
  await verifies(t, join(ca, 'ca.crt'), join(tls, 'tls.crt'));

  const before = { crt: readFileSync(join(tls, 'tls.crt')), key: readFileSync(join(tls, 'tls.key')) };
  const again = await runCli(['cert', 'issue', '--ca-dir', ca, '--hostname', 'dh1.example.test', '--out', tls]);
  t.equal(again.code, 3, 'refuses to overwrite: the occupied --out is invalid input');
  t.equal(again.stderr.trim().split('\n').length, 1, 'one line');
  t.match(again.stderr, /tls\.(crt|key).*already exists.*--force.*\[FILE_EXISTS\]/);
  t.ok(readFileSync(join(tls, 'tls.crt')).equals(before.crt), 'tls.crt unchanged');
  t.ok(readFileSync(join(tls, 'tls.key')).equals(before.key), 'tls.key unchanged');

  const caBefore = readFileSync(join(ca, 'ca.key'));
  const caAgain = await runCli(['cert', 'ca', '--out', ca]);
  t.not(caAgain.code, 0);
  t.match(caAgain.stderr, /ca\.(crt|key).*already exists/);
  t.ok(readFileSync(join(ca, 'ca.key')).equals(caBefore), 'the CA key survives');

  // One existing output is enough to refuse, and nothing else is written then.
  const partial = join(dir, 'partial');
  await ok(t, ['cert', 'issue', '--ca-dir', ca, '--hostname', 'dh1.example.test', '--out', partial]);
  writeFileSync(join(partial, 'keep.txt'), 'x');
  const envoyRefused = await runCli(['cert', 'issue', '--ca-dir', ca, '-h', 'dh1.example.test', '--envoy-hostname', 'e.example.test', '--out', partial]);
  t.not(envoyRefused.code, 0);
  t.notOk(existsSync(join(partial, 'envoy.pem')), 'envoy.pem not written when tls.crt exists');

  await ok(t, ['cert', 'issue', '--ca-dir', ca, '--hostname', 'dh1.example.test', '--out', tls, '--force']);
  t.notOk(readFileSync(join(tls, 'tls.crt')).equals(before.crt), 'tls.crt replaced');
  t.notOk(readFileSync(join(tls, 'tls.key')).equals(before.key), 'tls.key replaced');
  t.equal(mode(join(tls, 'tls.key')), 0o600, 'still 0600 after --force');
  await verifies(t, join(ca, 'ca.crt'), join(tls, 'tls.crt'));
});

t.test('--intermediate layout: ca.crt is the intermediate, root.crt the anchor, tls.crt leaf + intermediate', async (t) => {
  const dir = t.testdir();
  const root = join(dir, 'root');
  const int = join(dir, 'int');
  const tls = join(dir, 'tls');
  await ok(t, ['cert', 'ca', '--out', root, '--cn', 'Example Root', '--key', 'ecdsa-p384']);
  await ok(t, ['cert', 'ca', '--intermediate', '--ca-dir', root, '--out', int, '--days', '1000']);
  t.same(labels(join(int, 'ca.crt')), ['CERTIFICATE'], 'the intermediate only: the root is self-signed');
  t.ok(readFileSync(join(int, 'root.crt')).equals(readFileSync(join(root, 'ca.crt'))), 'root.crt is the parent root');
  t.equal(mode(join(int, 'ca.key')), 0o600);
  t.equal(mode(join(int, 'root.crt')), 0o644);
  const [intermediate] = certificates(join(int, 'ca.crt'));
  t.equal(intermediate!.subject, 'O=dh-podman\nCN=dh-podman Intermediate CA');
  t.equal(intermediate!.issuer, 'O=dh-podman\nCN=Example Root');
  t.equal(Math.round((Date.parse(intermediate!.validTo) - Date.now()) / 86400_000), 1000);

  const { stdout } = await ok(t, ['cert', 'issue', '--ca-dir', int, '-h', 'dh1.example.test', '--out', tls, '--key', 'rsa-2048', '--json']);
  const report = JSON.parse(stdout);
  t.equal(report.intermediates, 1);
  t.equal(report.trustAnchor, join(int, 'root.crt'));
  const chain = certificates(join(tls, 'tls.crt'));
  t.equal(chain.length, 2, 'leaf then the intermediate');
  t.equal(chain[1]!.fingerprint256, intermediate!.fingerprint256);
  await verifies(t, join(int, 'root.crt'), join(tls, 'tls.crt'));

  const refused = await runCli(['cert', 'ca', '--intermediate', '--ca-dir', int, '--out', join(dir, 'deeper')]);
  t.equal(refused.code, 3, 'an intermediate with pathlen:0 cannot sign another CA');
  t.match(refused.stderr, /pathlen:0.*\[CA_PATHLEN_ZERO\]/);

  const usage = await runCli(['cert', 'ca', '--ca-dir', root, '--out', join(dir, 'x')]);
  t.equal(usage.code, 2, '--ca-dir without --intermediate is a usage error');
  const noParent = await runCli(['cert', 'ca', '--intermediate', '--out', join(dir, 'x')]);
  t.equal(noParent.code, 2);
  t.match(noParent.stderr, /--ca-dir/);
});

t.test("the user's own CA (made by openssl) via --ca-cert/--ca-key, including a deeper chain", async (t) => {
  const dir = t.testdir();
  const path = (name: string) => join(dir, name);
  const made = await openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', path('corp-root.key'), '-out', path('corp-root.crt'), '-days', '30', '-subj', '/O=Corp/CN=Corp Root',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  t.equal(made.code, 0, made.stderr);

  await ok(t, ['cert', 'issue', '--ca-cert', path('corp-root.crt'), '--ca-key', path('corp-root.key'), '-h', 'dh1.example.test', '--out', path('tls-direct')]);
  await verifies(t, path('corp-root.crt'), path('tls-direct/tls.crt'));
  t.same(labels(path('tls-direct/tls.crt')), ['CERTIFICATE'], 'the self-signed corp root is not sent');

  // A corporate issuing CA (no pathlen) under the corp root; dh-podman's intermediate goes below it.
  writeFileSync(path('ext.cnf'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  const csr = await openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', path('corp-int.key'), '-out', path('corp-int.csr'), '-subj', '/O=Corp/CN=Corp Issuing CA']);
  t.equal(csr.code, 0, csr.stderr);
  const signed = await openssl([
    'x509', '-req', '-in', path('corp-int.csr'), '-CA', path('corp-root.crt'), '-CAkey', path('corp-root.key'),
    '-CAcreateserial', '-out', path('corp-int.crt'), '-days', '30', '-extfile', path('ext.cnf'),
  ]);
  t.equal(signed.code, 0, signed.stderr);
  writeFileSync(path('corp-bundle.crt'), readFileSync(path('corp-int.crt'), 'utf8') + readFileSync(path('corp-root.crt'), 'utf8'));

  await ok(t, ['cert', 'ca', '--intermediate', '--ca-cert', path('corp-bundle.crt'), '--ca-key', path('corp-int.key'), '--out', path('dh-ca')]);
  t.equal(labels(path('dh-ca/ca.crt')).length, 2, 'the new intermediate, then the corp issuing CA');
  t.ok(readFileSync(path('dh-ca/root.crt'), 'utf8').includes(readFileSync(path('corp-root.crt'), 'utf8').trim()), 'root.crt is the corp root');
  await ok(t, ['cert', 'issue', '--ca-dir', path('dh-ca'), '-h', 'dh1.example.test', '--out', path('tls-deep')]);
  t.equal(certificates(path('tls-deep/tls.crt')).length, 3, 'leaf, dh-podman intermediate, corp issuing CA');
  await verifies(t, path('dh-ca/root.crt'), path('tls-deep/tls.crt'));

  // What is not a usable CA is refused with exit 3 and one line naming the file.
  const leafAsCa = await runCli(['cert', 'issue', '--ca-cert', path('tls-direct/tls.crt'), '--ca-key', path('tls-direct/tls.key'), '-h', 'x.example.test', '--out', path('no')]);
  t.equal(leafAsCa.code, 3);
  t.match(leafAsCa.stderr, /tls-direct\/tls\.crt: .*not a CA.*\[CA_NOT_CA\]/);
  const mismatch = await runCli(['cert', 'issue', '--ca-cert', path('corp-root.crt'), '--ca-key', path('corp-int.key'), '-h', 'x.example.test', '--out', path('no')]);
  t.equal(mismatch.code, 3);
  t.match(mismatch.stderr, /corp-int\.key: is not the private key.*\[CA_KEY_MISMATCH\]/);
  writeFileSync(path('pass.txt'), 'hunter2-secret\n', { mode: 0o600 });
  const encrypted = await openssl(['pkey', '-in', path('corp-root.key'), '-aes256', '-passout', `file:${path('pass.txt')}`, '-out', path('enc.key')]);
  t.equal(encrypted.code, 0);
  const refused = await runCli(['cert', 'issue', '--ca-cert', path('corp-root.crt'), '--ca-key', path('enc.key'), '-h', 'x.example.test', '--out', path('no')]);
  t.equal(refused.code, 3);
  t.match(refused.stderr, /enc\.key: is encrypted.*\[CA_KEY_ENCRYPTED\]/);
  t.notMatch(refused.stderr, /hunter2|PRIVATE KEY/);
  t.notOk(existsSync(path('no')), 'nothing written for a refused CA');
});

t.test('--envoy-hostname writes envoy.pem: chain then key, 0600', async (t) => {
  const dir = t.testdir();
  const root = join(dir, 'root');
  const int = join(dir, 'int');
  const tls = join(dir, 'tls');
  await ok(t, ['cert', 'ca', '--out', root]);
  await ok(t, ['cert', 'ca', '--intermediate', '--ca-dir', root, '--out', int]);
  await ok(t, ['cert', 'issue', '--ca-dir', int, '-h', 'dh1.example.test', '--envoy-hostname', 'Envoy.Example.Test', '--out', tls]);
  const envoy = join(tls, 'envoy.pem');
  t.equal(mode(envoy), 0o600);
  t.same(labels(envoy), ['CERTIFICATE', 'CERTIFICATE', 'PRIVATE KEY']);
  const [envoyLeaf] = certificates(envoy);
  t.equal(envoyLeaf!.subjectAltName, 'DNS:envoy.example.test');
  const key = parsePemBlocks(readFileSync(envoy, 'utf8')).find((block) => block.label === 'PRIVATE KEY')!;
  t.ok(envoyLeaf!.checkPrivateKey(createPrivateKey(key.text)), 'the key in envoy.pem is the Envoy leaf key');
  const [machineLeaf] = certificates(join(tls, 'tls.crt'));
  t.not(machineLeaf!.fingerprint256, envoyLeaf!.fingerprint256, 'a separate leaf');
  // X509Certificate.keyUsage holds the extended key usage OIDs.
  t.same(machineLeaf!.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'], 'serverAuth and clientAuth by default');
  t.same(envoyLeaf!.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'], 'the Envoy leaf too');
  await verifies(t, join(int, 'root.crt'), envoy);

  const check = await runCli([
    'cert', 'check', '--hostname', 'dh1.example.test', '--tls-volume', tls, '--ca-cert-file', join(int, 'root.crt'),
    '--envoy-hostname', 'envoy.example.test', '--mtls', '--strict', '--json',
  ]);
  t.equal(check.code, 0, check.stdout + check.stderr);
  t.equal(JSON.parse(check.stdout).ok, true);
});

t.test('--no-client leaves clientAuth out; --client is still accepted (and changes nothing)', async (t) => {
  const dir = t.testdir();
  const ca = join(dir, 'ca');
  await ok(t, ['cert', 'ca', '--out', ca]);
  const cases: [string, string[], string[]][] = [
    ['default', [], ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']],
    ['--client', ['--client'], ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']],
    ['--no-client', ['--no-client'], ['1.3.6.1.5.5.7.3.1']],
  ];
  for (const [label, flags, eku] of cases) {
    const tls = join(dir, label.replace(/\W/g, ''));
    await ok(t, ['cert', 'issue', '--ca-dir', ca, '-h', 'dh1.example.test', ...flags, '--out', tls]);
    t.same(certificates(join(tls, 'tls.crt'))[0]!.keyUsage, eku, `${label}: extended key usage`);
    const check = await runCli(['cert', 'check', '-h', 'dh1.example.test', '--tls-volume', tls, '--json']);
    const codes = (JSON.parse(check.stdout) as { findings: { code: string }[] }).findings.map((finding) => finding.code);
    t.equal(codes.includes('EKU_NO_CLIENT_AUTH'), label === '--no-client', `${label}: EKU_NO_CLIENT_AUTH only without clientAuth`);
  }
});

t.test('--json reports paths, names, dates and fingerprints, never key material', async (t) => {
  const dir = t.testdir();
  const ca = join(dir, 'ca');
  const tls = join(dir, 'tls');
  const caRun = await ok(t, ['cert', 'ca', '--out', ca, '--json']);
  const caReport = JSON.parse(caRun.stdout);
  t.equal(caReport.ok, true);
  t.same(caReport.written.map((entry: { path: string; mode: string }) => [entry.path, entry.mode]).sort(), [
    [join(ca, 'ca.crt'), '0644'],
    [join(ca, 'ca.key'), '0600'],
  ]);
  t.equal(caReport.trustAnchor, join(ca, 'ca.crt'));

  const { stdout } = await ok(t, ['cert', 'issue', '--ca-dir', ca, '-h', 'dh1.example.test', '-h', 'DH1', '--ip', '10.1.2.3', '--days', '90', '--out', tls, '--json']);
  const report = JSON.parse(stdout);
  t.equal(report.ok, true);
  const [leaf] = report.certificates;
  t.equal(leaf.subject, 'CN=dh1.example.test');
  t.same(leaf.san, { dns: ['dh1.example.test', 'dh1'], ip: ['10.1.2.3'] });
  t.match(leaf.sha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  t.equal(Math.round((Date.parse(leaf.notAfter) - Date.now()) / 86400_000), 90);
  t.same(report.written.map((entry: { path: string }) => entry.path).sort(), [join(tls, 'tls.crt'), join(tls, 'tls.key')]);
  t.notMatch(stdout, /PRIVATE KEY|BEGIN/);

  const check = await runCli(['cert', 'check', '--hostname', 'dh1.example.test', '--tls-volume', tls, '--ca-cert-file', join(ca, 'ca.crt'), '--json']);
  t.equal(check.code, 0, check.stdout + check.stderr);
  t.equal(JSON.parse(check.stdout).ok, true, 'what cert issue makes passes cert check');
});

t.test("a leaf asked to outlive its CA ends with the CA, and says so", async (t) => {
  const dir = t.testdir();
  await ok(t, ['cert', 'ca', '--out', join(dir, 'ca'), '--days', '30']);
  const { stderr } = await ok(t, ['cert', 'issue', '--ca-dir', join(dir, 'ca'), '-h', 'dh1.example.test', '--out', join(dir, 'tls')]);
  t.match(stderr, /leaf: valid until .* only, when the CA in .*ca\.crt expires/);
  const [ca] = certificates(join(dir, 'ca', 'ca.crt'));
  const [leaf] = certificates(join(dir, 'tls', 'tls.crt'));
  t.equal(leaf!.validTo, ca!.validTo);
});

t.test('bad input: exit 2, one line naming the flag, nothing written', async (t) => {
  const dir = t.testdir();
  const ca = join(dir, 'ca');
  await ok(t, ['cert', 'ca', '--out', ca]);
  const out = join(dir, 'tls');
  const cases: [string[], RegExp][] = [
    [['-h', 'bad_name.example'], /--hostname: "bad_name\.example" is not a valid DNS name/],
    [['-h', '*.com'], /--hostname: .*wildcard/],
    [['-h', 'ok.example.test', '--ip', '300.1.1.1'], /--ip: "300\.1\.1\.1" is not an IP address/],
    [['-h', 'ok.example.test', '--envoy-hostname', 'bad name'], /--envoy-hostname: "bad name"/],
    [['-h', 'ok.example.test', '--days', '0'], /--days/],
    [['-h', 'ok.example.test', '--key', 'dsa-1024'], /--key/],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(['cert', 'issue', '--ca-dir', ca, ...args, '--out', out]);
    t.equal(result.code, 2, args.join(' '));
    t.equal(result.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line`);
    t.match(result.stderr, message);
  }
  const missing = await runCli(['cert', 'issue', '--ca-dir', ca, '--out', out]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /--hostname/);
  const conflict = await runCli(['cert', 'issue', '--ca-dir', ca, '--ca-cert', join(ca, 'ca.crt'), '-h', 'a.example.test', '--out', out]);
  t.equal(conflict.code, 2);
  const notCaDir = await runCli(['cert', 'issue', '--ca-dir', dir, '-h', 'a.example.test', '--out', out]);
  t.equal(notCaDir.code, 3);
  t.match(notCaDir.stderr, /is not a CA directory/);
  t.notOk(existsSync(out), 'nothing was written');
});

import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificate } from '../../src/pki/certificate.js';
import { buildPool } from '../../src/trust/pool.js';
import { runCli } from '../support/cli.js';
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
  t.same(report.password, { source: 'default', value: 'changeit' }, 'the default password is said');
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

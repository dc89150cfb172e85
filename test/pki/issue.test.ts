import t from 'tap';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDhError } from '../../src/base/errors.js';
import { loadCaFromFiles } from '../../src/pki/ca-source.js';
import {
  checkDays,
  issueIntermediateCa,
  issueLeaf,
  issueRootCa,
  parseSubjectNames,
  type Issued,
  type Issuer,
} from '../../src/pki/issue.js';
import { KEY_ALGORITHMS, type KeyAlgorithm } from '../../src/pki/keys.js';
import { randomSerialNumber } from '../../src/pki/x509-builder.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function openssl(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('openssl', args, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const asIssuer = (issued: Issued, label: string): Issuer => ({
  certificateDer: issued.certificateDer,
  privateKey: issued.privateKey,
  label,
});

/** The text after a "X509v3 <name>:" heading in `openssl x509 -text`, up to the next heading. */
function extensionText(text: string, name: string): string {
  const match = new RegExp(`X509v3 ${name}:( critical)? *\\n\\s+([^\\n]+)`).exec(text);
  return match ? `${match[1] ? 'critical ' : ''}${match[2]!.trim()}` : '';
}

const SIGNATURE_NAMES: Record<KeyAlgorithm, string> = {
  'ecdsa-p256': 'ecdsa-with-SHA256',
  'ecdsa-p384': 'ecdsa-with-SHA384',
  'rsa-2048': 'sha256WithRSAEncryption',
  'rsa-3072': 'sha256WithRSAEncryption',
  'rsa-4096': 'sha256WithRSAEncryption',
};

for (const key of ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048'] as const) {
  t.test(`${key}: root, intermediate and leaf verify with openssl`, async (t) => {
    const dir = t.testdir();
    const root = await issueRootCa({ key, commonName: 'Test Root' });
    const intermediate = await issueIntermediateCa(asIssuer(root, 'root'), { key });
    const leaf = await issueLeaf(asIssuer(intermediate, 'intermediate'), {
      key,
      hostnames: ['DH1.Example.Test', 'alt.example.test'],
      ips: ['10.0.0.5', 'fd00::1'],
      days: 30,
    });
    const files = { root: join(dir, 'root.crt'), int: join(dir, 'int.crt'), leaf: join(dir, 'leaf.crt') };
    writeFileSync(files.root, root.certificatePem);
    writeFileSync(files.int, intermediate.certificatePem);
    writeFileSync(files.leaf, leaf.certificatePem);

    const verify = await openssl(['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', files.root, '-untrusted', files.int, files.leaf]);
    t.equal(verify.code, 0, verify.stderr);
    t.match(verify.stdout, /leaf\.crt: OK/);

    const text = (await openssl(['x509', '-in', files.leaf, '-noout', '-text'])).stdout;
    t.match(text, /Version: 3 \(0x2\)/);
    t.match(text, new RegExp(`Signature Algorithm: ${SIGNATURE_NAMES[key]}`));
    t.match(text, /Subject: CN = dh1\.example\.test\n/);
    t.equal(extensionText(text, 'Basic Constraints'), 'critical CA:FALSE');
    t.equal(
      extensionText(text, 'Key Usage'),
      key.startsWith('rsa') ? 'critical Digital Signature, Key Encipherment' : 'critical Digital Signature',
    );
    t.equal(extensionText(text, 'Extended Key Usage'), 'TLS Web Server Authentication, TLS Web Client Authentication');
    t.equal(
      extensionText(text, 'Subject Alternative Name'),
      'DNS:dh1.example.test, DNS:alt.example.test, IP Address:10.0.0.5, IP Address:FD00:0:0:0:0:0:0:1',
    );
    // The leaf's AKI is the intermediate's SKI, so path builders that match on key ids agree.
    const intText = (await openssl(['x509', '-in', files.int, '-noout', '-text'])).stdout;
    t.equal(extensionText(text, 'Authority Key Identifier'), extensionText(intText, 'Subject Key Identifier'));
    t.equal(extensionText(intText, 'Basic Constraints'), 'critical CA:TRUE, pathlen:0');
    t.equal(extensionText(intText, 'Key Usage'), 'critical Digital Signature, Certificate Sign, CRL Sign');
    const rootText = (await openssl(['x509', '-in', files.root, '-noout', '-text'])).stdout;
    t.equal(extensionText(rootText, 'Basic Constraints'), 'critical CA:TRUE');
    t.match(rootText, /Subject: O = dh-podman, CN = Test Root\n/);
    t.equal(extensionText(intText, 'Authority Key Identifier'), extensionText(rootText, 'Subject Key Identifier'));

    const serial = (await openssl(['x509', '-in', files.leaf, '-noout', '-serial'])).stdout.trim().replace(/^serial=/, '');
    t.match(serial, /^[0-7][0-9A-F]{31}$/, '16 bytes, positive');

    const x509 = new X509Certificate(leaf.certificateDer);
    const lifetime = Date.parse(x509.validTo) - Date.parse(x509.validFrom);
    t.equal(lifetime, 30 * 86400_000 + 5 * 60_000, '--days 30 after a 5-minute backdate');
    t.ok(x509.checkPrivateKey(leaf.privateKey));
    t.match(leaf.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/, 'PKCS#8');
  });
}

t.test('every key algorithm can sign and be signed; mixed chains verify', async (t) => {
  const dir = t.testdir();
  const rsaRoot = await issueRootCa({ key: 'rsa-3072' });
  const files = { root: join(dir, 'root.crt'), leaf: join(dir, 'leaf.crt') };
  writeFileSync(files.root, rsaRoot.certificatePem);
  for (const key of KEY_ALGORITHMS.filter((name) => name !== 'rsa-4096')) {
    const leaf = await issueLeaf(asIssuer(rsaRoot, 'root'), { key, hostnames: ['mixed.example.test'] });
    writeFileSync(files.leaf, leaf.certificatePem);
    const verify = await openssl(['verify', '-x509_strict', '-CAfile', files.root, files.leaf]);
    t.equal(verify.code, 0, `${key} leaf under an RSA root: ${verify.stderr}`);
  }
  const ecRoot = await issueRootCa({ key: 'ecdsa-p384' });
  writeFileSync(files.root, ecRoot.certificatePem);
  const rsaLeaf = await issueLeaf(asIssuer(ecRoot, 'root'), { key: 'rsa-2048', hostnames: ['mixed.example.test'] });
  writeFileSync(files.leaf, rsaLeaf.certificatePem);
  const text = (await openssl(['x509', '-in', files.leaf, '-noout', '-text'])).stdout;
  t.match(text, /Signature Algorithm: ecdsa-with-SHA384/, 'the issuer key decides the signature algorithm');
  t.equal((await openssl(['verify', '-CAfile', files.root, files.leaf])).code, 0);
});

t.test('a fixed now gives exact dates; 2050 and later use GeneralizedTime', async (t) => {
  const dir = t.testdir();
  const now = new Date('2030-01-01T12:00:00.750Z');
  const root = await issueRootCa({ now });
  const leaf = await issueLeaf(asIssuer(root, 'root'), { hostnames: ['dates.example.test'], now, days: 397 });
  const x509 = new X509Certificate(leaf.certificateDer);
  t.equal(new Date(x509.validFrom).toISOString(), '2030-01-01T11:55:00.000Z', 'now minus 5 minutes, whole seconds');
  t.equal(new Date(x509.validTo).toISOString(), '2031-02-02T12:00:00.000Z', 'now plus 397 days');
  t.equal(new Date(new X509Certificate(root.certificateDer).validTo).toISOString(), '2039-12-30T12:00:00.000Z', 'CA default 3650 days');

  const late = new Date('2049-12-31T23:58:00Z');
  const lateRoot = await issueRootCa({ now: late, days: 36500 });
  const lateLeaf = await issueLeaf(asIssuer(lateRoot, 'root'), { hostnames: ['late.example.test'], now: late, days: 1 });
  const files = { root: join(dir, 'root.crt'), leaf: join(dir, 'leaf.crt') };
  writeFileSync(files.root, lateRoot.certificatePem);
  writeFileSync(files.leaf, lateLeaf.certificatePem);
  const parsed = await openssl(['asn1parse', '-in', files.leaf]);
  t.match(parsed.stdout, /UTCTIME\s+:491231235300Z[\s\S]*GENERALIZEDTIME\s+:20500101235800Z/, 'UTCTime before 2050, GeneralizedTime after');
  t.equal(new Date(new X509Certificate(lateLeaf.certificateDer).validTo).toISOString(), '2050-01-01T23:58:00.000Z');
  const attime = String(Date.parse('2050-01-01T12:00:00Z') / 1000);
  const verify = await openssl(['verify', '-attime', attime, '-CAfile', files.root, files.leaf]);
  t.equal(verify.code, 0, `verifies across the 2050 boundary: ${verify.stderr}`);
});

t.test('a certificate never outlives its CA', async (t) => {
  const now = new Date('2030-01-01T00:00:00Z');
  const root = await issueRootCa({ now, days: 10 });
  const intermediate = await issueIntermediateCa(asIssuer(root, 'root'), { now, days: 3650 });
  const leaf = await issueLeaf(asIssuer(intermediate, 'int'), { hostnames: ['short.example.test'], now, days: 397 });
  t.equal(intermediate.x509.validTo, root.x509.validTo);
  t.equal(leaf.x509.validTo, root.x509.validTo);
  t.equal(leaf.cutShortMs, 387 * 86400_000);
  t.equal(root.cutShortMs, 0);
  const later = new Date('2030-02-01T00:00:00Z');
  await t.rejects(issueLeaf(asIssuer(root, 'root/ca.key'), { hostnames: ['late.example.test'], now: later }), {
    code: 'CA_EXPIRED',
    subject: 'root/ca.key',
  });
});

t.test('clientAuth by default, left out with client: false; an IP given as --hostname becomes an IP entry', async (t) => {
  const dir = t.testdir();
  const root = await issueRootCa();
  // Deephaven services present their machine certificate as clients too.
  const leaf = await issueLeaf(asIssuer(root, 'root'), { hostnames: ['dh1.example.test', '192.0.2.7'], ips: ['192.0.2.7', '::ffff:192.0.2.8'] });
  const file = join(dir, 'leaf.crt');
  writeFileSync(file, leaf.certificatePem);
  const text = (await openssl(['x509', '-in', file, '-noout', '-text'])).stdout;
  t.equal(extensionText(text, 'Extended Key Usage'), 'TLS Web Server Authentication, TLS Web Client Authentication');
  t.equal(extensionText(text, 'Subject Alternative Name'), 'DNS:dh1.example.test, IP Address:192.0.2.7, IP Address:0:0:0:0:0:FFFF:C000:208');

  const serverOnly = await issueLeaf(asIssuer(root, 'root'), { hostnames: ['dh1.example.test'], client: false });
  writeFileSync(file, serverOnly.certificatePem);
  const serverText = (await openssl(['x509', '-in', file, '-noout', '-text'])).stdout;
  t.equal(extensionText(serverText, 'Extended Key Usage'), 'TLS Web Server Authentication');
});

t.test('a first hostname too long for the CN leaves the subject empty and the SAN critical', async (t) => {
  const dir = t.testdir();
  const root = await issueRootCa();
  const long = `${'a'.repeat(60)}.example.test`;
  const leaf = await issueLeaf(asIssuer(root, 'root'), { hostnames: [long] });
  const files = { root: join(dir, 'root.crt'), leaf: join(dir, 'leaf.crt') };
  writeFileSync(files.root, root.certificatePem);
  writeFileSync(files.leaf, leaf.certificatePem);
  const text = (await openssl(['x509', '-in', files.leaf, '-noout', '-text'])).stdout;
  t.match(text, /Subject: *\n/);
  t.equal(extensionText(text, 'Subject Alternative Name'), `critical DNS:${long}`);
  t.equal((await openssl(['verify', '-x509_strict', '-CAfile', files.root, files.leaf])).code, 0);
});

t.test('serial numbers are 16 positive bytes, never zero', async (t) => {
  for (let i = 0; i < 2000; i++) {
    const serial = randomSerialNumber();
    if (serial.length !== 16 || serial[0]! < 1 || serial[0]! > 0x7f) {
      t.fail(`bad serial ${serial.toString('hex')}`);
      return;
    }
  }
  t.pass('2000 serials checked');
});

t.test('an intermediate with pathlen:0 cannot sign another CA', async (t) => {
  const root = await issueRootCa();
  const intermediate = await issueIntermediateCa(asIssuer(root, 'root'));
  await t.rejects(issueIntermediateCa(asIssuer(intermediate, 'int/ca.key')), { code: 'CA_PATHLEN_ZERO', subject: 'int/ca.key' });
});

t.test("a CA made by openssl with an unusual Name: the issuer Name is copied byte for byte", async (t) => {
  const dir = t.testdir();
  const ca = { crt: join(dir, 'ca.crt'), key: join(dir, 'ca.key'), leaf: join(dir, 'leaf.crt') };
  // A multi-valued RDN and a PrintableString country: re-encoding it would reorder or retag it.
  const made = await openssl([
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', ca.key, '-out', ca.crt, '-days', '30',
    '-multivalue-rdn', '-subj', '/C=US/O=Example Corp/OU=Platform+CN=Odd Root',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  t.equal(made.code, 0, made.stderr);
  const source = await loadCaFromFiles(ca.crt, ca.key);
  const leaf = await issueLeaf({ certificateDer: source.certificate.der, privateKey: source.privateKey, label: ca.key }, {
    hostnames: ['odd.example.test'],
  });
  writeFileSync(ca.leaf, leaf.certificatePem);
  const verify = await openssl(['verify', '-x509_strict', '-CAfile', ca.crt, ca.leaf]);
  t.equal(verify.code, 0, verify.stderr);
  const issuer = (await openssl(['x509', '-in', ca.leaf, '-noout', '-issuer', '-nameopt', 'RFC2253'])).stdout;
  const subject = (await openssl(['x509', '-in', ca.crt, '-noout', '-subject', '-nameopt', 'RFC2253'])).stdout;
  t.equal(issuer.replace('issuer=', ''), subject.replace('subject=', ''));
});

t.test('CA loading refuses what cannot sign', async (t) => {
  const dir = t.testdir();
  const path = (name: string) => join(dir, name);
  const root = await issueRootCa();
  const other = await issueRootCa();
  const leaf = await issueLeaf(asIssuer(root, 'root'), { hostnames: ['leaf.example.test'] });
  writeFileSync(path('root.crt'), root.certificatePem);
  writeFileSync(path('root.key'), root.privateKeyPem, { mode: 0o600 });
  writeFileSync(path('other.key'), other.privateKeyPem, { mode: 0o600 });
  writeFileSync(path('leaf.crt'), leaf.certificatePem);
  writeFileSync(path('leaf.key'), leaf.privateKeyPem, { mode: 0o600 });
  writeFileSync(path('root.der'), root.certificateDer);

  await t.rejects(loadCaFromFiles(path('leaf.crt'), path('leaf.key')), { code: 'CA_NOT_CA' });
  await t.rejects(loadCaFromFiles(path('root.crt'), path('other.key')), { code: 'CA_KEY_MISMATCH' });
  await t.rejects(loadCaFromFiles(path('root.der'), path('root.key')), { code: 'CA_CERT_DER' });
  await t.rejects(loadCaFromFiles(path('root.crt'), path('root.crt')), { code: 'CA_KEY_MISSING' });
  await t.rejects(loadCaFromFiles(path('root.crt'), path('missing.key')), { code: 'FILE_MISSING' });
  const expired = await loadCaFromFiles(path('root.crt'), path('root.key'), new Date(Date.now() + 3651 * 86400_000)).catch((error) => error);
  t.match(expired, { code: 'CA_EXPIRED' });

  // The passphrase goes through a file: never on a command line, even in a test.
  writeFileSync(path('pass.txt'), 'secret-passphrase\n', { mode: 0o600 });
  const encrypted = await openssl(['pkey', '-in', path('root.key'), '-aes256', '-passout', `file:${path('pass.txt')}`, '-out', path('enc.key')]);
  t.equal(encrypted.code, 0, encrypted.stderr);
  const refusal = await loadCaFromFiles(path('root.crt'), path('enc.key')).catch((error: unknown) => error);
  t.match(refusal, { code: 'CA_KEY_ENCRYPTED' });
  t.notMatch(isDhError(refusal) ? refusal.oneLine() : '', /secret-passphrase|PRIVATE KEY/);

  const noCertSign = { crt: path('nocertsign.crt'), key: path('nocertsign.key') };
  const made = await openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', noCertSign.key,
    '-out', noCertSign.crt, '-days', '30', '-subj', '/CN=No Cert Sign',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,digitalSignature',
  ]);
  t.equal(made.code, 0, made.stderr);
  await t.rejects(loadCaFromFiles(noCertSign.crt, noCertSign.key), { code: 'CA_NO_KEY_CERT_SIGN' });

  const loaded = await loadCaFromFiles(path('root.crt'), path('root.key'));
  t.equal(loaded.root?.sha256, loaded.certificate.sha256, 'a self-signed CA is its own root');
  t.same(loaded.warnings, []);
});

t.test('hostname and IP validation', async (t) => {
  const good: [string[], string[], { dns: string[]; ip: string[]; first: string }][] = [
    [['dh1.example.test'], [], { dns: ['dh1.example.test'], ip: [], first: 'dh1.example.test' }],
    [['DH1.Example.TEST.'], [], { dns: ['dh1.example.test'], ip: [], first: 'dh1.example.test' }],
    [['*.example.test'], [], { dns: ['*.example.test'], ip: [], first: '*.example.test' }],
    [['localhost'], ['127.0.0.1', '::1'], { dns: ['localhost'], ip: ['127.0.0.1', '::1'], first: 'localhost' }],
    [['a-b.c-d.example'], [], { dns: ['a-b.c-d.example'], ip: [], first: 'a-b.c-d.example' }],
    [[`${'a'.repeat(63)}.example`], [], { dns: [`${'a'.repeat(63)}.example`], ip: [], first: `${'a'.repeat(63)}.example` }],
    [['x.example', 'X.example'], [], { dns: ['x.example'], ip: [], first: 'x.example' }],
    [['10.0.0.1'], ['10.0.0.1'], { dns: [], ip: ['10.0.0.1'], first: '10.0.0.1' }],
    [['h.example'], ['2001:0DB8:0:0:0:0:0:1', '::FFFF:10.0.0.1'], { dns: ['h.example'], ip: ['2001:db8::1', '::ffff:10.0.0.1'], first: 'h.example' }],
  ];
  for (const [hostnames, ips, expected] of good) {
    t.same(parseSubjectNames(hostnames, ips), expected, `${hostnames.join(' ')} ${ips.join(' ')}`);
  }

  const longName = Array.from({ length: 64 }, () => 'abc').join('.');
  const bad: [string[], string[], string, string][] = [
    [[], [], 'HOSTNAME_MISSING', '--hostname'],
    [[''], [], 'HOSTNAME_INVALID', '--hostname'],
    [['bad_name.example'], [], 'HOSTNAME_INVALID', '--hostname'],
    [['two words.example'], [], 'HOSTNAME_INVALID', '--hostname'],
    [['a..b.example'], [], 'HOSTNAME_INVALID', '--hostname'],
    [['-a.example'], [], 'HOSTNAME_INVALID', '--hostname'],
    [['a-.example'], [], 'HOSTNAME_INVALID', '--hostname'],
    [['*.com'], [], 'HOSTNAME_INVALID', '--hostname'],
    [['a.*.example'], [], 'HOSTNAME_INVALID', '--hostname'],
    [['*a.example.test'], [], 'HOSTNAME_INVALID', '--hostname'],
    [['*.*.example.test'], [], 'HOSTNAME_INVALID', '--hostname'],
    [[`${'a'.repeat(64)}.example`], [], 'HOSTNAME_INVALID', '--hostname'],
    [[longName], [], 'HOSTNAME_INVALID', '--hostname'],
    [['10.0.0'], [], 'HOSTNAME_INVALID', '--hostname'],
    [['a_b.example'], [], 'HOSTNAME_INVALID', '--hostname'],
    [['ok.example'], ['300.1.1.1'], 'IP_INVALID', '--ip'],
    [['ok.example'], ['fe80::1%eth0'], 'IP_INVALID', '--ip'],
    [['ok.example'], ['ok.example'], 'IP_INVALID', '--ip'],
    [['ok.example'], ['010.0.0.1'], 'IP_INVALID', '--ip'],
  ];
  for (const [hostnames, ips, code, flag] of bad) {
    let error: unknown;
    try {
      parseSubjectNames(hostnames, ips);
    } catch (caught) {
      error = caught;
    }
    const label = `${JSON.stringify(hostnames)} ${JSON.stringify(ips)}`;
    if (!isDhError(error)) {
      t.fail(`${label} was accepted`);
      continue;
    }
    t.equal(error.code, code, label);
    t.equal(error.exitCode, 2, `${label} is a usage error`);
    t.match(error.oneLine(), flag, `${label} names ${flag}`);
    t.notMatch(error.oneLine(), /\n/, `${label} is one line`);
  }
});

t.test('--days bounds', async (t) => {
  t.equal(checkDays('1'), 1);
  t.equal(checkDays('36500'), 36500);
  for (const bad of ['0', '-1', '1.5', 'ten', '', '36501']) {
    t.throws(() => checkDays(bad), { code: 'DAYS_INVALID' }, bad);
  }
});

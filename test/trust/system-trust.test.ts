import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toPem } from '../../src/pki/pem.js';
import { subjectHash } from '../../src/pki/subject-hash.js';
import { treeOf, type TreeEntry } from '../../src/trust/image-tree.js';
import { readCacerts } from '../../src/trust/java-cacerts.js';
import { readJksTrustedCertificates } from '../../src/trust/jks-read.js';
import { debianTrustLayer } from '../../src/trust/system-trust-debian.js';
import { rhelTrustLayer } from '../../src/trust/system-trust-rhel.js';
import { makeCa } from '../support/openssl.js';
import { dir, file, keytoolJks, link, poolOf, subjectHashOf } from '../support/trust-tree.js';

const keytoolList = (work: string, bytes: Buffer) => {
  const store = join(work, `list-${Date.now()}.p12`);
  writeFileSync(store, bytes);
  return execFileSync('keytool', ['-list', '-keystore', store, '-storepass', 'changeit'], { encoding: 'utf8' });
};

/** A Debian image's trust files as update-ca-certificates left them, for one OS CA "A". */
function debianTree(work: string): { entries: TreeEntry[]; osPem: string } {
  const os = makeCa(work, 'os-a', '/O=OS Vendor/CN=OS Root A');
  const osPem = readFileSync(os.cert, 'utf8');
  const hash = subjectHashOf(os.cert, work);
  return {
    osPem,
    entries: [
      file('/etc/ca-certificates.conf', '# comment\nmozilla/OS_Root_A.crt\n!mozilla/Gone.crt\nmozilla/Missing.crt\n'),
      dir('/usr/share/ca-certificates'),
      dir('/usr/share/ca-certificates/mozilla'),
      file('/usr/share/ca-certificates/mozilla/OS_Root_A.crt', osPem.trimEnd()),
      dir('/etc'),
      dir('/etc/ssl'),
      dir('/etc/ssl/certs'),
      link('/etc/ssl/certs/OS_Root_A.pem', '/usr/share/ca-certificates/mozilla/OS_Root_A.crt'),
      link(`/etc/ssl/certs/${hash}.0`, 'OS_Root_A.pem'),
      file('/etc/ssl/certs/ca-certificates.crt', osPem),
      dir('/etc/ssl/certs/java'),
      file('/etc/ssl/certs/java/cacerts', keytoolJks(work, [{ alias: 'debian:os_root_a.pem', pemFile: os.cert }])),
      dir('/etc/ca-certificates'),
      dir('/etc/ca-certificates/update.d'),
      file('/etc/ca-certificates/update.d/jks-keystore', '#!/bin/sh\n', 0o755),
      dir('/usr/local/share/ca-certificates'),
    ],
  };
}

t.test('subjectHash is OpenSSL\'s -subject_hash, strings canonicalised (case, white space, string types)', async (t) => {
  const work = t.testdir();
  const subjects = ['/CN=Plain', '/O=  Mixed   Case  Org /CN=UPPER lower', '/C=DE/O=Müller GmbH/CN=Ümlaut Root', '/DC=example/DC=test/CN=dc', '/CN=a+OU=multi valued'];
  for (const [index, subject] of subjects.entries()) {
    const ca = makeCa(work, `h${index}`, subject);
    const der = poolOf(work, [subject])[0]!.certificate;
    t.equal(subjectHash(der.subjectDer), subjectHashOf(ca.cert, work), subject);
  }
  // Debian's own CAs, when the host has them: 140-odd names written by many hands.
  const system = '/usr/share/ca-certificates/mozilla';
  const names = (() => {
    try {
      return execFileSync('ls', [system], { encoding: 'utf8' }).split('\n').filter(Boolean);
    } catch {
      return [];
    }
  })();
  let same = 0;
  for (const name of names) {
    const der = Buffer.from(readFileSync(join(system, name), 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const { parseCertificate } = await import('../../src/pki/certificate.js');
    if (subjectHash(parseCertificate(der).subjectDer) === subjectHashOf(join(system, name), work)) same++;
  }
  t.equal(same, names.length, `the host's ${names.length} system CAs hash as OpenSSL hashes them`);
});

t.test('the JKS reader reads what keytool writes, and refuses another password', async (t) => {
  const work = t.testdir();
  const a = makeCa(work, 'a', '/CN=JKS A');
  const b = makeCa(work, 'b', '/CN=JKS B');
  const jks = keytoolJks(work, [{ alias: 'debian:a.pem', pemFile: a.cert }, { alias: 'Debian:B.pem', pemFile: b.cert }]);
  const entries = readJksTrustedCertificates(jks, 'changeit');
  t.same(entries.map((entry) => entry.alias).sort(), ['debian:a.pem', 'debian:b.pem'], 'aliases as JKS stores them (lower case)');
  t.throws(() => readJksTrustedCertificates(jks, 'wrong'), /integrity digest/);
  t.same(readCacerts(jks), entries, 'readCacerts tells JKS by its magic');
  t.throws(() => readCacerts(Buffer.from('not a store'), '/etc/ssl/certs/java/cacerts'), { code: 'TRUST_CACERTS_UNREADABLE', subject: '/etc/ssl/certs/java/cacerts' }, 'an unreadable cacerts stops the build, naming the file');
});

t.test('Debian: the bundle, the links and cacerts update-ca-certificates would write', async (t) => {
  const work = t.testdir();
  const { entries, osPem } = debianTree(work);
  const cas = poolOf(work, ['/CN=Site Root B', '/CN=Site Root A']);
  const layer = debianTrustLayer(treeOf(entries), cas);
  t.equal(layer.family, 'debian');
  t.equal(layer.osCertificates, 1, 'the OS CA listed in the conf that exists');
  t.equal(layer.javaCacerts, '/etc/ssl/certs/java/cacerts');
  const byPath = new Map(layer.entries.map((entry) => [entry.path, entry]));
  const sorted = [...cas].sort((x, y) => (x.alias < y.alias ? -1 : 1));

  const bundle = byPath.get('/etc/ssl/certs/ca-certificates.crt')!;
  t.equal(bundle.mode, 0o644);
  const expected = `${osPem.trimEnd()}\n${sorted.map((entry) => toPem('CERTIFICATE', entry.certificate.der)).join('')}`;
  t.equal(bundle.content!.toString(), expected, 'conf order, a newline added where missing, then the local CAs sorted');

  for (const entry of cas) {
    const crt = `/usr/local/share/ca-certificates/dh-podman/${entry.alias}.crt`;
    t.equal(byPath.get(crt)?.mode, 0o644, `${crt}: the CA's own file`);
    t.same(byPath.get(`/etc/ssl/certs/${entry.alias}.pem`), { path: `/etc/ssl/certs/${entry.alias}.pem`, type: 'symlink', mode: 0o777, target: crt });
    const hash = subjectHash(entry.certificate.subjectDer);
    t.equal(byPath.get(`/etc/ssl/certs/${hash}.0`)?.target, `${entry.alias}.pem`, 'the subject-hash link names the .pem');
  }
  t.same(
    layer.entries.filter((entry) => entry.type === 'directory').map((entry) => [entry.path, entry.mode]),
    [['/etc', 0o755], ['/usr', 0o755], ['/etc/ssl', 0o755], ['/usr/local', 0o755], ['/etc/ssl/certs', 0o755], ['/usr/local/share', 0o755], ['/etc/ssl/certs/java', 0o755], ['/usr/local/share/ca-certificates', 0o755], ['/usr/local/share/ca-certificates/dh-podman', 0o755]],
    'parents first, with the image\'s modes',
  );

  const listing = keytoolList(work, byPath.get('/etc/ssl/certs/java/cacerts')!.content!);
  t.match(listing, /Keystore type: PKCS12/);
  t.match(listing, /contains 3 entries/);
  t.match(listing, /debian:os_root_a\.pem, .*trustedCertEntry/, 'the OS CA kept under its alias');
  for (const entry of cas) t.match(listing, new RegExp(`debian:${entry.alias}\\.pem, .*trustedCertEntry`), `${entry.alias} added as debian:<name>.pem`);

  // OpenSSL judges the hashed directory: materialise the layer's /etc/ssl/certs and verify.
  const certs = join(work, 'certs');
  mkdirSync(certs);
  writeFileSync(join(certs, 'OS_Root_A.pem'), osPem);
  for (const entry of layer.entries.filter((e) => e.path.startsWith('/etc/ssl/certs/') && e.type === 'symlink' && /^[0-9a-f]{8}\.\d+$/.test(e.path.split('/').pop()!))) {
    const name = entry.path.split('/').pop()!;
    const source = cas.find((ca) => `${ca.alias}.pem` === entry.target)!;
    writeFileSync(join(certs, entry.target!), toPem('CERTIFICATE', source.certificate.der));
    symlinkSync(entry.target!, join(certs, name));
  }
  for (const index of [0, 1]) {
    const verified = execFileSync('openssl', ['verify', '-no-CAfile', '-CApath', certs, join(work, `site-${index}.crt`)], { encoding: 'utf8' });
    t.match(verified, /: OK/, `openssl verify -CApath finds site CA ${index} by its hash link`);
  }
});

t.test('Debian: hash collisions take the next number, a duplicate gets no link, no Java hook no cacerts', async (t) => {
  const work = t.testdir();
  const { entries } = debianTree(work);
  // The same subject as the OS CA (another key): same hash, different certificate.
  const cas = poolOf(work, ['/O=OS Vendor/CN=OS Root A']);
  const tree = treeOf(entries.filter((entry) => entry.path !== '/etc/ca-certificates/update.d/jks-keystore'));
  const layer = debianTrustLayer(tree, cas);
  const hash = subjectHash(cas[0]!.certificate.subjectDer);
  t.ok(layer.entries.some((entry) => entry.path === `/etc/ssl/certs/${hash}.1`), 'the OS CA keeps .0, the site CA gets .1');
  t.equal(layer.javaCacerts, undefined, 'without ca-certificates-java\'s hook the OS tool leaves cacerts alone');
  t.notOk(layer.entries.some((entry) => entry.path.endsWith('/cacerts')));

  const osAsSite = poolOf(work, ['/CN=dup']);
  const withDuplicate = [...entries.filter((entry) => !/\/[0-9a-f]{8}\.0$/.test(entry.path)), link(`/etc/ssl/certs/${subjectHash(osAsSite[0]!.certificate.subjectDer)}.0`, 'Dup.pem'), file('/etc/ssl/certs/Dup.pem', readFileSync(join(work, 'site-0.crt')))];
  const again = debianTrustLayer(treeOf(withDuplicate), osAsSite);
  t.notOk(again.entries.some((entry) => /\/[0-9a-f]{8}\.\d+$/.test(entry.path)), 'a certificate already linked under its hash gets no second link (rehash skips duplicates)');
});

t.test('RHEL: anchors, the extracted bundles appended, directory-hash and cacerts', async (t) => {
  const work = t.testdir();
  const os = makeCa(work, 'os', '/CN=RHEL OS Root');
  const osPem = readFileSync(os.cert, 'utf8');
  const extracted = '/etc/pki/ca-trust/extracted';
  const tree = treeOf([
    dir('/etc/pki'),
    dir('/etc/pki/ca-trust'),
    dir('/etc/pki/ca-trust/source'),
    dir('/etc/pki/ca-trust/source/anchors'),
    dir(`${extracted}`),
    dir(`${extracted}/pem`),
    file(`${extracted}/pem/tls-ca-bundle.pem`, `# RHEL OS Root\n${osPem}`, 0o444),
    file(`${extracted}/pem/email-ca-bundle.pem`, `# RHEL OS Root\n${osPem}`, 0o444),
    file(`${extracted}/pem/objsign-ca-bundle.pem`, `# RHEL OS Root\n${osPem}`, 0o444),
    dir(`${extracted}/openssl`),
    file(`${extracted}/openssl/ca-bundle.trust.crt`, `# RHEL OS Root\n${osPem}`, 0o444),
    dir(`${extracted}/pem/directory-hash`),
    file(`${extracted}/pem/directory-hash/RHEL_OS_Root.pem`, osPem, 0o444),
    link(`${extracted}/pem/directory-hash/${subjectHashOf(os.cert, work)}.0`, 'RHEL_OS_Root.pem'),
    dir(`${extracted}/java`),
    file(`${extracted}/java/cacerts`, keytoolJks(work, [{ alias: 'rhel os root', pemFile: os.cert }]), 0o444),
  ]);
  const cas = poolOf(work, ['/CN=Site RHEL Root']);
  const layer = rhelTrustLayer(tree, cas);
  t.equal(layer.family, 'rhel');
  t.equal(layer.osCertificates, 1);
  const byPath = new Map(layer.entries.map((entry) => [entry.path, entry]));
  const site = cas[0]!;
  t.equal(byPath.get(`/etc/pki/ca-trust/source/anchors/${site.alias}.crt`)?.mode, 0o644, 'the anchor');
  const sitePem = readFileSync(join(work, 'site-0.crt'), 'utf8');
  for (const name of ['pem/tls-ca-bundle.pem', 'pem/email-ca-bundle.pem', 'pem/objsign-ca-bundle.pem', 'openssl/ca-bundle.trust.crt']) {
    const entry = byPath.get(`${extracted}/${name}`)!;
    t.equal(entry.content!.toString(), `# RHEL OS Root\n${osPem}# ${site.alias}\n${sitePem}`, `${name}: the OS CAs, then the site CA`);
    t.equal(entry.mode, 0o444, `${name}: the mode update-ca-trust gave it`);
  }
  t.equal(byPath.get(`${extracted}/pem/directory-hash/${subjectHash(site.certificate.subjectDer)}.0`)?.target, `${site.alias}.pem`);
  const listing = keytoolList(work, byPath.get(`${extracted}/java/cacerts`)!.content!);
  t.match(listing, /contains 2 entries/);
  t.match(listing, new RegExp(`${site.alias}, .*trustedCertEntry`));

  // The whole bundle as OpenSSL's CAfile trusts the site CA.
  const bundleFile = join(work, 'tls-ca-bundle.pem');
  writeFileSync(bundleFile, byPath.get(`${extracted}/pem/tls-ca-bundle.pem`)!.content!);
  t.match(execFileSync('openssl', ['verify', '-CAfile', bundleFile, join(work, 'site-0.crt')], { encoding: 'utf8' }), /: OK/);
});

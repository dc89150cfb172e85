import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificate } from '../../src/pki/certificate.js';
import { runCli } from '../support/cli.js';
import { makeCa, openssl } from '../support/openssl.js';

/**
 * RFC 5280 4.1.2.6 allows an empty subject when the SAN is critical; OpenSSL makes such
 * certificates (and, self-signed, ones whose issuer is empty too). They are parsed, shown with
 * an empty subject, and judged on their SAN like any other.
 */

const LEAF_EXTENSIONS = [
  'subjectAltName=critical,DNS:dh1.example.test',
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature',
  'extendedKeyUsage=serverAuth,clientAuth',
];

/** A TLS volume whose leaf has an empty subject, issued by a CA with a normal name. */
function emptySubjectVolume(dir: string): { volume: string; ca: string } {
  const volume = join(dir, 'empty-subject');
  mkdirSync(volume);
  const ca = makeCa(dir, 'ca', '/CN=Empty Subject Test CA');
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(volume, 'tls.key'), '-out', 'leaf.csr', '-subj', '/'], dir);
  writeFileSync(join(dir, 'leaf.ext'), `${LEAF_EXTENSIONS.join('\n')}\n`);
  openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '30', '-extfile', 'leaf.ext', '-out', join(volume, 'tls.crt')], dir);
  return { volume, ca: ca.cert };
}

/** A self-signed certificate with an empty subject and therefore an empty issuer. */
function emptyIssuerVolume(dir: string): string {
  const volume = join(dir, 'empty-issuer');
  mkdirSync(volume);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(volume, 'tls.key'), '-out', join(volume, 'tls.crt'), '-days', '30', '-subj', '/',
    ...LEAF_EXTENSIONS.flatMap((ext) => ['-addext', ext])], dir);
  return volume;
}

t.test('certificates with an empty subject or issuer parse', async (t) => {
  const dir = t.testdir();
  const { volume } = emptySubjectVolume(dir);
  const leaf = parseCertificate(new X509Certificate(readFileSync(join(volume, 'tls.crt'))).raw);
  t.equal(leaf.subject, '');
  t.equal(leaf.issuer, 'CN=Empty Subject Test CA');
  t.same(leaf.san?.dns, ['dh1.example.test']);
  t.equal(leaf.selfIssued, false);

  const selfSigned = parseCertificate(new X509Certificate(readFileSync(join(emptyIssuerVolume(dir), 'tls.crt'))).raw);
  t.equal(selfSigned.subject, '');
  t.equal(selfSigned.issuer, '');
  t.equal(selfSigned.selfIssued, true);
});

t.test('cert inspect shows an empty subject and issuer', async (t) => {
  const dir = t.testdir();
  const { volume } = emptySubjectVolume(dir);
  const json = await runCli(['cert', 'inspect', join(volume, 'tls.crt'), join(emptyIssuerVolume(dir), 'tls.crt'), '--json']);
  t.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout) as { files: { certificates: { subject: string; issuer: string; subjectAltName: { dns: string[] } }[] }[] };
  const [leaf, selfSigned] = report.files.map((file) => file.certificates[0]!);
  t.match(leaf, { subject: '', issuer: 'CN=Empty Subject Test CA', subjectAltName: { dns: ['dh1.example.test'] } });
  t.match(selfSigned, { subject: '', issuer: '' });

  const human = await runCli(['cert', 'inspect', join(volume, 'tls.crt')]);
  t.equal(human.code, 0, human.stderr);
  t.match(human.stdout, /Subject: +\(empty\)/);
  t.notMatch(human.stdout + human.stderr, /CERT_UNPARSABLE/);
});

t.test('cert check judges them on their SAN', async (t) => {
  const dir = t.testdir();
  const { volume, ca } = emptySubjectVolume(dir);
  const good = await runCli(['cert', 'check', '--hostname', 'dh1.example.test', '--tls-volume', volume, '--ca-cert-file', ca, '--json']);
  t.equal(good.code, 0, good.stdout + good.stderr);
  const findings = (JSON.parse(good.stdout) as { findings: { code: string; file: string; message: string }[] }).findings;
  // The 30-day test certificates only expire soon.
  t.same(findings.map((finding) => finding.code), ['CERT_EXPIRES_SOON', 'CERT_EXPIRES_SOON'], 'no other finding');
  t.match(findings[0]!.message, /^\(empty name\) expires in/, 'messages say the name is empty');

  const wrongHost = await runCli(['cert', 'check', '--hostname', 'other.example.test', '--tls-volume', volume, '--json']);
  t.not(wrongHost.code, 0);
  t.same((JSON.parse(wrongHost.stdout) as { findings: { code: string }[] }).findings.map((f) => f.code), ['SAN_HOST_MISMATCH', 'CERT_EXPIRES_SOON']);

  const selfSigned = await runCli(['cert', 'check', '--hostname', 'dh1.example.test', '--tls-volume', emptyIssuerVolume(dir), '--json']);
  t.equal(selfSigned.code, 0, selfSigned.stdout + selfSigned.stderr);
});

import t from 'tap';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { parseCertificate, type Certificate } from '../../src/pki/certificate.js';
import { extensionSyntaxProblem } from '../../src/pki/extension-syntax.js';

/**
 * The RFC 5280 extension syntaxes must hold for real certificates (every root Node trusts, every
 * certificate of x509-limbo's server cases that must validate) and catch the malformed values
 * x509-limbo has.
 */

interface LimboCase {
  id: string;
  expected_result: 'SUCCESS' | 'FAILURE';
  peer_certificate: string;
  untrusted_intermediates: string[];
  trusted_certs: string[];
}

const fixture = new URL('../../../test/fixtures/x509-limbo/server-dns.json', import.meta.url);
const cases = (JSON.parse(readFileSync(fixture, 'utf8')) as { testcases: LimboCase[] }).testcases;
const fromPem = (pem: string): Certificate => parseCertificate(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
const problemsOf = (cert: Certificate) => cert.extensions.flatMap((e) => extensionSyntaxProblem(e.oid, e.value)?.name ?? []);

t.test('well-formed extensions of real certificates pass', async (t) => {
  const roots = rootCertificates.map(fromPem);
  const limbo = cases.filter((c) => c.expected_result === 'SUCCESS').flatMap((c) => [c.peer_certificate, ...c.untrusted_intermediates, ...c.trusted_certs]).map(fromPem);
  const certs = [...roots, ...limbo];
  t.ok(certs.reduce((sum, cert) => sum + cert.extensions.length, 0) > 1000, 'more than a thousand extensions are judged');
  const flagged = certs.filter((cert) => problemsOf(cert).length > 0).map((cert) => `${cert.subject}: ${problemsOf(cert).join(', ')}`);
  t.same(flagged, [], 'no extension of them is called malformed');
});

t.test("x509-limbo's malformed extensions are caught", async (t) => {
  const expected: Record<string, string> = {
    'webpki::malformed-aia': 'authorityInfoAccess',
    'rfc5280::san::malformed': 'subjectAltName',
    'rfc5280::eku::ee-eku-empty': 'extKeyUsage',
  };
  for (const [id, name] of Object.entries(expected)) {
    const limbo = cases.find((c) => c.id === id);
    t.ok(limbo, `${id} is vendored`);
    t.same(problemsOf(fromPem(limbo!.peer_certificate)), [name], `${id}: the leaf's ${name} is malformed`);
  }
});

t.test('values against their syntax', async (t) => {
  const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');
  const cases: [string, string, string, boolean][] = [
    ['basicConstraints CA:TRUE, pathlen 0', '2.5.29.19', '30 06 01 01 ff 02 01 00', true],
    ['basicConstraints empty (CA:FALSE)', '2.5.29.19', '30 00', true],
    ['basicConstraints with the integer first', '2.5.29.19', '30 06 02 01 00 01 01 ff', false],
    ['authorityInfoAccess, one OCSP URI', '1.3.6.1.5.5.7.1.1', '30 19 30 17 06 08 2b 06 01 05 05 07 30 01 86 0b 68 74 74 70 3a 2f 2f 61 2e 62 63', true],
    ['authorityInfoAccess empty', '1.3.6.1.5.5.7.1.1', '30 00', false],
    ['subjectKeyIdentifier', '2.5.29.14', '04 02 ab cd', true],
    ['subjectKeyIdentifier with bytes after it', '2.5.29.14', '04 02 ab cd 00', false],
    ['keyUsage as an INTEGER', '2.5.29.15', '02 01 05', false],
    ['inhibitAnyPolicy 0', '2.5.29.54', '02 01 00', true],
    ['a private extension is nobody\'s syntax', '1.3.6.1.4.1.55555.1', '0c 03 61 62 63', true],
  ];
  for (const [what, oid, value, valid] of cases) t.equal(extensionSyntaxProblem(oid, hex(value)) === undefined, valid, what);
});

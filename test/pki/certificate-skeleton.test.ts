import t, { type Test } from 'tap';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import forge from 'node-forge';
import { parseCertificate } from '../../src/pki/certificate.js';
import { readSkeleton } from '../../src/pki/certificate-skeleton.js';
import { findSystemBundle } from '../../src/trust/sources.js';
import { makeCa } from '../support/openssl.js';

/**
 * parseCertificate reads subject, issuer, validity and basicConstraints from a DER walk instead
 * of node:crypto and node-forge (certificate-skeleton.ts). Over the host's CAs, the x509-limbo
 * corpus and names made to need escaping, what it gives must be exactly what node prints and
 * forge decodes.
 */

const PEM = /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g;
const ders = (pem: string) => [...pem.matchAll(PEM)].map((m) => Buffer.from(m[1]!, 'base64'));
const oneLine = (name: string | undefined) => (name ?? '').split('\n').filter(Boolean).join(', ');

/** basicConstraints as node-forge decodes the first such extension (the reader's earlier source). */
function forgeBasicConstraints(der: Buffer): { ca: boolean; pathLength: number | undefined } | undefined {
  const asn1 = forge.asn1;
  const cert = asn1.fromDer(forge.util.createBuffer(der.toString('binary')), false);
  const tbs = (cert.value as forge.asn1.Asn1[])[0]!.value as forge.asn1.Asn1[];
  const wrapper = tbs.find((f) => f.tagClass === asn1.Class.CONTEXT_SPECIFIC && f.type === 3);
  const fromAsn1 = (forge.pki as unknown as { certificateExtensionFromAsn1(ext: forge.asn1.Asn1): { id: string; cA?: boolean; pathLenConstraint?: number } }).certificateExtensionFromAsn1;
  for (const ext of ((wrapper?.value as forge.asn1.Asn1[] | undefined)?.[0]?.value ?? []) as forge.asn1.Asn1[]) {
    try {
      const decoded = fromAsn1(ext);
      if (decoded.id === '2.5.29.19') return { ca: decoded.cA === true, pathLength: typeof decoded.pathLenConstraint === 'number' ? decoded.pathLenConstraint : undefined };
    } catch {
      // undecodable: not counted, as in the reader
    }
  }
  return undefined;
}

function compare(t: Test, corpus: Buffer[], label: string): void {
  let mismatches = 0;
  let walked = 0;
  for (const der of corpus) {
    let node: X509Certificate;
    try {
      node = new X509Certificate(der);
    } catch {
      continue;
    }
    if (readSkeleton(der)) walked++;
    const cert = parseCertificate(der);
    const expected = {
      subject: oneLine(node.subject),
      issuer: oneLine(node.issuer),
      notBefore: new Date(node.validFrom).toISOString(),
      notAfter: new Date(node.validTo).toISOString(),
      basicConstraints: forgeBasicConstraints(der),
    };
    const actual = {
      subject: cert.subject,
      issuer: cert.issuer,
      notBefore: cert.notBefore.toISOString(),
      notAfter: cert.notAfter.toISOString(),
      basicConstraints: cert.basicConstraints,
    };
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      mismatches++;
      t.same(actual, expected, `${label}: ${expected.subject}`);
    }
  }
  t.equal(mismatches, 0, `${label}: ${corpus.length} certificates read as node and forge read them`);
  t.ok(walked > corpus.length * 0.9, `${label}: the fast path read ${walked} of ${corpus.length}`);
}

t.test('the host CA bundle', async (t) => {
  const bundle = await findSystemBundle();
  if (!bundle) throw new Error('no system CA bundle on this host (install ca-certificates)');
  compare(t, ders(readFileSync(bundle, 'utf8')), 'system');
});

t.test('the x509-limbo corpus', async (t) => {
  const limbo = JSON.parse(readFileSync(new URL('../../../test/fixtures/x509-limbo/server-dns.json', import.meta.url), 'utf8')) as {
    testcases: { trusted_certs: string[]; untrusted_intermediates: string[]; peer_certificate: string }[];
  };
  const pems = limbo.testcases.flatMap((c) => [...c.trusted_certs, ...c.untrusted_intermediates, c.peer_certificate]);
  compare(t, pems.flatMap(ders), 'limbo');
});

t.test('names that need escaping or that only node prints', async (t) => {
  const dir = t.testdir();
  const subjects = [
    '/CN=a!"#$%&\'()*\\,-.:;<=>?@[]^_`{|}~x',
    '/CN=a\\+b\\/c\\\\d',
    '/CN=#lead/O=trail /OU= both ',
    '/C=TR/O=E-Tuğra EBG Bilişim/CN=É ü',
    '/CN=multi+OU=valued',
    '/DC=example/UID=u1/emailAddress=ca@example.test/serialNumber=5/organizationIdentifier=VATDE-1',
    '/pseudonym=not in the short-name table/CN=x',
  ];
  const corpus = subjects.map((subject, i) => readFileSync(makeCa(dir, `ca${i}`, subject).cert, 'utf8')).flatMap(ders);
  compare(t, corpus, 'crafted');
  t.equal(readSkeleton(corpus[4]!)?.subject, undefined, 'a multi-valued RDN is left to node');
  t.equal(readSkeleton(corpus[6]!)?.subject, undefined, 'an attribute without a short name is left to node');
});

t.test('T61String names: ASCII read here, anything else left to node', async (t) => {
  const dir = t.testdir();
  // OpenSSL writes a UTF8String or PrintableString (by its string mask); the tag byte of the
  // value that starts with `prefix` becomes T61String (0x14), in subject and issuer alike.
  // Nothing here checks the signature, so the changed bytes still parse.
  const asTeletex = (der: Buffer, prefix: string): Buffer => {
    const out = Buffer.from(der);
    let replaced = 0;
    for (let at = out.indexOf(prefix); at >= 2; at = out.indexOf(prefix, at + 1)) {
      if (out[at - 2] === 0x0c || out[at - 2] === 0x13) {
        out[at - 2] = 0x14;
        replaced++;
      }
    }
    if (replaced !== 2) throw new Error(`expected the name twice, found it ${replaced} times`);
    return out;
  };
  const ascii = asTeletex(ders(readFileSync(makeCa(dir, 'ascii', '/CN=Teletex (c) 1999 incorp. by ref.').cert, 'utf8'))[0]!, 'Teletex ');
  // OpenSSL takes -subj as Latin-1 without -utf8, so this value holds bytes above 0x7f either way.
  const latin = asTeletex(ders(readFileSync(makeCa(dir, 'latin', '/CN=Teletex é').cert, 'utf8'))[0]!, 'Teletex ');
  compare(t, [ascii, latin], 'teletex');
  t.equal(readSkeleton(ascii)?.subject, 'CN=Teletex (c) 1999 incorp. by ref.', 'ASCII in a T61String is read by the walk');
  t.equal(readSkeleton(latin)?.subject, undefined, 'other bytes in a T61String are left to node');
});

t.test('bytes the walk does not read as strict DER go to node', async (t) => {
  const dir = t.testdir();
  const der = ders(readFileSync(makeCa(dir, 'ca', '/CN=BER length').cert, 'utf8'))[0]!;
  t.throws(() => parseCertificate(Buffer.from('not a certificate')), 'garbage still throws');
  t.throws(() => parseCertificate(der.subarray(0, der.length - 10)), 'a truncated certificate still throws');
  t.equal(readSkeleton(Buffer.concat([der, Buffer.from([0])])), undefined, 'trailing bytes are not the skeleton');
  t.equal(parseCertificate(der).subject, 'CN=BER length');
});

import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { internalIssuers } from '../../src/cluster/internal-trust.js';
import { parseCertificate, type Certificate } from '../../src/pki/certificate.js';
import { checkMachine } from '../../src/cluster/machine-plan.js';
import { makeCa, makeLeaf, makeVolume, openssl } from '../support/openssl.js';

const load = (file: string): Certificate => parseCertificate(Buffer.from(readFileSync(file, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64'));

t.test('internal trust is the direct issuers of the machines, deduplicated', async (t) => {
  const dir = t.testdir();
  const root = makeCa(dir, 'root', '/CN=internal root');
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'int.key', '-out', 'int.csr', '-subj', '/CN=internal intermediate'], dir);
  writeFileSync(join(dir, 'int.ext'), 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign\n');
  openssl(['x509', '-req', '-in', 'int.csr', '-CA', root.cert, '-CAkey', root.key, '-CAcreateserial', '-days', '30', '-extfile', 'int.ext', '-out', 'int.crt'], dir);
  const intermediate = { cert: join(dir, 'int.crt'), key: join(dir, 'int.key') };
  const a = load(makeLeaf(dir, 'a', intermediate, ['a.example.test']).cert);
  const b = load(makeLeaf(dir, 'b', intermediate, ['b.example.test']).cert);
  const c = load(makeLeaf(dir, 'c', root, ['c.example.test']).cert);
  const int = load(intermediate.cert);
  const rootCert = load(root.cert);

  const fromChains = internalIssuers([
    { file: 'a/tls.crt', chain: [a, int] },
    { file: 'b/tls.crt', chain: [b, int] },
  ]);
  t.same(fromChains.map((cert) => cert.subject), ['CN=internal intermediate'], 'the intermediate only, once; not the root');

  const leafOnly = internalIssuers([{ file: 'c/tls.crt', chain: [c] }], [int, rootCert]);
  t.same(leafOnly.map((cert) => cert.subject), ['CN=internal root'], 'a leaf-only chain finds its issuer among the CA files');

  t.throws(() => internalIssuers([{ file: 'c/tls.crt', chain: [c] }], [int]), { code: 'INTERNAL_CA_UNKNOWN', subject: 'c/tls.crt' });
});

t.test("a cluster machine's internal truststore holds its peers' issuers too", async (t) => {
  const dir = t.testdir();
  const old = makeCa(dir, 'old', '/CN=internal CA 2025');
  const next = makeCa(dir, 'next', '/CN=internal CA 2026');
  const a = makeVolume(dir, 'a', makeLeaf(dir, 'a', old, ['a.example.test']), [old.cert]);
  const b = makeVolume(dir, 'b', makeLeaf(dir, 'b', next, ['b.example.test']), [next.cert]);
  const request = {
    hostname: 'a.example.test',
    tlsVolume: a,
    name: 'a',
    image: 'unused',
    ports: [],
    network: 'unused',
    stateDir: join(dir, 'state'),
    envoy: { hostname: 'a.example.test' },
  };
  const internalPem = async (peers: string[]) => {
    const checked = await checkMachine({ ...request, peerTlsVolumes: peers });
    const file = checked.derived.files.find((f) => f.containerPath.endsWith('truststore-internal.pem'));
    return file ? file.content.toString('utf8') : '';
  };
  const subjects = (pem: string) => (pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).map((block) => load(writeTemp(dir, block)).subject).sort();

  t.same(subjects(await internalPem([])), ['CN=internal CA 2025'], 'alone: its own issuer only');
  t.same(subjects(await internalPem([b])), ['CN=internal CA 2025', 'CN=internal CA 2026'], "with its peer: the peer's issuer as well");
  await t.rejects(checkMachine({ ...request, peerTlsVolumes: [join(dir, 'missing')] }), { code: 'FILE_MISSING', subject: join(dir, 'missing', 'tls.crt') }, 'a peer without a certificate is named');
});

function writeTemp(dir: string, text: string): string {
  const file = join(dir, `block-${Math.random().toString(16).slice(2)}.pem`);
  writeFileSync(file, text);
  return file;
}

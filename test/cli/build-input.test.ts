import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { makeCa, makeLeaf, openssl } from '../support/openssl.js';

// A socket nobody serves: a command that reached the engine would fail with exit 4, so exit 3
// with the CA's code proves the check ran before any API call.
const noEngine = { CONTAINER_HOST: 'unix:///nonexistent/dh-podman-test.sock' };

t.test('bad --ca-cert-file inputs stop build before any API call', async (t) => {
  const dir = t.testdir();
  const ca = makeCa(dir, 'ca');
  makeLeaf(dir, 'leaf', ca, ['a.example.test']);
  writeFileSync(join(dir, 'with-key.pem'), readFileSync(ca.cert, 'utf8') + readFileSync(ca.key, 'utf8'));
  openssl(['x509', '-in', ca.cert, '-outform', 'der', '-out', 'ca.der'], dir);
  writeFileSync(join(dir, 'empty.pem'), '');
  writeFileSync(join(dir, 'garbage.pem'), 'not a certificate\n');
  const cases: [string, string][] = [
    ['with-key.pem', 'TRUST_PRIVATE_KEY'],
    ['leaf.crt', 'TRUST_LEAF'],
    ['ca.der', 'FILE_DER'],
    ['empty.pem', 'FILE_EMPTY'],
    ['garbage.pem', 'FILE_NOT_PEM'],
    ['missing.pem', 'FILE_MISSING'],
  ];
  for (const [file, code] of cases) {
    const result = await runCli(['build', '--ca-cert-file', join(dir, file), '--json'], { env: noEngine });
    t.equal(result.code, 3, `${file}: exit 3`);
    t.match(JSON.parse(result.stdout).findings.map((f: { code: string }) => f.code), [code], `${file}: ${code}`);
    t.notMatch(result.stdout + result.stderr, /BEGIN (EC )?PRIVATE KEY/, `${file}: no key material printed`);
  }
});

t.test('an unknown --only image is refused before any API call', async (t) => {
  const result = await runCli(['build', '--only', 'nope'], { env: noEngine });
  t.equal(result.code, 3);
  t.match(result.stderr, /no image "nope"/);
});

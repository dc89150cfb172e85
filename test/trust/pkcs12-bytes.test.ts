import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parsePemBlocks } from '../../src/pki/pem.js';
import { integer, oid } from '../../src/trust/der.js';
import { pkcs12Sha256Key } from '../../src/trust/pkcs12-kdf.js';
import { encodeTruststore } from '../../src/trust/pkcs12.js';
import { forgeKdf, forgeTruststore } from '../support/pkcs12-forge-reference.js';

/**
 * The truststore encoder writes DER from Buffers and derives the MAC key with node:crypto; these
 * tests hold it to the bytes of the forge-built encoder it replaced.
 */

const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

t.test('the PKCS#12 KDF gives forge\'s bytes', async (t) => {
  const cases: [string, Buffer, 1 | 2 | 3, number, number][] = [
    ['changeit', Buffer.from('00112233445566778899aabbccddeeff', 'hex'), 3, 10_000, 32],
    ['', randomBytes(16), 3, 1, 32],
    ['pässwörd ✓ 𝄞', randomBytes(8), 1, 3, 32],
    ['a longer password that takes more than one sixty-four byte block in UCS-2', randomBytes(70), 2, 2, 64],
    ['short key', randomBytes(20), 1, 5, 20],
    ['three blocks', randomBytes(16), 1, 7, 80],
  ];
  for (const [password, salt, id, iterations, size] of cases) {
    t.same(pkcs12Sha256Key(password, salt, id, iterations, size), forgeKdf(password, salt, id, iterations, size), `"${password}", ${salt.length}-byte salt, id ${id}, ${iterations} iterations, ${size} bytes`);
  }
  t.throws(() => pkcs12Sha256Key('x', randomBytes(16), 3, 0, 32), /at least 1 iteration/);
});

t.test('the PKCS#12 KDF gives OpenSSL\'s bytes', async (t) => {
  // From OpenSSL 3.0's own KDF, the password given as its BMPString with the terminator:
  // openssl kdf -keylen 32 -kdfopt digest:SHA2-256 -kdfopt hexpass:006300680061006e00670065006900740000
  //   -kdfopt hexsalt:00112233445566778899aabbccddeeff -kdfopt iter:10000 -kdfopt id:3 PKCS12KDF
  t.equal(
    pkcs12Sha256Key('changeit', Buffer.from('00112233445566778899aabbccddeeff', 'hex'), 3, 10_000, 32).toString('hex'),
    '7b68e2714053d9fbe49c57b8eea53d55a0bea48a4049e1e272a1c40d87aaef0b',
    'a truststore MAC key: "changeit", 10,000 iterations',
  );
  // Three 32-byte blocks: the second and third start from an input the first block changed (B.2 step 6c).
  t.equal(
    pkcs12Sha256Key('three blocks', Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'), 1, 7, 80).toString('hex'),
    '28c4b486228cb50ff394657e0172d98e2fe36f1796e9a46beefc48ee7f894af7d41d9aeea8f64f2fd4a63fa59b86cb21bd81bd0e0a87266a2dce59a3ef83be2cb253521d396098828ca45c393f443618',
    '80 bytes, id 1, 7 iterations',
  );
});

t.test('DER integers and OIDs', async (t) => {
  t.equal(integer(0).toString('hex'), '020100');
  t.equal(integer(3).toString('hex'), '020103');
  t.equal(integer(128).toString('hex'), '02020080');
  t.equal(integer(10_000).toString('hex'), '02022710');
  t.equal(oid('1.2.840.113549.1.7.1').toString('hex'), '06092a864886f70d010701');
  t.equal(oid('2.16.840.1.113894.746875.1.1').toString('hex'), '060c6086480186f966adca7b0101');
  t.equal(oid('2.5.29.37.0').toString('hex'), '0604551d2500');
});

t.test('truststores are byte for byte what the forge-built encoder wrote', async (t) => {
  const ders = parsePemBlocks(readFileSync(SYSTEM_BUNDLE, 'utf8')).map((block) => block.der);
  t.ok(ders.length > 100, 'the whole system bundle');
  const all = ders.map((der, i) => ({ alias: `ca-${i}-${createHash('sha256').update(der).digest('hex').slice(0, 8)}`, der }));
  const cases: [string, { alias: string; der: Buffer }[], string][] = [
    ['every system CA', all, 'changeit'],
    ['one CA', all.slice(0, 1), 'changeit'],
    ['no CA', [], 'changeit'],
    ['another password', all.slice(0, 5), 'not the default ✓'],
    ['a non-ASCII alias', [{ alias: 'wurzel-ä-ca', der: all[0]!.der }], 'changeit'],
  ];
  for (const [label, certificates, password] of cases) {
    t.same(encodeTruststore(certificates, password), forgeTruststore(certificates, password), label);
  }
  const salt = randomBytes(16);
  t.same(encodeTruststore(all.slice(0, 3), 'changeit', { macSalt: salt }), forgeTruststore(all.slice(0, 3), 'changeit', salt), 'a given MAC salt');
});

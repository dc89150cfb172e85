import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { hashRoundsWithNode } from '../../src/trust/pkcs12-kdf.js';
import { sha256Chain, sha256ChainAvailable } from '../../src/trust/sha256-chain.js';

/**
 * sha256-chain.ts hashes in WebAssembly emitted by hand; node:crypto is the reference for every
 * round count the KDF uses, and for digests whose words have the top bit set (signed i32s).
 */

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

function chainedWithNode(digest: Buffer, rounds: number): Buffer {
  let out = digest;
  for (let i = 0; i < rounds; i++) out = sha256(out);
  return out;
}

t.test('the module runs on this Node', async (t) => {
  t.ok(sha256ChainAvailable, 'WebAssembly is there (node without --jitless)');
});

t.test('SHA-256 of SHA-256 …, as node:crypto computes it', async (t) => {
  const digests = [sha256(Buffer.from('abc')), Buffer.alloc(32, 0xff), Buffer.alloc(32, 0), randomBytes(32), randomBytes(32)];
  for (const digest of digests) {
    for (const rounds of [0, 1, 2, 3, 64, 999, 10_000]) {
      t.same(sha256Chain(digest, rounds), chainedWithNode(digest, rounds), `${digest.toString('hex').slice(0, 8)}…, ${rounds} rounds`);
    }
  }
  // The FIPS 180-4 example: SHA-256("abc"), then once more over those 32 bytes.
  t.equal(sha256(Buffer.from('abc')).toString('hex'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  t.equal(sha256Chain(sha256(Buffer.from('abc')), 1).toString('hex'), sha256(Buffer.from('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'hex')).toString('hex'));
});

t.test('the input is left as it was', async (t) => {
  const digest = randomBytes(32);
  const copy = Buffer.from(digest);
  sha256Chain(digest, 5);
  t.same(digest, copy);
});

t.test('what it refuses', async (t) => {
  t.throws(() => sha256Chain(Buffer.alloc(31), 1), /32-byte/);
  t.throws(() => sha256Chain(Buffer.alloc(32), -1), /out of range/);
  t.throws(() => sha256Chain(Buffer.alloc(32), 1.5), /out of range/);
});

t.test('the KDF rounds are the same with and without WebAssembly', async (t) => {
  // pkcs12-kdf.ts falls back to one node:crypto call per round under node --jitless.
  for (const length of [128, 192, 256]) {
    const data = randomBytes(length);
    for (const rounds of [1, 2, 10_000]) {
      t.same(sha256Chain(sha256(data), rounds - 1), hashRoundsWithNode(data, rounds), `${length} bytes, ${rounds} rounds`);
    }
  }
});

import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { sha256Rounds } from '../../src/trust/sha256-rounds.js';

const chained = (digest: Buffer, rounds: number): Buffer => {
  let out = digest;
  for (let i = 0; i < rounds; i++) out = createHash('sha256').update(out).digest();
  return out;
};

t.test('the same bytes as node:crypto hashing the digest again and again', async (t) => {
  // All-zero and all-one words reach the carries and sign bits the 32-bit arithmetic must get right.
  const digests = [Buffer.alloc(32), Buffer.alloc(32, 0xff), Buffer.alloc(32, 0x80), ...Array.from({ length: 20 }, () => randomBytes(32))];
  for (const [index, digest] of digests.entries()) {
    for (const rounds of [1, 2, 3, 64]) {
      t.same(sha256Rounds(digest, rounds), chained(digest, rounds), `digest #${index}, ${rounds} round(s)`);
    }
  }
  const start = randomBytes(32);
  t.same(sha256Rounds(start, 10_000), chained(start, 10_000), 'the 10,000 rounds of a store');
});

t.test('zero rounds give the digest back, in a new Buffer; other lengths are refused', async (t) => {
  const digest = randomBytes(32);
  const out = sha256Rounds(digest, 0);
  t.same(out, digest);
  t.not(out, digest);
  t.throws(() => sha256Rounds(randomBytes(31), 1), /32-byte digest/);
});

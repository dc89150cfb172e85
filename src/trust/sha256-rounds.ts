/**
 * SHA-256 (FIPS 180-4) applied `rounds` times to a 32-byte digest: the inner loop of the
 * PKCS#12 KDF, 10,000 rounds per store. node:crypto has no call for an iterated hash, and each
 * crypto.hash call costs about a microsecond of binding and algorithm lookup around a
 * 32-byte compression, so the loop is written here: a 32-byte message is always one block
 * with the same padding, so each round is one compression and no buffers. In a fresh process
 * it takes about two thirds of the crypto.hash loop's CPU time, and once compiled a fifth.
 * test/trust/sha256-rounds.test.ts holds it to node:crypto.
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const H = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

/** SHA-256(SHA-256(…(digest))), `rounds` times; rounds 0 returns a copy of digest. */
export function sha256Rounds(digest: Buffer, rounds: number): Buffer {
  if (digest.length !== 32) throw new RangeError('sha256Rounds takes a 32-byte digest');
  const w = new Int32Array(64);
  for (let i = 0; i < 8; i++) w[i] = digest.readInt32BE(i * 4);
  // The padding of a 32-byte message: the 1 bit, zeros, and the length in bits (256).
  w[8] = 0x80000000 | 0;
  w[15] = 256;
  // One call per round rather than one loop: V8 compiles a function called often sooner than it
  // replaces a long-running loop, and a fresh process runs most of the rounds before that.
  for (let round = 0; round < rounds; round++) compress(w);
  const out = Buffer.allocUnsafe(32);
  for (let i = 0; i < 8; i++) out.writeInt32BE(w[i]!, i * 4);
  return out;
}

/** One compression of the block `w` holds (words 0–15), from the initial state; the digest replaces words 0–7. */
function compress(w: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = H[0]!, b = H[1]!, c = H[2]!, d = H[3]!, e = H[4]!, f = H[5]!, g = H[6]!, h = H[7]!;
  for (let i = 0; i < 64; i++) {
    const t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
    const t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  w[0] = (H[0]! + a) | 0;
  w[1] = (H[1]! + b) | 0;
  w[2] = (H[2]! + c) | 0;
  w[3] = (H[3]! + d) | 0;
  w[4] = (H[4]! + e) | 0;
  w[5] = (H[5]! + f) | 0;
  w[6] = (H[6]! + g) | 0;
  w[7] = (H[7]! + h) | 0;
}

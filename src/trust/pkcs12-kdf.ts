import * as crypto from 'node:crypto';

/**
 * The PKCS#12 key derivation (RFC 7292 appendix B.2) with SHA-256 (u = 32, v = 64 bytes), the
 * only hash these stores use. Replaces forge.pkcs12.generateKey, whose pure-JS SHA-256 over
 * binary strings was about half of a truststore's encoding time; the result is the same bytes.
 *
 * Every round is node:crypto's one-shot hash: for 32 bytes the call costs more than the
 * compression, but a SHA-256 of our own to save a few milliseconds is not worth keeping.
 */

/**
 * The digest as a 'binary' (latin1) string, one character per byte, not a Buffer: a Buffer
 * result is a fresh ArrayBuffer per call, and the 10,000 of them in a store's rounds cost more
 * in allocation and garbage collection than the hashing itself.
 */
const sha256Binary: (data: Buffer) => string =
  typeof crypto.hash === 'function' ? (data) => crypto.hash('sha256', data, 'binary') : (data) => crypto.createHash('sha256').update(data).digest('binary');

const U = 32;
const V = 64;

/** Purpose of the derived bytes (B.3): 1 key, 2 IV, 3 MAC key. */
export type Pkcs12KeyId = 1 | 2 | 3;

export function pkcs12Sha256Key(password: string, salt: Buffer, id: Pkcs12KeyId, iterations: number, size: number): Buffer {
  if (!(iterations >= 1)) throw new RangeError('PKCS#12 key derivation needs at least 1 iteration');
  // The password as a BMPString with its two-byte terminator (B.1).
  const pass = Buffer.from(`${password}\0`, 'utf16le').swap16();
  const diversifier = Buffer.alloc(V, id);
  const input = Buffer.concat([fill(salt, V * Math.ceil(salt.length / V)), fill(pass, V * Math.ceil(pass.length / V))]);
  const blocks: Buffer[] = [];
  for (let produced = 0; produced < size; produced += U) {
    const block = hashRounds(Buffer.concat([diversifier, input]), iterations);
    blocks.push(block);
    if (produced + U < size) addToEachBlock(input, fill(block, V));
  }
  return Buffer.concat(blocks).subarray(0, size);
}

/** H^rounds(data): each round hashes the previous digest, written over it in one 32-byte Buffer. */
function hashRounds(data: Buffer, rounds: number): Buffer {
  const block = Buffer.alloc(U);
  block.write(sha256Binary(data), 'binary');
  // crypto.hash reads its input before it returns, so the digest may overwrite the input.
  for (let round = 1; round < rounds; round++) block.write(sha256Binary(block), 'binary');
  return block;
}

/** Copies of `bytes` up to `length` bytes, the last one cut short. */
function fill(bytes: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0; offset < length && bytes.length > 0; offset += bytes.length) bytes.copy(out, offset);
  return out;
}

/** B.2 step 6c: every v-byte block I_j of `input` becomes (I_j + B + 1) mod 2^(8v), in place. */
function addToEachBlock(input: Buffer, b: Buffer): void {
  for (let start = 0; start < input.length; start += V) {
    let carry = 1;
    for (let i = V - 1; i >= 0; i--) {
      const sum = input[start + i]! + b[i]! + carry;
      input[start + i] = sum & 0xff;
      carry = sum >> 8;
    }
  }
}

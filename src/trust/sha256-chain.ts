/**
 * SHA-256 applied to its own 32-byte output, many times over: the inner loop of the PKCS#12 KDF
 * (pkcs12-kdf.ts), 10,000 rounds per store. node:crypto has no such call, and one
 * crypto.hash per round costs 2–3 µs in a CLI process, whose JavaScript (and node's argument
 * checks) runs interpreted: 25–30 ms of a `trust bundle` that should take about 100 ms. Here the
 * rounds run in a small WebAssembly module, one call for all of them. V8 first runs it from
 * Liftoff, its quick baseline compiler, then swaps the round function for an optimised one
 * after a few hundred calls: about 10 ms for 10,000 rounds from a cold start.
 *
 * The module is emitted below from named instructions rather than shipped as opaque bytes, so
 * what runs can be read here. test/trust/sha256-chain.test.ts checks it against node:crypto and
 * test/trust/pkcs12-bytes.test.ts against OpenSSL's PKCS#12 key derivation.
 */

/** FIPS 180-4 §4.2.2: the round constants. */
const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/** FIPS 180-4 §5.3.3: the initial hash value. */
const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/** Memory layout, in bytes: the digest as eight words, the constants, the message schedule. */
const STATE = 0;
const CONSTANTS = 64;
const SCHEDULE = CONSTANTS + 64 * 4;

/** The WebAssembly opcodes used (core specification §5.4). */
const OP = {
  block: 0x02,
  loop: 0x03,
  brIf: 0x0d,
  end: 0x0b,
  call: 0x10,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i32Store: 0x36,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32Ne: 0x47,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32And: 0x71,
  i32Xor: 0x73,
  i32ShrU: 0x76,
  i32Rotr: 0x78,
} as const;
const EMPTY_BLOCK = 0x40;
const I32 = 0x7f;
const FUNC_TYPE = 0x60;

/** LEB128, unsigned and signed (§5.2.2). */
function unsigned(value: number): number[] {
  const out: number[] = [];
  do {
    const byte = value & 0x7f;
    value >>>= 7;
    out.push(value === 0 ? byte : byte | 0x80);
  } while (value !== 0);
  return out;
}

function signed(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && !(byte & 0x40)) || (value === -1 && byte & 0x40)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

/** One function body's instructions, appended in order. */
class Code {
  readonly bytes: number[] = [];
  op(...opcodes: number[]): this {
    this.bytes.push(...opcodes);
    return this;
  }
  get(local: number): this {
    return this.op(OP.localGet, local);
  }
  set(local: number): this {
    return this.op(OP.localSet, local);
  }
  const(value: number): this {
    return this.op(OP.i32Const, ...signed(value | 0));
  }
  /** i32.load/store with 4-byte alignment and a constant offset added to the address on the stack. */
  load(offset: number): this {
    return this.op(OP.i32Load, 2, ...unsigned(offset));
  }
  store(offset: number): this {
    return this.op(OP.i32Store, 2, ...unsigned(offset));
  }
  /** rotr(x, a) ^ rotr(x, b) ^ (rotr or shr)(x, c): the four Σ and σ functions of §4.1.2. */
  sigma(local: number, a: number, b: number, c: number, lastShifts: boolean): this {
    this.get(local).const(a).op(OP.i32Rotr).get(local).const(b).op(OP.i32Rotr).op(OP.i32Xor);
    return this.get(local).const(c).op(lastShifts ? OP.i32ShrU : OP.i32Rotr).op(OP.i32Xor);
  }
  /** Adds 4 to `index` and loops back while it is not `end`. */
  nextWord(index: number, end: number): this {
    return this.get(index).const(4).op(OP.i32Add, OP.localTee, index).const(end).op(OP.i32Ne, OP.brIf, 0);
  }
}

/**
 * compress(): the digest at STATE becomes the SHA-256 of its own 32 bytes. The digest's words
 * are the message's first eight words as they are; the rest of the one block is the padding of
 * a 256-bit message (§5.1.1), the same every round.
 */
function compressBody(): number[] {
  const [a, b, c, d, e, f, g, h, index, t1, word] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const code = new Code();
  for (let i = 0; i < 8; i++) code.const(0).const(0).load(STATE + 4 * i).store(SCHEDULE + 4 * i);
  for (let i = 8; i < 16; i++) code.const(0).const(i === 8 ? 0x80000000 : i === 15 ? 256 : 0).store(SCHEDULE + 4 * i);
  // W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], for t = 16..63 (index = 4t).
  code.const(16 * 4).set(index).op(OP.loop, EMPTY_BLOCK).get(index);
  code.get(index).load(SCHEDULE - 2 * 4).set(word).sigma(word, 17, 19, 10, true);
  code.get(index).load(SCHEDULE - 7 * 4).op(OP.i32Add);
  code.get(index).load(SCHEDULE - 15 * 4).set(word).sigma(word, 7, 18, 3, true).op(OP.i32Add);
  code.get(index).load(SCHEDULE - 16 * 4).op(OP.i32Add).store(SCHEDULE).nextWord(index, 64 * 4).op(OP.end);
  H0.forEach((value, i) => code.const(value).set(a + i));
  code.const(0).set(index).op(OP.loop, EMPTY_BLOCK);
  // T1 = h + Σ1(e) + Ch(e, f, g) + K[t] + W[t]
  code.get(h).sigma(e, 6, 11, 25, false).op(OP.i32Add);
  code.get(e).get(f).op(OP.i32And).get(e).const(-1).op(OP.i32Xor).get(g).op(OP.i32And, OP.i32Xor, OP.i32Add);
  code.get(index).load(CONSTANTS).op(OP.i32Add).get(index).load(SCHEDULE).op(OP.i32Add).set(t1);
  // h = g, g = f, f = e, e = d + T1, d = c, c = b, b = a
  code.get(g).set(h).get(f).set(g).get(e).set(f).get(d).get(t1).op(OP.i32Add).set(e).get(c).set(d).get(b).set(c).get(a).set(b);
  // a = T1 + Σ0(a) + Maj(a, b, c), read from b, c, d where they now are
  code.get(t1).sigma(b, 2, 13, 22, false).op(OP.i32Add);
  code.get(b).get(c).op(OP.i32And).get(b).get(d).op(OP.i32And, OP.i32Xor).get(c).get(d).op(OP.i32And, OP.i32Xor, OP.i32Add).set(a);
  code.nextWord(index, 64 * 4).op(OP.end);
  H0.forEach((value, i) => code.const(0).const(value).get(a + i).op(OP.i32Add).store(STATE + 4 * i));
  return [1, 11, I32, ...code.op(OP.end).bytes];
}

/** rounds(n): compress() n times. A call per round lets V8 swap in the optimised compress. */
function roundsBody(): number[] {
  const n = 0;
  const code = new Code().op(OP.block, EMPTY_BLOCK).get(n).op(OP.i32Eqz, OP.brIf, 0, OP.loop, EMPTY_BLOCK, OP.call, 0);
  code.get(n).const(1).op(OP.i32Sub, OP.localTee, n, OP.brIf, 0, OP.end, OP.end, OP.end);
  return [0, ...code.bytes];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const section = (id: number, contents: number[]) => [id, ...unsigned(contents.length), ...contents];
  const name = (text: string) => [text.length, ...Array.from(text, (char) => char.charCodeAt(0))];
  const sized = (body: number[]) => [...unsigned(body.length), ...body];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    // types: 0 () → (), 1 (i32) → ()
    ...section(1, [2, FUNC_TYPE, 0, 0, FUNC_TYPE, 1, I32, 0]),
    // functions: 0 compress, 1 rounds
    ...section(3, [2, 0, 1]),
    // one page of memory, at least
    ...section(5, [1, 0, 1]),
    ...section(7, [2, ...name('memory'), 2, 0, ...name('rounds'), 0, 1]),
    ...section(10, [2, ...sized(compressBody()), ...sized(roundsBody())]),
  ]);
}

interface Chain {
  memory: DataView;
  rounds: (count: number) => void;
}

let chain: Chain | undefined;

function instance(): Chain {
  if (chain) return chain;
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()));
  const memory = new DataView((exports.memory as WebAssembly.Memory).buffer);
  K.forEach((value, i) => memory.setInt32(CONSTANTS + 4 * i, value, true));
  return (chain = { memory, rounds: exports.rounds as (count: number) => void });
}

/** Whether this Node can run the module: not under --jitless, which has no WebAssembly. */
export const sha256ChainAvailable = typeof WebAssembly === 'object';

/** SHA-256 applied `rounds` times to a 32-byte digest (0 rounds gives it back). */
export function sha256Chain(digest: Buffer, rounds: number): Buffer {
  if (digest.length !== 32) throw new RangeError('sha256Chain takes a 32-byte SHA-256 digest');
  if (!Number.isInteger(rounds) || rounds < 0 || rounds > 0x7fffffff) throw new RangeError(`sha256Chain rounds out of range: ${rounds}`);
  const { memory, rounds: run } = instance();
  // Big-endian words in, the module's (little-endian) i32s in memory, and back.
  for (let i = 0; i < 8; i++) memory.setInt32(STATE + 4 * i, digest.readInt32BE(4 * i), true);
  run(rounds);
  const out = Buffer.allocUnsafe(32);
  for (let i = 0; i < 8; i++) out.writeInt32BE(memory.getInt32(STATE + 4 * i, true), 4 * i);
  return out;
}

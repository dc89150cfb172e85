/**
 * One truststore from the host's CA bundle in a fresh process: the in-process steps of
 * `trust bundle --from system --out-p12` (import, read, pool, encode, write), each timed once,
 * as the CLI runs them, before V8 has optimised anything. bench/truststore runs it several
 * times; the loop there measures the same steps warmed. Argument: the output file.
 * Prints one JSON line: milliseconds per step and the CPU time of the whole.
 */
import { performance } from 'node:perf_hooks';

const [out] = process.argv.slice(2) as [string];
const started = performance.now();
const cpuStarted = process.cpuUsage();
const { writeFileIfChanged } = await import('../../src/base/atomic-write.js');
const { encodeTruststore } = await import('../../src/trust/pkcs12.js');
const { buildPool } = await import('../../src/trust/pool.js');
const { readSource } = await import('../../src/trust/sources.js');
const imported = performance.now();
const source = await readSource({ kind: 'system' });
const read = performance.now();
const pool = buildPool(source.contents ? [source.contents] : []);
const pooled = performance.now();
const bytes = encodeTruststore(pool.entries.map((e) => ({ alias: e.alias, der: e.certificate.der })), 'changeit');
const encoded = performance.now();
await writeFileIfChanged(out, bytes, 0o644);
const written = performance.now();
const cpu = process.cpuUsage(cpuStarted);
process.stdout.write(
  `${JSON.stringify({
    import: imported - started,
    read: read - imported,
    pool: pooled - read,
    encode: encoded - pooled,
    write: written - encoded,
    total: written - started,
    cpu: (cpu.user + cpu.system) / 1000,
  })}\n`,
);

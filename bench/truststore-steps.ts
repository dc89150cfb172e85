import { performance } from 'node:perf_hooks';
import { writeFileIfChanged } from '../src/base/atomic-write.js';
import { encodeTruststore } from '../src/trust/pkcs12.js';
import { buildPool } from '../src/trust/pool.js';
import { readSource } from '../src/trust/sources.js';

/** Milliseconds of each step of one truststore, and the CPU time of the whole. */
export interface TruststoreSteps {
  read: number;
  pool: number;
  encode: number;
  write: number;
  total: number;
  cpu: number;
  certificates: number;
}

/**
 * The in-process steps of `trust bundle --from system --out-p12 out`: the host's CA bundle read,
 * pooled, encoded as PKCS#12 and written, each timed. bench/truststore runs them warmed in a
 * loop and bench/floor/truststore-once.ts once in a fresh process.
 */
export async function timeTruststoreSteps(out: string): Promise<TruststoreSteps> {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const source = await readSource({ kind: 'system' });
  const read = performance.now();
  const pool = buildPool(source.contents ? [source.contents] : []);
  const pooled = performance.now();
  // Password-less, as `trust bundle` writes it without --password-file.
  const bytes = encodeTruststore(pool.entries.map((e) => ({ alias: e.alias, der: e.certificate.der })), undefined);
  const encoded = performance.now();
  await writeFileIfChanged(out, bytes, 0o644);
  const written = performance.now();
  const cpu = process.cpuUsage(cpuStarted);
  return {
    read: read - started,
    pool: pooled - read,
    encode: encoded - pooled,
    write: written - encoded,
    total: written - started,
    cpu: (cpu.user + cpu.system) / 1000,
    certificates: pool.entries.length,
  };
}

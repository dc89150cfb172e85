import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeFileIfChanged } from '../src/base/atomic-write.js';
import { encodeTruststore } from '../src/trust/pkcs12.js';
import { buildPool } from '../src/trust/pool.js';
import { findSystemBundle, readSource } from '../src/trust/sources.js';
import { median } from './support.js';

/**
 * A truststore from the host's whole CA bundle: dh-podman (read, pool, encode, write) against
 * the shell way that Java accepts, one `keytool -importcert` per CA, in the same run. The loop
 * runs over a sample and is scaled to the full count. Targets: under 0.5 s, at least 150×.
 */

export const name = 'truststore';

const RUNS = 5;
const SAMPLE = 10;

export async function run(log: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dh-podman-bench-truststore-'));
  const bundlePath = await findSystemBundle();
  if (!bundlePath) {
    log('skipped: no system CA bundle on this host');
    return;
  }
  const ours: number[] = [];
  let count = 0;
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const source = await readSource({ kind: 'system' });
    const pool = buildPool(source.contents ? [source.contents] : []);
    const bytes = encodeTruststore(pool.entries.map((e) => ({ alias: e.alias, der: e.certificate.der })), 'changeit');
    await writeFileIfChanged(join(dir, `ours-${i}.p12`), bytes, 0o644);
    ours.push(performance.now() - started);
    count = pool.entries.length;
  }
  const oursMedian = median(ours);

  const source = await readSource({ kind: 'system' });
  const sample = buildPool(source.contents ? [source.contents] : []).entries.slice(0, SAMPLE);
  const keystore = join(dir, 'keytool.p12');
  const started = performance.now();
  for (const entry of sample) {
    const pem = join(dir, `${entry.alias}.pem`);
    writeFileSync(pem, `-----BEGIN CERTIFICATE-----\n${entry.certificate.der.toString('base64')}\n-----END CERTIFICATE-----\n`);
    execFileSync('keytool', ['-importcert', '-noprompt', '-trustcacerts', '-storetype', 'PKCS12', '-alias', entry.alias, '-file', pem, '-keystore', keystore, '-storepass', 'changeit'], { stdio: 'ignore' });
  }
  const loopSample = performance.now() - started;
  const loopScaled = (loopSample / sample.length) * count;
  const ratio = loopScaled / oursMedian;

  const listing = execFileSync('keytool', ['-list', '-storetype', 'PKCS12', '-keystore', join(dir, 'ours-0.p12'), '-storepass', 'changeit'], { encoding: 'utf8' });
  const entries = listing.split('\n').filter((line) => line.includes('trustedCertEntry')).length;
  rmSync(dir, { recursive: true, force: true });

  log(`truststore from ${count} system CAs (${bundlePath}): dh-podman ${oursMedian.toFixed(0)} ms (median of ${RUNS}; target < 500 ms: ${oursMedian < 500 ? 'met' : 'MISSED'})`);
  log(`keytool -importcert loop: ${(loopSample / 1000).toFixed(1)} s for a ${sample.length}-CA sample, scaled to ${count} CAs: ${(loopScaled / 1000).toFixed(1)} s`);
  log(`ratio keytool loop / dh-podman: ${ratio.toFixed(0)}× (target ≥ 150×: ${ratio >= 150 ? 'met' : 'MISSED'})`);
  log(`keytool -list on dh-podman's store: ${entries} trustedCertEntry for ${count} CAs`);
}

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildPool } from '../src/trust/pool.js';
import { findSystemBundle, readSource } from '../src/trust/sources.js';
import { dhPodman, median, repoRoot, withoutExtraCaCerts } from './support.js';
import { timeTruststoreSteps } from './truststore-steps.js';

/**
 * A truststore from the host's whole CA bundle, three ways in the same run:
 * - in process: dh-podman's read, pool, encode and write. Target: ≤ 30 ms.
 * - in a fresh process: the same steps once each, as the CLI runs them, with nothing warmed by
 *   V8 (bench/floor/truststore-once.ts); what the loop above hides.
 * - end to end: `dh-podman trust bundle --from system --out-p12` against p11-kit's
 *   `trust extract --format=java-cacerts` (Debian's p11-kit package), which writes a Java store
 *   of the same CAs; interleaved so both see the same load. Target: ≤ 2×.
 * - the shell way that Java accepts, one `keytool -importcert` per CA, over a sample scaled to
 *   the full count. Target: at least 150× slower than in process.
 */

export const name = 'truststore';

const RUNS = 5;
const ROUNDS = 9;
const SAMPLE = 10;
const FRESH = 11;

export async function run(log: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dh-podman-bench-truststore-'));
  const bundlePath = await findSystemBundle();
  if (!bundlePath) {
    log('skipped: no system CA bundle on this host');
    return;
  }
  const ours: number[] = [];
  const cpu: number[] = [];
  const phases = { read: [] as number[], pool: [] as number[], encode: [] as number[], write: [] as number[] };
  let count = 0;
  for (let i = 0; i < RUNS; i++) {
    const steps = await timeTruststoreSteps(join(dir, `ours-${i}.p12`));
    ours.push(steps.total);
    cpu.push(steps.cpu);
    phases.read.push(steps.read);
    phases.pool.push(steps.pool);
    phases.encode.push(steps.encode);
    phases.write.push(steps.write);
    count = steps.certificates;
  }
  const oursMedian = median(ours);
  log(`truststore from ${count} system CAs (${bundlePath}), in process: ${oursMedian.toFixed(1)} ms (median of ${RUNS}; target ≤ 30 ms: ${oursMedian <= 30 ? 'met' : 'MISSED'})`);
  // CPU time is what the machine's other load inflates least; the target is for the wall time.
  log(`  CPU time ${median(cpu).toFixed(1)} ms (median of ${RUNS})`);
  log(`  of which ${Object.entries(phases).map(([phase, times]) => `${phase} ${median(times).toFixed(1)} ms`).join(', ')}`);

  freshProcess(dir, log);
  endToEnd(dir, log);

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

  log(`keytool -importcert loop: ${(loopSample / 1000).toFixed(1)} s for a ${sample.length}-CA sample, scaled to ${count} CAs: ${(loopScaled / 1000).toFixed(1)} s`);
  log(`ratio keytool loop / dh-podman: ${ratio.toFixed(0)}× (target ≥ 150×: ${ratio >= 150 ? 'met' : 'MISSED'})`);
  log(`keytool -list on dh-podman's store: ${entries} trustedCertEntry for ${count} CAs`);
}

/** The in-process steps once, in new processes: where the CLI's cold cost is, step by step. */
function freshProcess(dir: string, log: (line: string) => void): void {
  const runs: Record<string, number>[] = [];
  for (let i = 0; i < FRESH; i++) {
    const line = execFileSync(process.execPath, [join(repoRoot, 'dist/bench/floor/truststore-once.js'), join(dir, `fresh-${i}.p12`)], { encoding: 'utf8' });
    runs.push(JSON.parse(line) as Record<string, number>);
  }
  const at = (step: string) => median(runs.map((run) => run[step]!)).toFixed(1);
  log(`in a fresh process, once: ${at('total')} ms (CPU ${at('cpu')} ms), of which import ${at('import')}, read ${at('read')}, pool ${at('pool')}, encode ${at('encode')}, write ${at('write')} ms (medians of ${FRESH})`);
}

/** dh-podman as an operator runs it against p11-kit's `trust extract`, one after the other. */
function endToEnd(dir: string, log: (line: string) => void): void {
  const extract = (file: string) =>
    execFileSync('trust', ['extract', '--format=java-cacerts', '--filter=ca-anchors', '--purpose=server-auth', '--overwrite', file], { stdio: 'ignore' });
  try {
    // Installed like the tests' tools (as root, from the OS packages), so a fresh machine runs it too.
    execFileSync('bash', ['scripts/ensure-tools.sh', 'trust:p11-kit'], { cwd: repoRoot, stdio: 'ignore' });
    extract(join(dir, 'p11-kit.jks'));
  } catch {
    log("end to end: skipped, p11-kit's trust command is missing (apt-get install p11-kit)");
    return;
  }
  const ours: number[] = [];
  const theirs: number[] = [];
  const bare: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let started = performance.now();
    dhPodman('trust', 'bundle', '-q', '--from', 'system', '--out-p12', join(dir, `cli-${round}.p12`));
    ours.push(performance.now() - started);
    started = performance.now();
    extract(join(dir, `p11-kit-${round}.jks`));
    theirs.push(performance.now() - started);
    started = performance.now();
    execFileSync(process.execPath, ['-e', '0'], { stdio: 'ignore', env: withoutExtraCaCerts() });
    bare.push(performance.now() - started);
  }
  const a = median(ours);
  const b = median(theirs);
  const floor = median(bare);
  log(`dh-podman trust bundle --from system --out-p12: ${a.toFixed(0)} ms; p11-kit trust extract --format=java-cacerts: ${b.toFixed(0)} ms (medians of ${ROUNDS})`);
  log(`ratio dh-podman/p11-kit: ${(a / b).toFixed(2)}× (target ≤ 2×: ${a / b <= 2 ? 'met' : 'MISSED'})`);
  // What no Node CLI can go below: a process that loads nothing, started as scripts/dh-podman
  // starts Node (without NODE_EXTRA_CA_CERTS), in the same rounds.
  log(`node -e 0: ${floor.toFixed(0)} ms, ratio to p11-kit ${(floor / b).toFixed(2)}×; dh-podman above it: ${(a - floor).toFixed(0)} ms`);
}

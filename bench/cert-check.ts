import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { checkTlsVolume } from '../src/pki/check.js';
import { issueIntermediateCa, issueLeaf, issueRootCa, type Issued, type Issuer } from '../src/pki/issue.js';
import { median } from './support.js';

/**
 * Cost of `cert check` itself (reading the volume, parsing, building and validating the path,
 * the JVM rules), without process start: a 2-certificate tls.crt (leaf + intermediate) and a
 * 100-certificate one (the same two plus 98 unrelated CA certificates, the worst a pasted bundle
 * makes of path building). The 2-certificate volume is also timed with the final loopback
 * handshake `cert check` ends with, to show what share of the command that handshake is.
 */

export const name = 'cert-check';

const RUNS = 21;
const TWO_CERT_TARGET_MS = 50;

export async function run(log: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dh-bench-check-'));
  try {
    const root = await issueRootCa({ key: 'ecdsa-p256', commonName: 'bench root' });
    const intermediate = await issueIntermediateCa(issuerOf(root, 'bench root'), { key: 'ecdsa-p256', commonName: 'bench intermediate' });
    const leaf = await issueLeaf(issuerOf(intermediate, 'bench intermediate'), { key: 'ecdsa-p256', hostnames: ['dh1.bench.test'] });
    const spares: string[] = [];
    for (let i = 0; i < 98; i++) spares.push((await issueRootCa({ key: 'ecdsa-p256', commonName: `spare ${i}` })).certificatePem);
    writeFileSync(join(dir, 'ca.pem'), root.certificatePem);

    const small = volume(dir, 'two', [leaf.certificatePem, intermediate.certificatePem], leaf);
    const large = volume(dir, 'hundred', [leaf.certificatePem, intermediate.certificatePem, ...spares], leaf);
    const { rules: two, withHandshake } = await time(small, join(dir, 'ca.pem'));
    const { rules: hundred } = await time(large, join(dir, 'ca.pem'));
    log(`2-certificate chain: median ${two.toFixed(1)} ms over ${RUNS} runs (target < ${TWO_CERT_TARGET_MS} ms: ${two < TWO_CERT_TARGET_MS ? 'met' : 'MISSED'})`);
    log(`100-certificate chain: median ${hundred.toFixed(1)} ms over ${RUNS} runs`);
    const share = withHandshake > 0 ? (100 * Math.max(0, withHandshake - two)) / withHandshake : 0;
    log(`2-certificate chain with the final handshake: median ${withHandshake.toFixed(1)} ms over ${RUNS} runs; the handshake is ${share.toFixed(0)}% of it`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function issuerOf(issued: Issued, label: string): Issuer {
  return { certificateDer: issued.certificateDer, privateKey: issued.privateKey, label };
}

function volume(dir: string, name: string, certs: string[], leaf: Issued): string {
  const path = join(dir, name);
  mkdirSync(path);
  writeFileSync(join(path, 'tls.crt'), certs.join(''));
  writeFileSync(join(path, 'tls.key'), leaf.privateKeyPem, { mode: 0o600 });
  return path;
}

/**
 * Medians of the check without and with the final handshake. The two are timed in alternation,
 * so a machine busy with other work slows both alike and the handshake's share stays readable.
 */
async function time(tlsVolume: string, caCertFile: string): Promise<{ rules: number; withHandshake: number }> {
  const options = { hostname: 'dh1.bench.test', tlsVolume, caCertFile };
  const first = await checkTlsVolume({ ...options, handshake: true });
  if (!first.ok) throw new Error(`the benchmark volume does not pass: ${first.findings.map((f) => f.code).join(', ')}`);
  const rules: number[] = [];
  const withHandshake: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    for (const [handshake, samples] of [[false, rules], [true, withHandshake]] as const) {
      const start = performance.now();
      await checkTlsVolume({ ...options, handshake });
      samples.push(performance.now() - start);
    }
  }
  return { rules: median(rules), withHandshake: median(withHandshake) };
}

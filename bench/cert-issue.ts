import { performance } from 'node:perf_hooks';
import forge from 'node-forge';
import { issueLeaf, issueRootCa, type Issuer } from '../src/pki/issue.js';
import type { KeyAlgorithm } from '../src/pki/keys.js';

/**
 * Cost of one `cert issue` leaf (key generation + signing + PEM encoding) under one CA, and how
 * native key generation compares with node-forge's pure-JS RSA, which the project does not use.
 */

export const name = 'cert-issue';

const LEAVES = 100;
/** Pure-JS RSA-2048 takes seconds per key, so a small sample is enough to show the ratio. */
const FORGE_SAMPLE = 3;
const ECDSA_TARGET_MS = 2000;

export async function run(log: (line: string) => void): Promise<void> {
  const root = await issueRootCa({ key: 'ecdsa-p256' });
  const issuer: Issuer = { certificateDer: root.certificateDer, privateKey: root.privateKey, label: 'bench CA' };

  const ecdsa = await issueMany(issuer, 'ecdsa-p256');
  const verdict = ecdsa.total < ECDSA_TARGET_MS ? 'met' : 'MISSED';
  log(`ecdsa-p256 leaf (native): ${ms(ecdsa.perCert)} ms/cert; ${LEAVES} leaves: ${ms(ecdsa.total)} ms total (target < ${ECDSA_TARGET_MS} ms: ${verdict})`);

  const rsa = await issueMany(issuer, 'rsa-2048');
  log(`rsa-2048 leaf (native): ${ms(rsa.perCert)} ms/cert; ${LEAVES} leaves: ${ms(rsa.total)} ms total`);

  const forgeKeygen = forgePureJsRsaKeygen();
  log(
    `rsa-2048 leaf (native): ${ms(rsa.perCert)} ms/cert; ` +
      `forge pure-JS rsa-2048 keygen: ${ms(forgeKeygen)} ms/key (mean of a ${FORGE_SAMPLE}-key sample); ` +
      `ratio Y/X = ${(forgeKeygen / rsa.perCert).toFixed(1)}\u00d7`,
  );
}

async function issueMany(issuer: Issuer, key: KeyAlgorithm): Promise<{ total: number; perCert: number }> {
  // One untimed leaf first, so module loading and OpenSSL's first-use setup are not counted.
  await issueLeaf(issuer, { key, hostnames: ['warmup.bench.test'] });
  const start = performance.now();
  // One after another, as the CLI issues them: this is per-certificate latency, not throughput.
  for (let i = 0; i < LEAVES; i++) {
    const leaf = await issueLeaf(issuer, { key, hostnames: [`dh${i}.bench.test`], ips: ['10.0.0.1'] });
    if (!leaf.certificatePem || !leaf.privateKeyPem) throw new Error('empty PEM');
  }
  const total = performance.now() - start;
  return { total, perCert: total / LEAVES };
}

function forgePureJsRsaKeygen(): number {
  // Without this flag forge hands RSA key generation to node:crypto when it can, and the
  // comparison would measure native code twice.
  const options = (forge as unknown as { options: { usePureJavaScript: boolean } }).options;
  const previous = options.usePureJavaScript;
  options.usePureJavaScript = true;
  try {
    const start = performance.now();
    for (let i = 0; i < FORGE_SAMPLE; i++) forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
    return (performance.now() - start) / FORGE_SAMPLE;
  } finally {
    options.usePureJavaScript = previous;
  }
}

function ms(value: number): string {
  return value < 10 ? value.toFixed(2) : value.toFixed(0);
}

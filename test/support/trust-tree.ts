import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificate } from '../../src/pki/certificate.js';
import { parsePemBlocks } from '../../src/pki/pem.js';
import type { TreeEntry } from '../../src/trust/image-tree.js';
import { buildPool, type PoolEntry } from '../../src/trust/pool.js';
import { makeCa, openssl } from './openssl.js';

/** CAs made by OpenSSL's CLI, pooled as `build --ca-cert-file` pools them. */
export function poolOf(dir: string, subjects: string[]): PoolEntry[] {
  const certificates = subjects.map((subject, index) => {
    const ca = makeCa(dir, `site-${index}`, subject);
    return parseCertificate(parsePemBlocks(readFileSync(ca.cert, 'utf8'))[0]!.der);
  });
  return buildPool([{ name: 'cas.pem', certificates, holdsPrivateKey: false }]).entries;
}

export const file = (path: string, content: Buffer | string, mode = 0o644): TreeEntry => ({ path, type: 'file', mode, content: Buffer.from(content) });
export const link = (path: string, target: string): TreeEntry => ({ path, type: 'symlink', mode: 0o777, target });
export const dir = (path: string, mode = 0o755): TreeEntry => ({ path, type: 'directory', mode });

/** A JKS store made by the host's keytool, as Debian's ca-certificates-java writes cacerts. */
export function keytoolJks(work: string, entries: { alias: string; pemFile: string }[]): Buffer {
  const store = join(work, `cacerts-${process.pid}-${Date.now()}.jks`);
  for (const entry of entries) {
    execFileSync('keytool', ['-importcert', '-noprompt', '-storetype', 'JKS', '-keystore', store, '-storepass', 'changeit', '-alias', entry.alias, '-file', entry.pemFile], { stdio: 'ignore' });
  }
  const bytes = readFileSync(store);
  rmSync(store);
  return bytes;
}

export function subjectHashOf(pemFile: string, cwd: string): string {
  return openssl(['x509', '-in', pemFile, '-noout', '-subject_hash'], cwd).trim();
}

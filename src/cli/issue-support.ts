import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { inputError, isDhError, runtimeError, usageError } from '../base/errors.js';
import { pathExists, writeFileAtomic } from '../base/atomic-write.js';
import type { CaSource } from '../pki/ca-source.js';
import { formatFingerprint, parseCertificate } from '../pki/certificate.js';
import type { Issued } from '../pki/issue.js';
import type { Output } from './output.js';

/** File handling and summaries shared by `cert ca` and `cert issue` (their options: issue-options.ts). */

export interface PlannedWrite {
  path: string;
  data: string;
  mode: number;
}

/** Looks at every output before anything is generated or written, so a refusal changes nothing. */
export async function refuseExisting(outDir: string, paths: string[], force: boolean): Promise<void> {
  const dir = await stat(outDir).catch(() => undefined);
  if (dir && !dir.isDirectory()) {
    throw usageError('OUT_NOT_DIRECTORY', 'is not a directory', { subject: `--out ${outDir}`, fix: 'give a directory (it is created if missing)' });
  }
  if (force) return;
  const existing: string[] = [];
  for (const path of paths) if (await pathExists(path)) existing.push(path);
  if (existing.length > 0) {
    const others = existing.length > 1 ? ` (and ${existing.slice(1).join(', ')})` : '';
    // The outputs are part of the input: an occupied --out is refused like a bad flag value (3).
    throw inputError('FILE_EXISTS', `already exists${others}; nothing was written`, {
      subject: existing[0]!,
      fix: 'pass --force to replace it, or choose another --out directory',
    });
  }
}

export async function writeAll(writes: PlannedWrite[], force: boolean): Promise<void> {
  for (const write of writes) {
    try {
      await writeFileAtomic(write.path, write.data, { mode: write.mode, overwrite: force });
    } catch (error) {
      if (isDhError(error)) throw error;
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      throw runtimeError('WRITE_FAILED', `cannot be written (${code})`, {
        subject: write.path,
        fix: 'check that the directory is writable',
        cause: error,
      });
    }
  }
}

export function describeWrite(write: PlannedWrite): { path: string; mode: string } {
  return { path: resolve(write.path), mode: `0${write.mode.toString(8)}` };
}

/** What JSON output says about a certificate: identity and dates, never key material. */
export function summarise(issued: Issued) {
  const certificate = parseCertificate(issued.certificateDer);
  return {
    subject: certificate.subject,
    issuer: certificate.issuer,
    san: certificate.san ? { dns: certificate.san.dns, ip: certificate.san.ip } : null,
    serialNumber: certificate.serialNumber,
    notBefore: certificate.notBefore.toISOString(),
    notAfter: certificate.notAfter.toISOString(),
    sha256: formatFingerprint(certificate.sha256),
    publicKey: certificate.publicKey,
  };
}

export function describeHuman(role: string, issued: Issued): string[] {
  const summary = summarise(issued);
  const san = summary.san ? [...summary.san.dns.map((name) => `DNS:${name}`), ...summary.san.ip.map((ip) => `IP:${ip}`)] : [];
  return [
    `${role}: ${summary.subject || '(empty subject)'}`,
    ...(san.length > 0 ? [`  SAN: ${san.join(', ')}`] : []),
    `  valid until: ${summary.notAfter}`,
    `  sha256: ${summary.sha256}`,
  ];
}

/** Says so when the CA's own expiry, not --days, decided the end date (a day or more earlier). */
export function noteCutShort(output: Output, role: string, issued: Issued, ca: CaSource): void {
  if (issued.cutShortMs < 24 * 60 * 60 * 1000) return;
  output.info(`${role}: valid until ${new Date(issued.x509.validTo).toISOString()} only, when the CA in ${ca.certPath} expires`);
}

import { Option, type Command } from 'commander';
import { ExitCode } from '../../base/errors.js';
import type { ClusterCertificateFile } from '../../cluster/cluster-certificates.js';
import type { Finding } from '../../pki/findings.js';
import { DEFAULT_CLUSTER_FILE, openClusterFile } from '../cluster-view.js';
import type { ExpiryEntry, NotIssued } from '../expiry-view.js';
import { parseNonNegativeInt } from '../options.js';
import type { CommandContext } from '../program.js';
import { CLUSTER_STATE_DIR_HELP, STATE_DIR_FLAG } from '../state-dir-option.js';

interface ExpiryFlags {
  file?: string;
  warnDays: number;
  stateDir?: string;
}

export function registerCertExpiry(cert: Command, context: CommandContext): void {
  cert
    .command('expiry')
    .description('list every certificate of a cluster, soonest to expire first (reads files only, never Podman)')
    .option('-f, --file <file>', `the cluster file (default: ./${DEFAULT_CLUSTER_FILE})`)
    .addOption(new Option('--warn-days <n>', 'fail when a certificate expires within n days (0: only when expired)').default(30).argParser(parseNonNegativeInt))
    .option(STATE_DIR_FLAG, CLUSTER_STATE_DIR_HELP)
    .addHelpText(
      'after',
      `
Lists each pod's tls.crt (leaf, intermediates) and envoy.pem, the CA files the cluster file
names, and the cluster CA. Certificates up has not issued yet are listed as such.
Exit status: 0 none expires within --warn-days; 3 one has expired or will within --warn-days,
a file cannot be read, or the cluster file is invalid; 2 usage error.

Example (cron):
  dh-podman cert expiry -f /etc/dh-podman/dh-podman.yaml --warn-days 21 --quiet`,
    )
    .action(async (flags: ExpiryFlags, command: Command) => {
      const { expirySummary, renderExpiryTable } = await import('../expiry-view.js');
      const { renderFindings } = await import('../findings-view.js');
      const { clusterCertificateFiles } = await import('../../cluster/cluster-certificates.js');
      const output = context.output(command);
      // Expired certificates are what this command is for: list them, don't refuse the file.
      const opened = await openClusterFile(context, output, flags, { checkCertificates: false });
      if (!opened) return;
      const { spec, stateDir } = opened;
      const now = new Date();
      const entries: ExpiryEntry[] = [];
      const notIssued: NotIssued[] = [];
      const findings: Finding[] = [];
      for (const source of await clusterCertificateFiles(spec, stateDir)) {
        if (!source.issued) {
          notIssued.push({ owner: source.owner, file: source.file });
          continue;
        }
        const read = await readEntries(source, now, flags.warnDays);
        entries.push(...read.entries);
        findings.push(...read.findings);
      }
      // Stable sort: certificates expiring the same instant keep the cluster file's order.
      entries.sort((a, b) => Date.parse(a.notAfter) - Date.parse(b.notAfter));
      const expiring = entries.filter((entry) => entry.expiring).length;
      output.data({ ok: expiring === 0 && findings.length === 0, warnDays: flags.warnDays, certificates: entries, expiring, notIssued, findings });
      output.result(renderExpiryTable(entries, notIssued, output));
      if (findings.length > 0) output.essential(renderFindings(findings, output));
      if (expiring > 0) output.essential(expirySummary(entries, flags.warnDays));
      else output.result(expirySummary(entries, flags.warnDays));
      if (expiring > 0 || findings.length > 0) context.exit(ExitCode.invalidInput);
    });
}

const ROLES: Record<ClusterCertificateFile['role'], [first: string, rest: string]> = {
  tls: ['leaf', 'intermediate'],
  envoy: ['envoy', 'envoy intermediate'],
  ca: ['ca', 'ca'],
};

async function readEntries(source: ClusterCertificateFile, now: Date, warnDays: number): Promise<{ entries: ExpiryEntry[]; findings: Finding[] }> {
  const { formatFingerprint } = await import('../../pki/certificate.js');
  const { daysLeft, expiresWithin } = await import('../../pki/expiry.js');
  const { loadPemFile } = await import('../../pki/material.js');
  const { errorFinding } = await import('../../pki/findings.js');
  // Only looking, as `cert inspect` does, so a DER CA file is read rather than refused.
  const loaded = await loadPemFile(source.file, source.file, { acceptDer: true });
  if (!loaded.material) return { entries: [], findings: loaded.findings };
  const { certificates } = loaded.material;
  if (certificates.length === 0) {
    return { entries: [], findings: [...loaded.findings, errorFinding('CERT_MISSING', source.file, 'holds no CERTIFICATE block', 'put the certificates back, or fix the path in the cluster file')] };
  }
  const entries = certificates.map((cert, index) => {
    const days = daysLeft(cert, now);
    return {
      owner: source.owner,
      role: ROLES[source.role][index === 0 ? 0 : 1],
      file: source.file,
      subject: cert.subject,
      issuer: cert.issuer,
      notAfter: cert.notAfter.toISOString(),
      daysLeft: days,
      sha256Fingerprint: formatFingerprint(cert.sha256),
      expiring: expiresWithin(days, warnDays),
    };
  });
  return { entries, findings: loaded.findings };
}

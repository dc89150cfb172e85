import type { Output } from './output.js';

/** One certificate as `cert expiry` reports it; the same object is the --json entry. */
export interface ExpiryEntry {
  /** The pod's name, or the cluster file key the CA file comes from. */
  owner: string;
  /** leaf, intermediate, envoy, envoy intermediate, or ca. */
  role: string;
  file: string;
  subject: string;
  issuer: string;
  notAfter: string;
  daysLeft: number;
  sha256Fingerprint: string;
  /** Expired, or fewer than --warn-days whole days left. */
  expiring: boolean;
}

export interface NotIssued {
  owner: string;
  file: string;
}

export function whereOf(entry: { owner: string; role: string }): string {
  return entry.role === 'ca' ? entry.owner : `${entry.owner} ${entry.role}`;
}

/**
 * A compact table, soonest first. The fingerprint is cut to 16 hex digits, enough to tell
 * certificates apart by eye; --json carries the whole one.
 */
export function renderExpiryTable(entries: ExpiryEntry[], notIssued: NotIssued[], output: Output): string {
  const header = ['DAYS', 'NOT AFTER', 'WHERE', 'SUBJECT', 'ISSUER', 'SHA-256', 'FILE'];
  const rows = [
    ...entries.map((e) => [String(e.daysLeft), e.notAfter, whereOf(e), e.subject || '(empty)', e.issuer || '(empty)', e.sha256Fingerprint.replace(/:/g, '').slice(0, 16), e.file]),
    ...notIssued.map((n) => ['-', 'not issued yet', `${n.owner} leaf`, '', '', '', n.file]),
  ];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padStart(widths[0]!) : column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ');
  const lines = [output.style('bold', line(header))];
  rows.forEach((row, index) => {
    const entry = entries[index];
    const text = line(row);
    // Painted after padding: escape codes would throw the column widths off.
    lines.push(entry === undefined || !entry.expiring ? text : output.style(entry.daysLeft < 0 ? 'red' : 'yellow', text));
  });
  return lines.join('\n');
}

/** The one line a monitor mails: how many, and the soonest by name. */
export function expirySummary(entries: ExpiryEntry[], warnDays: number): string {
  const expiring = entries.filter((e) => e.expiring);
  const soonest = expiring[0];
  if (!soonest) return `${entries.length} certificate(s); none expires within ${warnDays} day(s)`;
  const when = soonest.daysLeft < 0 ? `expired ${-soonest.daysLeft} day(s) ago` : `expires in ${soonest.daysLeft} day(s)`;
  return `${expiring.length} of ${entries.length} certificate(s) expired or expire within ${warnDays} day(s); soonest: ${whereOf(soonest)} "${soonest.subject}" ${when}, on ${soonest.notAfter} (${soonest.file})`;
}

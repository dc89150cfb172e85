import { formatFingerprint, isCA, type Certificate } from './certificate.js';

/** What `cert inspect` shows of a certificate; the same object is the --json output. */
export interface CertificateDescription {
  subject: string;
  issuer: string;
  serialNumber: string;
  selfSigned: boolean;
  subjectAltName: { dns: string[]; ip: string[]; email: string[]; uri: string[] } | null;
  keyUsage: string[] | null;
  extendedKeyUsage: string[] | null;
  ca: boolean;
  pathLength: number | null;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  publicKey: { type: string; bits: number | null; curve: string | null };
  sha256Fingerprint: string;
}

export function describeCertificate(cert: Certificate, now = new Date()): CertificateDescription {
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    selfSigned: cert.selfIssued && cert.x509.verify(cert.x509.publicKey),
    // The forms `cert inspect` shows; other GeneralName tags are kept for name constraints only.
    subjectAltName: cert.san ? { dns: cert.san.dns, ip: cert.san.ip, email: cert.san.email, uri: cert.san.uri } : null,
    keyUsage: cert.keyUsage ?? null,
    extendedKeyUsage: cert.extKeyUsage ?? null,
    ca: isCA(cert),
    pathLength: cert.basicConstraints?.pathLength ?? null,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    daysLeft: Math.floor((cert.notAfter.getTime() - now.getTime()) / 86_400_000),
    publicKey: { type: cert.publicKey.type, bits: cert.publicKey.bits ?? null, curve: cert.publicKey.curve ?? null },
    sha256Fingerprint: formatFingerprint(cert.sha256),
  };
}

/** The human form: aligned "field: value" lines, absent extensions said plainly. */
export function formatDescription(d: CertificateDescription): string {
  const san = d.subjectAltName
    ? [...d.subjectAltName.dns.map((n) => `DNS:${n}`), ...d.subjectAltName.ip.map((n) => `IP:${n}`), ...d.subjectAltName.email.map((n) => `email:${n}`), ...d.subjectAltName.uri.map((n) => `URI:${n}`)].join(', ')
    : '(none)';
  const key = [d.publicKey.type, d.publicKey.curve ?? (d.publicKey.bits ? `${d.publicKey.bits} bits` : null)].filter(Boolean).join(' ');
  const validity =
    d.daysLeft < 0 ? `expired ${-d.daysLeft} day(s) ago` : `${d.daysLeft} day(s) left`;
  const rows: [string, string][] = [
    ['Subject', d.subject || '(empty)'],
    ['Issuer', (d.issuer || '(empty)') + (d.selfSigned ? ' (self-signed)' : '')],
    ['Serial', d.serialNumber],
    ['SAN', san],
    ['Key usage', d.keyUsage ? d.keyUsage.join(', ') || '(empty)' : '(not present)'],
    ['Ext. key usage', d.extendedKeyUsage ? d.extendedKeyUsage.join(', ') : '(not present)'],
    ['CA', d.ca ? `yes${d.pathLength === null ? '' : `, path length ${d.pathLength}`}` : 'no'],
    ['Not before', d.notBefore],
    ['Not after', `${d.notAfter} (${validity})`],
    ['Public key', key],
    ['SHA-256', d.sha256Fingerprint],
  ];
  return rows.map(([name, value]) => `  ${`${name}:`.padEnd(16)}${value}`).join('\n');
}

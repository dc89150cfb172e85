import { isCA, type Certificate } from '../pki/certificate.js';
import { errorFinding, warningFinding, type Finding } from '../pki/findings.js';
import type { TrustCode } from './codes.js';
import type { SourceContents } from './sources.js';

/** One trusted certificate, once, however many sources named it. */
export interface PoolEntry {
  certificate: Certificate;
  alias: string;
  sources: string[];
}

export interface Pool {
  entries: PoolEntry[];
  findings: Finding<TrustCode>[];
  /** How many certificates the sources held before duplicates collapsed. */
  read: number;
}

export interface PoolOptions {
  allowLeaf?: boolean;
  now?: Date;
  /** Errors were already reported for the sources (a file unreadable): an empty pool is no news. */
  sourcesFailed?: boolean;
}

/**
 * Pools the certificates of every source: deduplicated by SHA-256 of the DER, checked, and
 * sorted so that the same inputs always give the same order (and so the same bytes out).
 * Every problem of every source is collected before anything is refused.
 */
export function buildPool(sources: SourceContents[], options: PoolOptions = {}): Pool {
  const now = options.now ?? new Date();
  const findings: Finding<TrustCode>[] = [];
  const bySha = new Map<string, PoolEntry>();
  let read = 0;

  for (const source of sources) {
    if (source.holdsPrivateKey) {
      findings.push(
        errorFinding<TrustCode>('TRUST_PRIVATE_KEY', source.name, 'holds a private key', 'remove the PRIVATE KEY block; a trust bundle holds certificates only'),
      );
    }
    for (const certificate of source.certificates) {
      read++;
      const existing = bySha.get(certificate.sha256);
      if (existing) {
        if (!existing.sources.includes(source.name)) existing.sources.push(source.name);
        continue;
      }
      bySha.set(certificate.sha256, { certificate, alias: aliasFor(certificate), sources: [source.name] });
      findings.push(...checkCertificate(certificate, source.name, options.allowLeaf === true, now));
    }
  }
  const entries = [...bySha.values()].sort(compareEntries);
  if (entries.length === 0 && !options.sourcesFailed && !findings.some((f) => f.severity === 'error')) {
    findings.push(errorFinding<TrustCode>('TRUST_EMPTY', sources.map((s) => s.name).join(', ') || '(no source)', 'hold no certificate', 'add a --from source with CA certificates'));
  }
  return { entries, findings, read };
}

function checkCertificate(cert: Certificate, source: string, allowLeaf: boolean, now: Date): Finding<TrustCode>[] {
  const findings: Finding<TrustCode>[] = [];
  const name = `"${cert.subject}"`;
  if (!isCA(cert)) {
    const message = `${name} is not a CA certificate; trusting a leaf pins that one server`;
    findings.push(
      allowLeaf
        ? warningFinding<TrustCode>('TRUST_LEAF', source, message, 'trust its issuing CA instead')
        : errorFinding<TrustCode>('TRUST_LEAF', source, message, 'trust its issuing CA instead, or pass --allow-leaf if pinning is intended'),
    );
  } else if (!cert.selfIssued) {
    findings.push(
      warningFinding<TrustCode>('TRUST_INTERMEDIATE', source, `${name} is an intermediate CA (issued by "${cert.issuer}")`, 'trust the root CA, unless trusting only this branch is intended'),
    );
  }
  if (cert.notAfter.getTime() < now.getTime()) {
    findings.push(warningFinding<TrustCode>('TRUST_EXPIRED', source, `${name} expired on ${cert.notAfter.toISOString()}`, 'remove it, or replace it with its renewed certificate'));
  }
  return findings;
}

/**
 * Readable in `keytool -list` and stable: the subject's common name (or organisation), then a
 * short SHA-256 prefix so two CAs of one name never collide. keytool lower-cases aliases anyway.
 */
export function aliasFor(cert: Certificate): string {
  const attributes = cert.subject.split(', ');
  const label = hyphenated(decomposed((valueOf(attributes, 'CN=') ?? valueOf(attributes, 'OU=') ?? valueOf(attributes, 'O=') ?? 'ca').toLowerCase())).slice(0, 48);
  return `${label || 'ca'}-${cert.sha256.slice(0, 8)}`;
}

/**
 * Each run of characters other than a-z and 0-9 as one hyphen, none at either end. A loop, not
 * the two regular expressions it replaces: a command makes its ~150 aliases in one cold pass,
 * where compiling and first running those was 1 to 4 ms.
 */
function hyphenated(text: string): string {
  let out = '';
  let separated = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39)) {
      if (separated && out.length > 0) out += '-';
      separated = false;
      out += text[i];
    } else {
      separated = true;
    }
  }
  return out;
}

/** The value of the first attribute ("CN=value") with that prefix. */
function valueOf(attributes: string[], prefix: string): string | undefined {
  for (const attribute of attributes) if (attribute.startsWith(prefix)) return attribute.slice(prefix.length);
  return undefined;
}

/**
 * NFKD, so "é" keeps its "e". An ASCII name is its own decomposition, and asking ICU for it
 * anyway was most of an alias's cost in a process that makes them once.
 */
function decomposed(text: string): string {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return text.normalize('NFKD');
  return text;
}

function compareEntries(a: PoolEntry, b: PoolEntry): number {
  return a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0;
}

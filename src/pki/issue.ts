import type { KeyObject, X509Certificate } from 'node:crypto';
import { inputError, usageError } from '../base/errors.js';
import { parseCertificate } from './certificate.js';
import { ipToBytes, isIP, normaliseHost } from './hostname.js';
import { DEFAULT_KEY_ALGORITHM, generateKey, isRsaKey, privateKeyToPem, type KeyAlgorithm } from './keys.js';
import { toPem } from './pem.js';
import { checkDays, DEFAULT_CA_DAYS, DEFAULT_LEAF_DAYS } from './validity-days.js';

export { checkDays, DEFAULT_CA_DAYS, DEFAULT_LEAF_DAYS, MAX_DAYS } from './validity-days.js';
import {
  authorityKeyIdentifier,
  basicConstraints,
  encodeName,
  extendedKeyUsage,
  keyIdentifier,
  keyUsage,
  randomSerialNumber,
  signCertificate,
  subjectAltName,
  subjectKeyIdentifier,
  subjectKeyIdentifierOf,
  subjectNameOf,
  type Extension,
  type NameAttribute,
} from './x509-builder.js';

/**
 * What `cert ca` and `cert issue` create: a root CA, an intermediate under a CA, and server leaves
 * with the extensions TLS clients and the `cert check` rules expect. No file I/O happens here.
 */

export const DEFAULT_ROOT_CN = 'dh-podman CA';
export const DEFAULT_INTERMEDIATE_CN = 'dh-podman Intermediate CA';
const ORGANIZATION = 'dh-podman';
/** Containers' clocks disagree by a little; a leaf must not be "not yet valid" on a slow one. */
const BACKDATE_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** ub-common-name, RFC 5280 appendix A. */
const MAX_CN_LENGTH = 64;

export interface Issued {
  certificatePem: string;
  certificateDer: Buffer;
  privateKeyPem: string;
  privateKey: KeyObject;
  x509: X509Certificate;
  /** How much earlier than --days asked the certificate ends, because its CA expires first. */
  cutShortMs: number;
}

/** The CA that signs: its certificate (for the issuer Name and key identifier) and its key. */
export interface Issuer {
  certificateDer: Buffer;
  privateKey: KeyObject;
  /** Names the CA in error messages: a path or a flag. */
  label: string;
}

export interface CaOptions {
  commonName?: string;
  days?: number;
  key?: KeyAlgorithm;
  now?: Date;
}

export interface LeafOptions {
  hostnames: string[];
  ips?: string[];
  /**
   * clientAuth next to serverAuth; on unless false. Deephaven services present their machine
   * certificate as clients too (to each other, with mutual TLS), so ours carry both.
   */
  client?: boolean;
  /** serverAuth; on unless false. A certificate only for logging in somewhere (an etcd client) leaves it out. */
  server?: boolean;
  days?: number;
  key?: KeyAlgorithm;
  now?: Date;
}

export async function issueRootCa(options: CaOptions = {}): Promise<Issued> {
  const commonName = checkCommonName(options.commonName ?? DEFAULT_ROOT_CN);
  const { privateKey, publicKey } = await generateKey(options.key ?? DEFAULT_KEY_ALGORITHM);
  const name = encodeName([{ type: 'O', value: ORGANIZATION }, { type: 'CN', value: commonName }]);
  const dates = validity(options.now, options.days ?? DEFAULT_CA_DAYS, undefined, '');
  const der = signCertificate(
    {
      serialNumber: randomSerialNumber(),
      issuerName: name,
      subjectName: name,
      notBefore: dates.notBefore,
      notAfter: dates.notAfter,
      subjectPublicKey: publicKey,
      extensions: [
        basicConstraints(true),
        keyUsage(['digitalSignature', 'keyCertSign', 'cRLSign']),
        subjectKeyIdentifier(keyIdentifier(publicKey)),
      ],
    },
    privateKey,
    'the new root CA key',
  );
  return issued(der, privateKey, dates.cutShortMs);
}

/** pathlen:0, so the intermediate signs leaves only. */
export async function issueIntermediateCa(issuer: Issuer, options: CaOptions = {}): Promise<Issued> {
  const commonName = checkCommonName(options.commonName ?? DEFAULT_INTERMEDIATE_CN);
  const parent = parseCertificate(issuer.certificateDer);
  if (parent.basicConstraints?.pathLength === 0) {
    throw inputError('CA_PATHLEN_ZERO', `is a CA with pathlen:0 (${parent.subject}): it may sign leaves but no further CA`, {
      subject: issuer.label,
      fix: 'make the intermediate under its parent CA instead, or issue leaves from this CA directly',
    });
  }
  const { privateKey, publicKey } = await generateKey(options.key ?? DEFAULT_KEY_ALGORITHM);
  const dates = validity(options.now, options.days ?? DEFAULT_CA_DAYS, parent.notAfter, issuer.label);
  const der = signCertificate(
    {
      serialNumber: randomSerialNumber(),
      issuerName: subjectNameOf(issuer.certificateDer),
      subjectName: encodeName([{ type: 'O', value: ORGANIZATION }, { type: 'CN', value: commonName }]),
      notBefore: dates.notBefore,
      notAfter: dates.notAfter,
      subjectPublicKey: publicKey,
      extensions: [
        basicConstraints(true, 0),
        keyUsage(['digitalSignature', 'keyCertSign', 'cRLSign']),
        subjectKeyIdentifier(keyIdentifier(publicKey)),
        authorityKeyIdentifier(authorityKeyIdOf(issuer)),
      ],
    },
    issuer.privateKey,
    issuer.label,
  );
  return issued(der, privateKey, dates.cutShortMs);
}

export async function issueLeaf(issuer: Issuer, options: LeafOptions): Promise<Issued> {
  const names = parseSubjectNames(options.hostnames, options.ips ?? []);
  const { privateKey, publicKey } = await generateKey(options.key ?? DEFAULT_KEY_ALGORITHM);
  const commonName = names.first;
  // The CN is informational; a name too long for it is left out rather than cut, and RFC 5280
  // 4.2.1.6 then wants the SAN critical because the subject is empty.
  const subject: NameAttribute[] = commonName.length <= MAX_CN_LENGTH ? [{ type: 'CN', value: commonName }] : [];
  const extensions: Extension[] = [
    basicConstraints(false),
    // keyEncipherment only means something for RSA key transport; it is wrong on an EC key.
    keyUsage(isRsaKey(privateKey) ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature']),
    extendedKeyUsage([...(options.server === false ? [] : ['serverAuth' as const]), ...(options.client === false ? [] : ['clientAuth' as const])]),
    subjectAltName(names.dns, names.ip.map(ipToBytes), subject.length === 0),
    subjectKeyIdentifier(keyIdentifier(publicKey)),
    authorityKeyIdentifier(authorityKeyIdOf(issuer)),
  ];
  const dates = validity(options.now, options.days ?? DEFAULT_LEAF_DAYS, parseCertificate(issuer.certificateDer).notAfter, issuer.label);
  const der = signCertificate(
    {
      serialNumber: randomSerialNumber(),
      issuerName: subjectNameOf(issuer.certificateDer),
      subjectName: encodeName(subject),
      notBefore: dates.notBefore,
      notAfter: dates.notAfter,
      subjectPublicKey: publicKey,
      extensions,
    },
    issuer.privateKey,
    issuer.label,
  );
  return issued(der, privateKey, dates.cutShortMs);
}

export interface SubjectNames {
  dns: string[];
  ip: string[];
  /** The first --hostname as normalised: the leaf's informational Common Name. */
  first: string;
}

/**
 * Validates and normalises every name before any key is generated, with the normaliser
 * `cert check` compares with (normaliseHost): DNS names are lower-cased and a trailing dot
 * dropped (SAN entries are written without it); an IP given as --hostname becomes an iPAddress
 * entry, because a DNS entry holding an address matches nothing.
 */
export function parseSubjectNames(hostnames: string[], ips: string[], hostnameFlag = '--hostname'): SubjectNames {
  if (hostnames.length === 0) {
    throw usageError('HOSTNAME_MISSING', `at least one ${hostnameFlag} is required`, {
      fix: 'pass --hostname with the machine FQDN, e.g. --hostname dh1.example.com',
    });
  }
  const dns: string[] = [];
  const ip: string[] = [];
  const addIp = (value: string, flag: string) => {
    const canonical = checkIp(value, flag);
    if (!ip.includes(canonical)) ip.push(canonical);
    return canonical;
  };
  let first: string | undefined;
  for (const hostname of hostnames) {
    const name = isIP(hostname.trim()) ? addIp(hostname, hostnameFlag) : checkDnsName(hostname, hostnameFlag);
    if (!isIP(name) && !dns.includes(name)) dns.push(name);
    first ??= name;
  }
  for (const address of ips) addIp(address, '--ip');
  return { dns, ip, first: first! };
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function checkDnsName(raw: string, flag: string): string {
  const bad = (why: string, fix: string) =>
    usageError('HOSTNAME_INVALID', `${JSON.stringify(raw)} is not a valid DNS name: ${why}`, { subject: flag, fix });
  const name = normaliseHost(raw);
  if (name.length === 0) throw bad('it is empty', `give a DNS name, e.g. ${flag} dh1.example.com`);
  if (name.length > 253) throw bad('it is longer than 253 characters', 'use a shorter name');
  const labels = name.split('.');
  const wildcard = labels[0] === '*';
  const rest = wildcard ? labels.slice(1) : labels;
  if (wildcard && rest.length < 2) {
    throw bad('a wildcard needs at least two labels after "*."', 'use e.g. *.example.com, or list each name with --hostname');
  }
  for (const label of rest) {
    if (label.length > 63) throw bad(`the label ${JSON.stringify(`${label.slice(0, 20)}…`)} is longer than 63 characters`, 'shorten that label');
    if (label.includes('*')) {
      throw bad('"*" is allowed only as the whole first label', 'use *.example.com, or list each name with --hostname');
    }
    if (!LABEL.test(label)) {
      throw bad(
        `the label ${JSON.stringify(label)} may hold only letters, digits and inner hyphens`,
        `use letters, digits and hyphens only (no underscores or spaces), e.g. ${flag} dh-1.example.com`,
      );
    }
  }
  // A name whose last label is numeric is a mistyped address, which no resolver would look up.
  if (/^[0-9]+$/.test(rest[rest.length - 1] ?? '')) {
    throw bad('its last label is numeric', 'give an IP address with --ip, or the full DNS name');
  }
  return name;
}

function checkIp(raw: string, flag: string): string {
  const value = raw.trim();
  if (isIP(value) === 0 || value.includes('%')) {
    throw usageError('IP_INVALID', `${JSON.stringify(raw)} is not an IP address`, {
      subject: flag,
      fix: 'give a literal IPv4 or IPv6 address without a zone (%eth0), e.g. --ip 10.0.0.5',
    });
  }
  return normaliseHost(value);
}

export function checkCommonName(value: string): string {
  const name = value.trim();
  if (name.length === 0 || name.length > MAX_CN_LENGTH || /[\u0000-\u001f\u007f]/.test(name)) {
    throw usageError('CN_INVALID', `${JSON.stringify(value)} is not a usable CA name`, {
      subject: '--cn',
      fix: `give 1 to ${MAX_CN_LENGTH} printable characters, e.g. --cn "Example Corp dh-podman CA"`,
    });
  }
  return name;
}

/**
 * A certificate never outlives its issuer: past the CA's notAfter the chain fails anyway, and an
 * end date that looks later than it really is only misleads whoever plans the renewal.
 */
function validity(now: Date | undefined, days: number, issuerNotAfter: Date | undefined, issuerLabel: string) {
  checkDays(days);
  // Whole seconds: X.509 times carry no fraction, and tests compare exact instants.
  const start = Math.floor((now ?? new Date()).getTime() / 1000) * 1000;
  const wanted = start + days * DAY_MS;
  const end = issuerNotAfter ? Math.min(wanted, issuerNotAfter.getTime()) : wanted;
  if (end <= start) {
    throw inputError('CA_EXPIRED', `the CA expired on ${new Date(end).toISOString()}`, {
      subject: issuerLabel,
      fix: 'renew the CA, or create a new one with dh-podman cert ca',
    });
  }
  return { notBefore: new Date(start - BACKDATE_MS), notAfter: new Date(end), cutShortMs: wanted - end };
}

/**
 * AKI must equal the issuer's SKI for path builders that match on it; a CA made elsewhere may
 * have computed its SKI another way, so its own SKI wins over ours.
 */
function authorityKeyIdOf(issuer: Issuer): Buffer {
  return subjectKeyIdentifierOf(issuer.certificateDer) ?? keyIdentifier(parseCertificate(issuer.certificateDer).x509.publicKey);
}

function issued(der: Buffer, privateKey: KeyObject, cutShortMs: number): Issued {
  return {
    cutShortMs,
    certificatePem: toPem('CERTIFICATE', der),
    certificateDer: der,
    privateKeyPem: privateKeyToPem(privateKey),
    privateKey,
    x509: parseCertificate(der).x509,
  };
}

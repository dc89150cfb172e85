import { stat } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { isCA, quotedName, type Certificate } from './certificate.js';
import { daysLeft, expiresWithin } from './expiry.js';
import { errorFinding, warningFinding, type Finding } from './findings.js';
import { matchHostname, normaliseHost } from './hostname.js';
import { javaProblems } from './java-policy.js';
import { checkPath, roleName, validatePath } from './path-validation.js';
import { loadFromVolume, loadPemFile, type PemMaterial } from './material.js';
import { parsePrivateKey } from './private-key.js';
import { wildcardPublicSuffix } from './public-suffix.js';

/**
 * The certificate rules of the trust model, run against one TLS volume before anything starts.
 * Every rule is evaluated and every broken one reported, so an operator fixes a volume in one
 * round instead of one error per attempt.
 */

export interface CheckOptions {
  hostname: string;
  tlsVolume: string;
  caCertFile?: string | undefined;
  envoyHostname?: string | undefined;
  mtls?: boolean;
  warnDays?: number;
  now?: Date;
  /** The most intermediates a path may hold; unlimited unless given. */
  maxIntermediates?: number;
  /**
   * End with a real TLS handshake on loopback (`cert check` asks for it; the checks `start`, `up`
   * and `rotate` run do not: the service's own handshake follows moments later, and start-up time
   * is the operator's wait). It runs at the real clock, so it is skipped when `now` is given.
   */
  handshake?: boolean;
}

export interface LeafSummary {
  file: string;
  subject: string;
  issuer: string;
  dnsNames: string[];
  ipAddresses: string[];
  notAfter: string;
  daysLeft: number;
  sha256: string;
}

export interface CheckReport {
  ok: boolean;
  hostname: string;
  tlsVolume: string;
  findings: Finding[];
  leaf?: LeafSummary;
  envoyLeaf?: LeafSummary;
}

export async function checkTlsVolume(options: CheckOptions): Promise<CheckReport> {
  const context: RuleContext = {
    mtls: options.mtls === true,
    warnDays: options.warnDays ?? 30,
    now: options.now ?? new Date(),
    maxIntermediates: options.maxIntermediates,
  };
  const report: CheckReport = { ok: false, hostname: options.hostname, tlsVolume: options.tlsVolume, findings: [] };
  const findings = report.findings;

  if (!(await isDirectory(options.tlsVolume))) {
    findings.push(
      errorFinding('TLS_VOLUME_MISSING', options.tlsVolume, 'is not a directory', 'pass the host directory that holds tls.crt and tls.key'),
    );
    return finish(report);
  }

  const bundle = options.caCertFile ? await loadBundle(options.caCertFile, findings) : undefined;

  const chainFile = await loadFromVolume(options.tlsVolume, 'tls.crt', true);
  const keyFile = await loadFromVolume(options.tlsVolume, 'tls.key', true);
  findings.push(...chainFile.findings, ...keyFile.findings);
  // A missing or unreadable key is reported above; the chain is still checked in full.
  if (chainFile.material) {
    const path: Certificate[] = [];
    const leaf = checkIdentity(chainFile.material, keyFile.material, options.hostname, bundle, context, findings, path);
    if (leaf) report.leaf = summarise(leaf, chainFile.material.file, context.now);
    const errorsSoFar = findings.some((finding) => finding.severity === 'error');
    if (leaf && !errorsSoFar && bundle && keyFile.material && options.handshake === true && !options.now) {
      await finalHandshake(chainFile.material, path, keyFile.material, bundle, options.hostname, findings);
    }
  }

  const envoy = await loadFromVolume(options.tlsVolume, 'envoy.pem', false);
  findings.push(...envoy.findings);
  if (envoy.material) {
    if (!options.envoyHostname) {
      findings.push(
        warningFinding('ENVOY_HOSTNAME_MISSING', envoy.material.file, 'is present but was not checked against a hostname', 'pass --envoy-hostname with the name clients use for Envoy'),
      );
    }
    const leaf = checkIdentity(envoy.material, envoy.material, options.envoyHostname, bundle, context, findings);
    if (leaf) report.envoyLeaf = summarise(leaf, envoy.material.file, context.now);
  } else if (options.envoyHostname && report.leaf && envoy.findings.length === 0) {
    // Without envoy.pem, Envoy presents the machine certificate, so it must cover E too.
    const leafCert = chainFile.material!.certificates[0]!;
    checkHostname(leafCert, options.envoyHostname, chainFile.material!.file, findings);
  }
  return finish(report);
}

interface RuleContext {
  maxIntermediates: number | undefined;
  mtls: boolean;
  warnDays: number;
  now: Date;
}

/** Rules 2 to 6 for one identity: a chain and the key that goes with its leaf. */
function checkIdentity(
  chainFile: PemMaterial,
  keyFile: PemMaterial | undefined,
  hostname: string | undefined,
  bundle: Bundle | undefined,
  context: RuleContext,
  findings: Finding[],
  /** Receives the certificate path that was validated, leaf first. */
  pathOut: Certificate[] = [],
): Certificate | undefined {
  const certs = chainFile.certificates;
  if (certs.length === 0) {
    findings.push(errorFinding('CERT_MISSING', chainFile.file, 'holds no CERTIFICATE block', 'put the PEM certificate chain in it, leaf first'));
  }
  const key = keyFile ? checkKey(keyFile, findings) : undefined;
  if (certs.length === 0) return undefined;

  const keyOwner = key ? certs.find((cert) => ownsKey(cert, key)) : undefined;
  const leaf = keyOwner ?? guessLeaf(certs);
  const pool = certs.filter((cert) => cert !== leaf);
  const anchors = bundle?.certificates ?? [];

  if (key && keyFile && !keyOwner) {
    findings.push(
      errorFinding('KEY_MISMATCH', keyFile.file, `is not the private key of the leaf ${quotedName(leaf.subject)}${keyFile === chainFile ? '' : ` in ${chainFile.file}`}`, 'use the key the certificate was issued for, or reissue the certificate for this key'),
    );
  }
  if (hostname !== undefined) checkHostname(leaf, hostname, chainFile.file, findings);
  checkLeafUsage(leaf, chainFile.file, context, findings);

  const result = validatePath(leaf, pool, anchors, { time: context.now, maxIntermediates: context.maxIntermediates });
  // Without a CA file there is no anchor: the chain of issuers found in tls.crt is checked as far
  // as it goes, its top taken as given.
  const path = result.status === 'no-path' ? result.partial : result.path.certs;
  pathOut.push(...path);
  const problems = result.status === 'no-path' ? checkPath(path, { time: context.now, maxIntermediates: context.maxIntermediates }) : result.path.problems;
  const fileOf = (cert: Certificate) => (certs.includes(cert) || !bundle ? chainFile.file : bundle.file);
  for (const problem of problems) findings.push(errorFinding(problem.code, fileOf(problem.cert), problem.message, problem.fix));
  for (const problem of javaProblems(path)) {
    const name = roleName(path, path.indexOf(problem.cert));
    const message = `the ${name} ${problem.reason.startsWith('signed') ? 'is' : 'has'} ${problem.reason}`;
    const fix = problem.code.startsWith('JAVA_KEY') ? `reissue ${quotedName(problem.cert.subject)} with an RSA-2048+ or ECDSA P-256/P-384 key` : `reissue ${quotedName(problem.cert.subject)} signed with SHA-256 or stronger`;
    findings.push(problem.code.endsWith('WEAK') ? warningFinding(problem.code, fileOf(problem.cert), message, fix) : errorFinding(problem.code, fileOf(problem.cert), message, fix));
  }
  for (const cert of path) checkExpiresSoon(cert, fileOf(cert), context, findings);

  const broken = result.status === 'no-path' && bundle && bundle.certificates.length > 0 ? checkTrust(path, pool, bundle, chainFile.file, findings) : false;
  if (!broken) checkOrder(certs, path, anchors, chainFile.file, findings);
  return leaf;
}

/** The last word: a TLS client trusting only the CA file must connect to the volume's chain and key. */
async function finalHandshake(chainFile: PemMaterial, path: Certificate[], keyFile: PemMaterial, bundle: Bundle, hostname: string, findings: Finding[]): Promise<void> {
  const toPem = (cert: Certificate) => cert.x509.toString();
  // The services present the chain in path order (the keystore is built that way), so the
  // handshake does too; the order of tls.crt itself is CHAIN_ORDER's business.
  const presented = path.filter((cert) => chainFile.certificates.includes(cert));
  // Loaded here, not at the top: node:tls is a few milliseconds of start-up that the checks of
  // start, up and rotate, which make no handshake, should not pay.
  const { tryHandshake } = await import('./handshake.js');
  const result = await tryHandshake({
    chainPem: presented.map(toPem).join(''),
    keyPem: keyFile.keyBlocks[0]!.text,
    caPem: bundle.certificates.map(toPem).join(''),
    hostname: normaliseHost(hostname),
  });
  if (!result.ok) {
    findings.push(
      errorFinding('HANDSHAKE_FAILED', chainFile.file, `a TLS client trusting only ${bundle.file} could not connect to ${hostname} presenting this chain and key: ${result.reason}`, 'fix what the message names; the other rules found nothing, so report it if it is not clear'),
    );
  }
}

function ownsKey(cert: Certificate, key: KeyObject): boolean {
  try {
    return cert.x509.checkPrivateKey(key);
  } catch {
    return false;
  }
}

/** Without a matching key, the leaf is the first certificate that issues none of the others. */
function guessLeaf(certs: Certificate[]): Certificate {
  const issuesOther = (cert: Certificate) => certs.some((other) => other !== cert && other.issuerDer.equals(cert.subjectDer) && !other.selfIssued);
  return certs.find((cert) => !issuesOther(cert)) ?? certs[0]!;
}

/**
 * The trust model wants tls.crt to be exactly the path: leaf first, then each issuer, the root
 * optional. TLS clients (Java included) cope with other orders, spares and duplicates, so this is
 * a warning, with the exact order to write.
 */
function checkOrder(certs: Certificate[], path: Certificate[], anchors: Certificate[], file: string, findings: Finding[]): void {
  const anchor = path[path.length - 1]!;
  const anchorIsBundled = anchors.some((cert) => cert.sha256 === anchor.sha256) && path.length > 1;
  const given = certs.map((cert) => cert.sha256);
  const ideal = (anchorIsBundled && !given.includes(anchor.sha256) ? path.slice(0, -1) : path).map((cert) => cert.sha256);
  if (given.length === ideal.length && given.every((hash, index) => hash === ideal[index])) return;
  const notes: string[] = [];
  certs.forEach((cert, index) => {
    const first = given.indexOf(cert.sha256);
    if (first < index) notes.push(`certificate ${index + 1} repeats certificate ${first + 1} (${quotedName(cert.subject)})`);
    else if (!ideal.includes(cert.sha256)) notes.push(`certificate ${index + 1} (${quotedName(cert.subject)}) is not part of the path`);
  });
  const unique = given.filter((hash, index) => given.indexOf(hash) === index && ideal.includes(hash));
  if (unique.some((hash, index) => hash !== ideal[index])) notes.push(`the path is in another order`);
  const order = ideal.map((hash) => quotedName(path.find((cert) => cert.sha256 === hash)!.subject)).join(', then ');
  findings.push(
    warningFinding('CHAIN_ORDER', file, `is not exactly the certificate path: ${notes.join('; ')}`, `write ${file} as ${order}${ideal.length < given.length ? ', and nothing else' : ''}`),
  );
}

function checkKey(keyFile: PemMaterial, findings: Finding[]): KeyObject | undefined {
  const block = keyFile.keyBlocks[0];
  if (!block) {
    findings.push(errorFinding('KEY_MISSING', keyFile.file, 'holds no PRIVATE KEY block', 'add the unencrypted PEM private key of the leaf certificate'));
    return undefined;
  }
  const parsed = parsePrivateKey(block);
  if (parsed.kind === 'encrypted') {
    findings.push(
      errorFinding('KEY_ENCRYPTED', keyFile.file, 'holds an encrypted private key; services start unattended and need it unencrypted', `decrypt it: openssl pkey -in ${keyFile.file} -out ${keyFile.file}.plain && mv ${keyFile.file}.plain ${keyFile.file}`),
    );
    return undefined;
  }
  if (parsed.kind === 'unparsable') {
    findings.push(errorFinding('KEY_UNPARSABLE', keyFile.file, 'holds a PRIVATE KEY block that is not a valid key', 'replace it with the PEM key (PKCS#8, PKCS#1 or SEC1)'));
    return undefined;
  }
  return parsed.key;
}

function checkHostname(leaf: Certificate, hostname: string, file: string, findings: Finding[]): void {
  const san = leaf.san;
  if (!san || san.dns.length + san.ip.length === 0) {
    findings.push(
      errorFinding('SAN_MISSING', file, `the leaf ${quotedName(leaf.subject)} has no subjectAltName DNS entries; Deephaven's services and Java's hostname verification never use the Common Name`, `reissue it with subjectAltName DNS:${hostname}`),
    );
    return;
  }
  const match = matchHostname(hostname, san);
  // Only the entry the hostname matched is judged, as TLS clients do: the owner of a private
  // suffix (Amazon for s3.amazonaws.com) may list the wildcard beside its own exact name.
  const suffix = match.matched && match.wildcard ? wildcardPublicSuffix(match.entry) : undefined;
  if (!match.matched) {
    const entries = [...san.dns.map((d) => `DNS:${d}`), ...san.ip.map((ip) => `IP:${ip}`)].join(', ');
    findings.push(
      errorFinding('SAN_HOST_MISMATCH', file, `no subjectAltName entry of the leaf matches ${hostname} (it has ${entries})`, `reissue it with subjectAltName DNS:${hostname}, or use the hostname it was issued for`),
    );
  } else if (suffix !== undefined) {
    findings.push(
      errorFinding('SAN_WILDCARD_PUBLIC_SUFFIX', file, `${hostname} matches only the wildcard ${match.entry}, which covers the public suffix ${suffix}: its key could impersonate every domain under ${suffix}, and clients that check the Public Suffix List refuse it`, `reissue the leaf with subjectAltName DNS:${hostname}, never a wildcard over ${suffix}`),
    );
  } else if (match.wildcard) {
    findings.push(
      warningFinding('SAN_WILDCARD', file, `${hostname} matches only the wildcard ${match.entry}; a wildcard key lets any machine of the domain impersonate this one`, `issue a certificate with subjectAltName DNS:${hostname}`),
    );
  }
}

function checkLeafUsage(leaf: Certificate, file: string, context: RuleContext, findings: Finding[]): void {
  if (isCA(leaf)) {
    findings.push(errorFinding('LEAF_IS_CA', file, `the leaf ${quotedName(leaf.subject)} is a CA certificate (CA:TRUE)`, 'issue a leaf with basicConstraints CA:FALSE; never give a service a CA key'));
  }
  if (leaf.keyUsage && !leaf.keyUsage.includes('digitalSignature')) {
    findings.push(
      errorFinding('KU_NO_DIGITAL_SIGNATURE', file, `the leaf's Key Usage (${leaf.keyUsage.join(', ') || 'empty'}) lacks digitalSignature, which TLS 1.3 handshakes need`, 'reissue it with keyUsage digitalSignature (plus keyEncipherment for RSA)'),
    );
  }
  const eku = leaf.extKeyUsage;
  if (eku && !eku.includes('anyExtendedKeyUsage')) {
    if (!eku.includes('serverAuth')) {
      findings.push(errorFinding('EKU_NO_SERVER_AUTH', file, `the leaf's Extended Key Usage (${eku.join(', ')}) lacks serverAuth`, 'reissue it with extendedKeyUsage serverAuth (and clientAuth for mutual TLS)'));
    }
    if (!eku.includes('clientAuth')) {
      const message = `the leaf's Extended Key Usage (${eku.join(', ')}) lacks clientAuth, so it cannot authenticate as a client`;
      findings.push(
        context.mtls
          ? errorFinding('EKU_NO_CLIENT_AUTH', file, `${message}, which mutual TLS requires`, 'reissue it with extendedKeyUsage serverAuth, clientAuth')
          : warningFinding('EKU_NO_CLIENT_AUTH', file, message, 'add clientAuth before turning on mutual TLS'),
      );
    }
  }
}

function checkExpiresSoon(cert: Certificate, file: string, context: RuleContext, findings: Finding[]): void {
  const now = context.now.getTime();
  if (now < cert.notBefore.getTime() || now > cert.notAfter.getTime()) return;
  const days = daysLeft(cert, context.now);
  if (expiresWithin(days, context.warnDays)) {
    findings.push(
      warningFinding('CERT_EXPIRES_SOON', file, `${quotedName(cert.subject)} expires in ${days} day(s), on ${cert.notAfter.toISOString()}`, 'reissue it and rotate before then'),
    );
  }
}

/**
 * Why no path reaches the CA bundle, from the top of the chain of issuers that was found.
 * Returns true when the finding already says what is wrong with the order of tls.crt.
 */
function checkTrust(partial: Certificate[], pool: Certificate[], bundle: Bundle, file: string, findings: Finding[]): boolean {
  const top = partial[partial.length - 1]!;
  const namesake = bundle.certificates.find((candidate) => candidate.subjectDer.equals(top.issuerDer));
  if (namesake) {
    findings.push(
      errorFinding('CHAIN_UNTRUSTED', file, `${quotedName(top.subject)} names ${quotedName(top.issuer)} as its issuer, but the certificate of that name in the CA bundle did not sign it (another key)`, `put the CA certificate that really issued ${quotedName(top.subject)} in --ca-cert-file, or reissue it from the CA in the bundle`),
    );
    return false;
  }
  const spares = pool.filter((cert) => !partial.includes(cert));
  if (spares.length > 0 && partial.length === 1) {
    findings.push(
      errorFinding('CHAIN_BROKEN', file, `the leaf ${quotedName(top.subject)} is issued by ${quotedName(top.issuer)}, which is neither in ${file} nor in the CA bundle; ${spares.map((cert) => quotedName(cert.subject)).join(', ')} did not issue it`, `put the CA certificate ${quotedName(top.issuer)} after the leaf in ${file}`),
    );
    return true;
  }
  if (!top.selfIssued && !partial.some(isCA)) {
    findings.push(
      errorFinding('CHAIN_MISSING_INTERMEDIATE', file, `holds only the leaf; its issuer ${quotedName(top.issuer)} is neither in ${file} nor in the CA bundle`, `append the intermediate CA certificate ${quotedName(top.issuer)} to ${file} after the leaf`),
    );
    return false;
  }
  findings.push(
    errorFinding('CHAIN_UNTRUSTED', file, `the chain ends at ${quotedName(top.subject)}, issued by ${quotedName(top.issuer)}, which is not in the CA bundle`, `add the root CA ${quotedName(top.issuer)} to --ca-cert-file, or use a certificate from a CA the bundle holds`),
  );
  return false;
}

interface Bundle {
  file: string;
  certificates: Certificate[];
}

async function loadBundle(path: string, findings: Finding[]): Promise<Bundle> {
  const loaded = await loadPemFile(path);
  findings.push(...loaded.findings);
  const material = loaded.material;
  if (!material) return { file: path, certificates: [] };
  if (material.keyBlocks.length > 0) {
    findings.push(errorFinding('KEY_IN_CA_FILE', path, 'holds a private key; a CA bundle must hold certificates only', 'remove the PRIVATE KEY block and keep that key out of any bundle'));
  }
  if (material.certificates.length === 0) {
    findings.push(errorFinding('CERT_MISSING', path, 'holds no CERTIFICATE block', 'pass a PEM bundle of CA certificates'));
  }
  for (const cert of material.certificates.filter((cert) => !isCA(cert))) {
    findings.push(warningFinding('CA_FILE_NOT_CA', path, `${quotedName(cert.subject)} is not a CA certificate`, 'a trust bundle should hold CA certificates only'));
  }
  return { file: path, certificates: material.certificates };
}

function summarise(leaf: Certificate, file: string, now: Date): LeafSummary {
  return {
    file,
    subject: leaf.subject,
    issuer: leaf.issuer,
    dnsNames: leaf.san?.dns ?? [],
    ipAddresses: leaf.san?.ip ?? [],
    notAfter: leaf.notAfter.toISOString(),
    daysLeft: daysLeft(leaf, now),
    sha256: leaf.sha256,
  };
}

function finish(report: CheckReport): CheckReport {
  report.ok = !report.findings.some((finding) => finding.severity === 'error');
  return report;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

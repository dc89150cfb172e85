import { stat } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { isCA, quotedName, type Certificate } from './certificate.js';
import { orderChain, verifyToBundle } from './chain.js';
import { daysLeft, expiresWithin } from './expiry.js';
import { errorFinding, warningFinding, type Finding } from './findings.js';
import { matchHostname } from './hostname.js';
import { loadFromVolume, loadPemFile, type PemMaterial } from './material.js';
import { parsePrivateKey } from './private-key.js';

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
  if (chainFile.material && keyFile.material) {
    const leaf = checkIdentity(chainFile.material, keyFile.material, options.hostname, bundle, context, findings);
    if (leaf) report.leaf = summarise(leaf, chainFile.material.file, context.now);
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
  mtls: boolean;
  warnDays: number;
  now: Date;
}

/** Rules 2 to 6 for one identity: a chain and the key that goes with its leaf. */
function checkIdentity(
  chainFile: PemMaterial,
  keyFile: PemMaterial,
  hostname: string | undefined,
  bundle: Bundle | undefined,
  context: RuleContext,
  findings: Finding[],
): Certificate | undefined {
  const certs = chainFile.certificates;
  if (certs.length === 0) {
    findings.push(errorFinding('CERT_MISSING', chainFile.file, 'holds no CERTIFICATE block', 'put the PEM certificate chain in it, leaf first'));
  }
  const key = checkKey(keyFile, findings);
  if (certs.length === 0) return undefined;

  const keyOwner = key ? certs.find((cert) => cert.x509.checkPrivateKey(key)) : undefined;
  const order = orderChain(certs, keyOwner);
  if (order.status === 'reordered') {
    findings.push(
      errorFinding('CHAIN_ORDER', chainFile.file, `certificates are out of order; the chain is ${order.chain.map((cert) => quotedName(cert.subject)).join(' → ')}`, 'write the leaf first, then each issuer in turn'),
    );
  } else if (order.status === 'broken') {
    const child = order.chain[order.index]!;
    findings.push(
      errorFinding('CHAIN_BROKEN', chainFile.file, `certificate ${order.index + 1} (${quotedName(child.subject)}) is not issued by certificate ${order.index + 2}`, `replace certificate ${order.index + 2} with the CA that issued ${quotedName(child.subject)} (${quotedName(child.issuer)})`),
    );
  }
  const chain = order.chain;
  const leaf = chain[0]!;

  if (key && !leaf.x509.checkPrivateKey(key)) {
    findings.push(
      errorFinding('KEY_MISMATCH', keyFile.file, `is not the private key of the leaf ${quotedName(leaf.subject)}${keyFile === chainFile ? '' : ` in ${chainFile.file}`}`, 'use the key the certificate was issued for, or reissue the certificate for this key'),
    );
  }
  if (hostname !== undefined) checkHostname(leaf, hostname, chainFile.file, findings);
  checkLeafUsage(leaf, chainFile.file, context, findings);
  for (const cert of chain) checkValidity(cert, chainFile.file, context, findings);
  if (bundle && bundle.certificates.length > 0) checkTrust(chain, bundle, chainFile.file, context, findings);
  return leaf;
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
      errorFinding('SAN_MISSING', file, `the leaf ${quotedName(leaf.subject)} has no subjectAltName DNS entries; clients never match on the Common Name`, `reissue it with subjectAltName DNS:${hostname}`),
    );
    return;
  }
  const match = matchHostname(hostname, san);
  if (!match.matched) {
    const entries = [...san.dns.map((d) => `DNS:${d}`), ...san.ip.map((ip) => `IP:${ip}`)].join(', ');
    findings.push(
      errorFinding('SAN_HOST_MISMATCH', file, `no subjectAltName entry of the leaf matches ${hostname} (it has ${entries})`, `reissue it with subjectAltName DNS:${hostname}, or use the hostname it was issued for`),
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

function checkValidity(cert: Certificate, file: string, context: RuleContext, findings: Finding[]): void {
  const now = context.now.getTime();
  if (now < cert.notBefore.getTime()) {
    findings.push(
      errorFinding('CERT_NOT_YET_VALID', file, `${quotedName(cert.subject)} is not valid before ${cert.notBefore.toISOString()}`, "check the host's clock, or reissue the certificate with a start date in the past"),
    );
  } else if (now > cert.notAfter.getTime()) {
    findings.push(errorFinding('CERT_EXPIRED', file, `${quotedName(cert.subject)} expired on ${cert.notAfter.toISOString()}`, 'reissue it and rotate'));
  } else if (expiresWithin(daysLeft(cert, context.now), context.warnDays)) {
    const days = daysLeft(cert, context.now);
    findings.push(
      warningFinding('CERT_EXPIRES_SOON', file, `${quotedName(cert.subject)} expires in ${days} day(s), on ${cert.notAfter.toISOString()}`, 'reissue it and rotate before then'),
    );
  }
}

function checkTrust(chain: Certificate[], bundle: Bundle, file: string, context: RuleContext, findings: Finding[]): void {
  const trust = verifyToBundle(chain, bundle.certificates);
  if (trust.status === 'trusted') {
    // An expired root breaks every handshake as surely as an expired leaf.
    if (!chain.includes(trust.anchor)) checkValidity(trust.anchor, bundle.file, context, findings);
  } else if (trust.status === 'missing-intermediate') {
    findings.push(
      errorFinding('CHAIN_MISSING_INTERMEDIATE', file, `holds only the leaf; its issuer ${quotedName(trust.issuer)} is neither in ${file} nor in the CA bundle`, `append the intermediate CA certificate ${quotedName(trust.issuer)} to ${file} after the leaf`),
    );
  } else if (trust.status === 'untrusted') {
    findings.push(
      errorFinding('CHAIN_UNTRUSTED', file, `the chain ends at ${quotedName(trust.top.subject)}, issued by ${quotedName(trust.top.issuer)}, which is not in the CA bundle`, `add the root CA ${quotedName(trust.top.issuer)} to --ca-cert-file, or use a certificate from a CA the bundle holds`),
    );
  }
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

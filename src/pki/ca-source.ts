import type { KeyObject } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { inputError, usageError } from '../base/errors.js';
import { pathExists } from '../base/atomic-write.js';
import { isCA, type Certificate } from './certificate.js';
import type { Issuer } from './issue.js';
import { loadPemFile, type PemMaterial } from './material.js';
import { parsePrivateKey } from './private-key.js';

/**
 * The CA that signs what `cert issue` and `cert ca --intermediate` make: either a CA directory
 * (ca.crt with the CA first and its chain after, ca.key, and root.crt when the CA is an
 * intermediate) or a user's own certificate and key files. Everything is checked here, so
 * signing never starts with a CA that cannot produce a valid chain.
 */

export const CA_CERT_FILE = 'ca.crt';
export const CA_KEY_FILE = 'ca.key';
export const ROOT_CERT_FILE = 'root.crt';

export interface CaSource {
  /** The signing CA: the first certificate of the CA file. */
  certificate: Certificate;
  privateKey: KeyObject;
  /** Every certificate of the CA file, the signing CA first. */
  chain: Certificate[];
  /** The self-signed trust anchor above the CA, when it is known. */
  root: Certificate | undefined;
  certPath: string;
  keyPath: string;
  /** Where root came from, to tell the user what to pass to --ca-cert-file. */
  rootPath: string | undefined;
  warnings: string[];
}

export interface CaFlags {
  caDir?: string | undefined;
  caCert?: string | undefined;
  caKey?: string | undefined;
}

/** True when any CA flag was given; the caller decides whether one is required. */
export function hasCaFlags(flags: CaFlags): boolean {
  return flags.caDir !== undefined || flags.caCert !== undefined || flags.caKey !== undefined;
}

export async function loadCaFromFlags(flags: CaFlags, now = new Date()): Promise<CaSource> {
  if (flags.caDir !== undefined && (flags.caCert !== undefined || flags.caKey !== undefined)) {
    throw usageError('CA_FLAGS_CONFLICT', '--ca-dir cannot be combined with --ca-cert/--ca-key', {
      fix: 'give either --ca-dir DIR or both --ca-cert FILE and --ca-key FILE',
    });
  }
  if (flags.caDir !== undefined) return loadCaFromDir(flags.caDir, now);
  if (flags.caCert !== undefined && flags.caKey !== undefined) return loadCaFromFiles(flags.caCert, flags.caKey, now);
  if (flags.caCert !== undefined || flags.caKey !== undefined) {
    throw usageError('CA_FLAGS_INCOMPLETE', `${flags.caCert === undefined ? '--ca-cert' : '--ca-key'} is missing`, {
      fix: 'give both --ca-cert FILE and --ca-key FILE (or --ca-dir DIR)',
    });
  }
  throw usageError('CA_MISSING', 'no CA given', {
    fix: "give --ca-dir DIR (made by 'dh-podman cert ca') or --ca-cert FILE --ca-key FILE",
  });
}

export async function loadCaFromDir(dir: string, now = new Date()): Promise<CaSource> {
  const certPath = join(dir, CA_CERT_FILE);
  const keyPath = join(dir, CA_KEY_FILE);
  if (!(await pathExists(certPath)) || !(await pathExists(keyPath))) {
    throw inputError('CA_DIR_INVALID', `is not a CA directory (it needs ${CA_CERT_FILE} and ${CA_KEY_FILE})`, {
      subject: dir,
      fix: "create one with 'dh-podman cert ca --out DIR', or pass your own CA with --ca-cert FILE --ca-key FILE",
    });
  }
  const source = await loadCaFromFiles(certPath, keyPath, now);
  if (source.root) return source;
  const rootPath = join(dir, ROOT_CERT_FILE);
  if (!(await pathExists(rootPath))) return source;
  const [root] = await readCertificates(rootPath);
  if (!root || !isSelfSigned(root)) {
    throw inputError('CA_ROOT_INVALID', 'does not start with a self-signed root certificate', {
      subject: rootPath,
      fix: 'put the root CA that issued ca.crt there, or remove the file',
    });
  }
  return { ...source, root, rootPath };
}

export async function loadCaFromFiles(certPath: string, keyPath: string, now = new Date()): Promise<CaSource> {
  const chain = await readCertificates(certPath);
  const certificate = chain[0]!;
  if (!isCA(certificate)) {
    throw inputError('CA_NOT_CA', `starts with "${certificate.subject}", which is not a CA (no basicConstraints CA:TRUE)`, {
      subject: certPath,
      fix: 'give the CA certificate (first in the file), not a server certificate',
    });
  }
  if (certificate.keyUsage && !certificate.keyUsage.includes('keyCertSign')) {
    throw inputError('CA_NO_KEY_CERT_SIGN', `"${certificate.subject}" has a Key Usage without keyCertSign, so it may not sign certificates`, {
      subject: certPath,
      fix: 'use a CA certificate whose Key Usage includes keyCertSign',
    });
  }
  if (now > certificate.notAfter) {
    throw inputError('CA_EXPIRED', `"${certificate.subject}" expired on ${certificate.notAfter.toISOString()}`, {
      subject: certPath,
      fix: 'renew the CA, or create a new one with dh-podman cert ca',
    });
  }
  const privateKey = await readPrivateKey(keyPath);
  if (!certificate.x509.checkPrivateKey(privateKey)) {
    throw inputError('CA_KEY_MISMATCH', `is not the private key of "${certificate.subject}" (the first certificate of ${certPath})`, {
      subject: keyPath,
      fix: 'give the key that belongs to that CA certificate',
    });
  }
  const warnings: string[] = [];
  if (now < certificate.notBefore) {
    warnings.push(`${certPath}: the CA is not valid until ${certificate.notBefore.toISOString()}; certificates it signs fail verification until then`);
  }
  const mode = (await stat(keyPath)).mode & 0o777;
  if (mode & 0o077) {
    warnings.push(`${keyPath}: the CA key is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}); chmod 600 it`);
  }
  const rootIndex = chain.findIndex(isSelfSigned);
  const root = rootIndex >= 0 ? chain[rootIndex] : undefined;
  return { certificate, privateKey, chain, root, certPath, keyPath, rootPath: root ? certPath : undefined, warnings };
}

/** What issue.ts needs to sign with this CA. */
export function issuerOf(source: CaSource): Issuer {
  return { certificateDer: source.certificate.der, privateKey: source.privateKey, label: source.keyPath };
}

/**
 * The certificates a server sends after its leaf: the CA file's certificates that are not
 * self-signed. A root in the chain is useless to clients (they must already have it) and only
 * lengthens every handshake.
 */
export function intermediatesOf(source: CaSource): Certificate[] {
  return source.chain.filter((certificate) => !isSelfSigned(certificate));
}

export function isSelfSigned(certificate: Certificate): boolean {
  return certificate.selfIssued && certificate.x509.verify(certificate.x509.publicKey);
}

/**
 * A CA file through the project's one PEM loader (material.ts), its findings turned into errors
 * about a CA: the loader reports, a CA that cannot be read stops the command.
 */
async function loadCaFile(path: string, kind: 'CERT' | 'KEY'): Promise<PemMaterial> {
  const { material, findings } = await loadPemFile(path);
  const problem = findings.find((finding) => finding.severity === 'error');
  if (problem?.code === 'FILE_DER') {
    const convert = kind === 'CERT' ? `openssl x509 -inform der -in ${path} -out ${path}.pem` : `openssl pkey -inform der -in ${path} -out ${path}.pem (keep it mode 0600)`;
    throw inputError(`CA_${kind}_DER`, 'is DER (binary); it must be PEM', { subject: path, fix: `convert it: ${convert}` });
  }
  if (problem && problem.code !== 'FILE_EMPTY' && problem.code !== 'FILE_NOT_PEM' && problem.code !== 'CERT_UNPARSABLE') {
    throw inputError(problem.code, problem.message, { subject: path, fix: problem.fix });
  }
  if (kind === 'CERT' && problem?.code === 'CERT_UNPARSABLE') {
    throw inputError('CA_CERT_UNPARSABLE', problem.message, { subject: path, fix: 'check the file; it may be truncated or not a certificate' });
  }
  return material ?? { file: path, certificates: [], keyBlocks: [] };
}

async function readCertificates(path: string): Promise<Certificate[]> {
  const { certificates } = await loadCaFile(path, 'CERT');
  if (certificates.length === 0) {
    throw inputError('CA_CERT_MISSING', 'holds no PEM certificate', {
      subject: path,
      fix: 'give the CA certificate as PEM (-----BEGIN CERTIFICATE-----)',
    });
  }
  return certificates;
}

async function readPrivateKey(path: string): Promise<KeyObject> {
  const blocks = (await loadCaFile(path, 'KEY')).keyBlocks;
  if (blocks.length === 0) {
    throw inputError('CA_KEY_MISSING', 'holds no PEM private key', {
      subject: path,
      fix: 'give the CA private key as PEM (-----BEGIN PRIVATE KEY-----)',
    });
  }
  if (blocks.length > 1) {
    throw inputError('CA_KEY_AMBIGUOUS', `holds ${blocks.length} private keys`, {
      subject: path,
      fix: 'keep only the CA key in the file',
    });
  }
  const parsed = parsePrivateKey(blocks[0]!);
  if (parsed.kind === 'encrypted') {
    throw inputError('CA_KEY_ENCRYPTED', 'is encrypted; the CA key must be unencrypted to sign without prompting', {
      subject: path,
      fix: `write a decrypted copy with openssl pkey -in ${path} -out ca-plain.key, chmod 600 it, and pass that`,
    });
  }
  if (parsed.kind === 'unparsable') {
    throw inputError('CA_KEY_UNPARSABLE', 'is not a valid private key', {
      subject: path,
      fix: 'give an unencrypted PKCS#8, PKCS#1 or SEC1 PEM key',
    });
  }
  return parsed.key;
}

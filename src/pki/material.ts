import { readBounded, resolveInside } from '../base/read-bounded.js';
import { isDhError } from '../base/errors.js';
import { parseCertificate, type Certificate } from './certificate.js';
import { errorFinding, type Finding, type RuleCode } from './findings.js';
import { classify, isCertificateLabel, isPrivateKeyLabel, type PemBlock } from './pem.js';

/** The certificates and key blocks one PEM file holds, plus what was wrong with it. */
export interface PemMaterial {
  /** How the file is named in messages (the path the operator gave). */
  file: string;
  certificates: Certificate[];
  keyBlocks: PemBlock[];
}

export interface Loaded {
  material: PemMaterial | undefined;
  findings: Finding[];
}

/** Loads a file that lives in the TLS volume; a symlink out of the volume is refused. */
export async function loadFromVolume(volume: string, name: string, required: boolean): Promise<Loaded> {
  const file = `${volume.replace(/\/$/, '')}/${name}`;
  let path: string | undefined;
  try {
    path = await resolveInside(volume, name);
  } catch (error) {
    return { material: undefined, findings: [fromError(error, file)] };
  }
  if (!path) {
    const findings = required
      ? [errorFinding('FILE_MISSING', file, 'does not exist', `put the ${describe(name)} in the TLS volume as ${name}`)]
      : [];
    return { material: undefined, findings };
  }
  return loadPemFile(path, file);
}

/**
 * Reads and decodes a PEM file; every problem becomes a finding instead of an exception. DER is
 * refused (the services read PEM) unless `acceptDer`, for commands that only look at a file.
 */
export async function loadPemFile(path: string, file = path, options: { acceptDer?: boolean } = {}): Promise<Loaded> {
  let bytes: Buffer;
  try {
    bytes = await readBounded(path);
  } catch (error) {
    return { material: undefined, findings: [fromError(error, file)] };
  }
  const format = classify(bytes);
  switch (format.kind) {
    case 'empty':
      return failed(errorFinding('FILE_EMPTY', file, 'is empty', 'write the PEM content into it'));
    case 'der':
      if (options.acceptDer) return decodeDerCertificate(format.der, file);
      return failed(
        errorFinding('FILE_DER', file, 'is DER (binary), not PEM', `convert it to PEM: ${conversionCommand(file, format.der)}`),
      );
    case 'unknown':
      return failed(
        errorFinding('FILE_NOT_PEM', file, 'holds no PEM block (no -----BEGIN line) and is not DER', 'check that this is the right file'),
      );
    case 'pem':
      return decodeBlocks(format.blocks, file);
  }
}

/** Decodes PEM given as text (inline in a flag or a config file) the way a file would be. */
export function decodePemText(text: string, name: string): Loaded {
  const format = classify(Buffer.from(text, 'utf8'));
  if (format.kind === 'empty') return failed(errorFinding('FILE_EMPTY', name, 'is empty', 'give the PEM text of one or more certificates'));
  if (format.kind !== 'pem') return failed(errorFinding('FILE_NOT_PEM', name, 'holds no PEM block (no -----BEGIN line)', 'give PEM text'));
  return decodeBlocks(format.blocks, name);
}

function decodeBlocks(blocks: PemBlock[], file: string): Loaded {
  const findings: Finding[] = [];
  const certificates: Certificate[] = [];
  const keyBlocks: PemBlock[] = [];
  blocks.forEach((block, index) => {
    if (isCertificateLabel(block.label)) {
      try {
        certificates.push(parseCertificate(block.der));
      } catch {
        findings.push(
          errorFinding('CERT_UNPARSABLE', file, `PEM block ${index + 1} is labelled CERTIFICATE but is not a valid X.509 certificate`, 'replace it with the certificate as issued'),
        );
      }
    } else if (isPrivateKeyLabel(block.label)) {
      keyBlocks.push(block);
    }
  });
  return { material: { file, certificates, keyBlocks }, findings };
}

function decodeDerCertificate(der: Buffer, file: string): Loaded {
  try {
    return { material: { file, certificates: [parseCertificate(der)], keyBlocks: [] }, findings: [] };
  } catch {
    return failed(errorFinding('CERT_UNPARSABLE', file, 'is DER but not an X.509 certificate', 'pass a certificate file'));
  }
}

function failed(finding: Finding): Loaded {
  return { material: undefined, findings: [finding] };
}

function fromError(error: unknown, file: string): Finding {
  if (!isDhError(error)) throw error;
  const known: RuleCode[] = ['FILE_MISSING', 'FILE_TOO_LARGE', 'FILE_OUTSIDE_VOLUME', 'FILE_UNREADABLE'];
  const code = (known as string[]).includes(error.code) ? (error.code as RuleCode) : 'FILE_UNREADABLE';
  return errorFinding(code, file, error.message, error.fix ?? 'check the file');
}

/** The exact command that fixes a DER file, for a certificate or a key. */
function conversionCommand(file: string, der: Buffer): string {
  const looksLikeKey = /key$/i.test(file) || isPkcs8OrTraditionalKey(der);
  return looksLikeKey
    ? `openssl pkey -inform der -in ${file} -out ${file}.pem && mv ${file}.pem ${file}`
    : `openssl x509 -inform der -in ${file} -out ${file}.pem && mv ${file}.pem ${file}`;
}

/** A key's DER starts with a small INTEGER (version); a certificate's with a SEQUENCE (TBS). */
function isPkcs8OrTraditionalKey(der: Buffer): boolean {
  const headerLength = (der[1] ?? 0) < 0x80 ? 2 : 2 + ((der[1] ?? 0) & 0x7f);
  return der[headerLength] === 0x02;
}

function describe(name: string): string {
  if (name === 'tls.crt') return "machine's certificate chain (PEM, leaf first)";
  if (name === 'tls.key') return "machine's private key (PEM, unencrypted)";
  return 'file';
}

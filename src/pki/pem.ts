/**
 * Telling PEM, DER and garbage apart, and splitting PEM into blocks. Operators hand us files
 * with text before and after the blocks (openssl x509 -text output), CRLF line ends, or bundles
 * of many certificates; all of that is legitimate PEM.
 */

export interface PemBlock {
  /** The word(s) after BEGIN: "CERTIFICATE", "PRIVATE KEY", "EC PRIVATE KEY", ... */
  label: string;
  /** RFC 1421 headers, e.g. Proc-Type: 4,ENCRYPTED on legacy encrypted keys. */
  headers: Record<string, string>;
  der: Buffer;
  /** The block as it appeared, normalised to LF line ends. */
  text: string;
}

export type FileFormat =
  | { kind: 'empty' }
  | { kind: 'pem'; blocks: PemBlock[] }
  | { kind: 'der'; der: Buffer }
  | { kind: 'unknown' };

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\n([\s\S]*?)-----END \1-----/g;

export function parsePemBlocks(text: string): PemBlock[] {
  // Most files have no CR at all: not scanning them again saves a pass over a whole CA bundle.
  const normalised = text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  const blocks: PemBlock[] = [];
  for (const match of normalised.matchAll(BLOCK)) {
    const label = match[1] ?? '';
    const body = match[2] ?? '';
    const headers: Record<string, string> = {};
    let base64 = body;
    const split = body.indexOf('\n\n');
    if (split >= 0 && /^[A-Za-z-]+:/.test(body)) {
      for (const line of body.slice(0, split).split('\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
      }
      base64 = body.slice(split + 2);
    }
    // Node's base64 decoder skips the line breaks itself (documented for Buffer.from): no copy
    // of every block without its whitespace first.
    blocks.push({ label, headers, der: Buffer.from(base64, 'base64'), text: match[0] + '\n' });
  }
  return blocks;
}

/** Decides what a file holds without trusting its name. */
export function classify(bytes: Uint8Array): FileFormat {
  if (bytes.length === 0 || isBlank(bytes)) return { kind: 'empty' };
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (looksLikeDerSequence(buffer)) return { kind: 'der', der: buffer };
  const blocks = parsePemBlocks(buffer.toString('latin1'));
  if (blocks.length > 0) return { kind: 'pem', blocks };
  return { kind: 'unknown' };
}

export function isCertificateLabel(label: string): boolean {
  // TRUSTED CERTIFICATE is OpenSSL's variant with trust settings appended; X509 CERTIFICATE is old.
  return label === 'CERTIFICATE' || label === 'X509 CERTIFICATE' || label === 'TRUSTED CERTIFICATE';
}

export function isPrivateKeyLabel(label: string): boolean {
  return /PRIVATE KEY$/.test(label);
}

export function toPem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function isBlank(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  }
  return true;
}

/**
 * A DER certificate or key is one SEQUENCE whose encoded length covers the whole file exactly.
 * Random bytes that start with 0x30 almost never satisfy that, so this is a safe test.
 */
function looksLikeDerSequence(buffer: Buffer): boolean {
  if (buffer.length < 2 || buffer[0] !== 0x30) return false;
  const first = buffer[1]!;
  let length: number;
  let header: number;
  if (first < 0x80) {
    length = first;
    header = 2;
  } else {
    const count = first & 0x7f;
    if (count === 0 || count > 4 || buffer.length < 2 + count) return false;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buffer[2 + i]!;
    header = 2 + count;
  }
  return header + length === buffer.length;
}

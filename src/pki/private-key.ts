import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { PemBlock } from './pem.js';

export type ParsedKey =
  | { kind: 'key'; key: KeyObject }
  | { kind: 'encrypted' }
  | { kind: 'unparsable' };

/**
 * Accepts the three unencrypted forms operators have: PKCS#8 ("PRIVATE KEY"), PKCS#1
 * ("RSA PRIVATE KEY") and SEC1 ("EC PRIVATE KEY"). node's own parser errors are dropped on
 * purpose: the caller's message names the file, and nothing derived from key bytes is shown.
 */
export function parsePrivateKey(block: PemBlock): ParsedKey {
  if (isEncrypted(block)) return { kind: 'encrypted' };
  try {
    return { kind: 'key', key: createPrivateKey({ key: block.text, format: 'pem' }) };
  } catch {
    return { kind: 'unparsable' };
  }
}

function isEncrypted(block: PemBlock): boolean {
  // PKCS#8 encryption changes the label; legacy OpenSSL encryption adds a Proc-Type header.
  return block.label === 'ENCRYPTED PRIVATE KEY' || (block.headers['Proc-Type'] ?? '').includes('ENCRYPTED');
}

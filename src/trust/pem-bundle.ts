import { toPem } from '../pki/pem.js';
import type { PoolEntry } from './pool.js';

/**
 * The PEM target: each certificate preceded by a comment naming it, in pool order, so the same
 * inputs give a byte-identical file that a person can still read.
 */
export function encodePemBundle(entries: PoolEntry[]): string {
  return entries.map((entry) => `# ${entry.alias}: ${entry.certificate.subject}\n${toPem('CERTIFICATE', entry.certificate.der)}`).join('');
}

import { createHash } from 'node:crypto';

/** The SHA-256 of some bytes, in hex: how plans name the content of a file they would write. */
export function sha256Of(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

import { randomBytes } from 'node:crypto';
import { readBounded } from '../base/read-bounded.js';
import { inputError } from '../base/errors.js';

/** 32 random bytes as base64url: 256 bits, and safe in a properties file or a shell. */
export function generatePassphrase(): string {
  return randomBytes(32).toString('base64url');
}

/** Reads a passphrase file: the first line, without its line end. */
export async function readPassphraseFile(path: string): Promise<string> {
  const text = (await readBounded(path, 64 * 1024)).toString('utf8');
  const passphrase = text.split(/\r?\n/)[0] ?? '';
  if (passphrase.length === 0) {
    throw inputError('PASSPHRASE_EMPTY', 'holds no passphrase on its first line', { subject: path, fix: 'write the passphrase into it, or remove it to have one generated' });
  }
  return passphrase;
}

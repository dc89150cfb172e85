import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { inputError } from '../base/errors.js';

/**
 * Key generation for what `cert ca` / `cert issue` create, and the signature algorithm a given
 * issuer key signs with. node:crypto generates natively (OpenSSL) and off the main thread.
 */

export const KEY_ALGORITHMS = ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];
export const DEFAULT_KEY_ALGORITHM: KeyAlgorithm = 'ecdsa-p256';

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const generate = promisify(generateKeyPair);

export function isKeyAlgorithm(value: string): value is KeyAlgorithm {
  return (KEY_ALGORITHMS as readonly string[]).includes(value);
}

export async function generateKey(algorithm: KeyAlgorithm): Promise<KeyPair> {
  switch (algorithm) {
    case 'ecdsa-p256':
      return generate('ec', { namedCurve: 'prime256v1' });
    case 'ecdsa-p384':
      return generate('ec', { namedCurve: 'secp384r1' });
    case 'rsa-2048':
      return generate('rsa', { modulusLength: 2048 });
    case 'rsa-3072':
      return generate('rsa', { modulusLength: 3072 });
    case 'rsa-4096':
      return generate('rsa', { modulusLength: 4096 });
  }
}

/** PKCS#8, unencrypted: what the TLS volume and every Deephaven service read. */
export function privateKeyToPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function isRsaKey(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'rsa';
}

/** How an issuer key signs a certificate: the hash for crypto.sign and the AlgorithmIdentifier. */
export interface SignatureAlgorithm {
  name: string;
  oid: string;
  /** null for Ed25519, whose signature scheme fixes its own hash. */
  hash: string | null;
  /** RSA PKCS#1 v1.5 identifiers carry an explicit NULL; ECDSA and EdDSA carry no parameters. */
  nullParameters: boolean;
}

const ECDSA_BY_CURVE: Record<string, SignatureAlgorithm> = {
  prime256v1: { name: 'ecdsa-with-SHA256', oid: '1.2.840.10045.4.3.2', hash: 'sha256', nullParameters: false },
  secp384r1: { name: 'ecdsa-with-SHA384', oid: '1.2.840.10045.4.3.3', hash: 'sha384', nullParameters: false },
  secp521r1: { name: 'ecdsa-with-SHA512', oid: '1.2.840.10045.4.3.4', hash: 'sha512', nullParameters: false },
};

const SHA256_WITH_RSA: SignatureAlgorithm = {
  name: 'sha256WithRSAEncryption',
  oid: '1.2.840.113549.1.1.11',
  hash: 'sha256',
  nullParameters: true,
};

const ED25519: SignatureAlgorithm = { name: 'Ed25519', oid: '1.3.101.112', hash: null, nullParameters: false };

/**
 * The algorithm follows the issuer's key, not the subject's. Users' own CAs may hold keys we never
 * generate (P-521, Ed25519), so those are accepted as issuers too; anything else is refused with
 * a message rather than producing a certificate nobody can verify.
 */
export function signatureAlgorithmFor(issuerKey: KeyObject, subject: string): SignatureAlgorithm {
  const type = issuerKey.asymmetricKeyType;
  if (type === 'rsa') return SHA256_WITH_RSA;
  if (type === 'ed25519') return ED25519;
  if (type === 'ec') {
    const curve = issuerKey.asymmetricKeyDetails?.namedCurve ?? '';
    const algorithm = ECDSA_BY_CURVE[curve];
    if (algorithm) return algorithm;
    throw inputError('CA_KEY_UNSUPPORTED', `is an EC key on curve ${curve || 'unknown'}, which cannot sign certificates here`, {
      subject,
      fix: 'use a CA key on P-256, P-384 or P-521, or an RSA key',
    });
  }
  throw inputError('CA_KEY_UNSUPPORTED', `is a ${type ?? 'unknown'} key, which cannot sign certificates here`, {
    subject,
    fix: 'use an ECDSA (P-256, P-384, P-521), RSA (PKCS#1 v1.5) or Ed25519 CA key',
  });
}

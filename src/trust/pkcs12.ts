import { createCipheriv, createHash, createHmac, pbkdf2, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { asn1Null, bmpString, derOids, explicit0, integer, joined, octetString, sequence, set, type Der } from './der.js';
import { pkcs12Sha256Key } from './pkcs12-kdf.js';

/**
 * PKCS#12 encoders for Java services: pure functions from certificates, key and password to
 * bytes. node-forge's toPkcs12Asn1 only handles RSA and cannot add bag attributes, so the
 * structure (RFC 7292) is assembled here as DER from Buffers (der.ts), with node:crypto's
 * HMAC, PBKDF2 and AES and the PKCS#12 KDF of pkcs12-kdf.ts. The bytes are exactly those the
 * earlier forge-built encoder wrote (test/trust/pkcs12-bytes.test.ts), so an unchanged
 * truststore stays unchanged across versions.
 *
 * Algorithms (see docs/pkcs12.md): MAC HMAC-SHA-256 with the PKCS#12 KDF, 10,000 iterations;
 * key bag PBES2 (PBKDF2-HMAC-SHA-256, AES-256-CBC), 10,000 iterations; certificate bags are
 * not encrypted (certificates are public). These are what JDK 11.0.12+ keytool writes itself,
 * and OpenSSL 3's default provider reads them without -legacy. A truststore without a password
 * of its own has no MAC at all, as JDK 18+ writes its cacerts.
 */

/** Encoded once: a truststore writes several per certificate. */
const OID = derOids({
  data: '1.2.840.113549.1.7.1',
  certBag: '1.2.840.113549.1.12.10.1.3',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSha256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  sha256: '2.16.840.1.101.3.4.2.1',
  /**
   * Oracle's "trusted key usage" bag attribute. Java loads a certificate-only bag as a
   * trustedCertEntry only when it carries this attribute; without it the store looks empty.
   */
  javaTrustedKeyUsage: '2.16.840.1.113894.746875.1.1',
  anyExtendedKeyUsage: '2.5.29.37.0',
});

/**
 * The same for every CA of a truststore: joined once, then shared by every bag, instead of two
 * more DER levels per certificate.
 */
const TRUSTED_FOR_ANY_USAGE = joined(attribute(OID.javaTrustedKeyUsage, OID.anyExtendedKeyUsage));

export const PKCS12_ITERATIONS = 10_000;

export interface TrustedCertificate {
  alias: string;
  der: Buffer;
}

export interface EncodeOptions {
  /**
   * Salt for the MAC. Defaults to one derived from the contents (never the password), so the
   * same inputs give the same bytes and an unchanged truststore is never rewritten.
   */
  macSalt?: Buffer;
}

/**
 * A truststore: every certificate a trustedCertEntry under its alias.
 *
 * With a password, a MAC keyed by it guards the contents. Without one (`undefined`), the store
 * is password-less: no MAC, as JDK 18+ writes its own cacerts (JDK-8275252). That is what a
 * store under a published password gets: a MAC keyed by "changeit", or by a passphrase in a
 * world-readable file beside the store, proves nothing, since whoever can change the file can
 * compute it again, and it cost the KDF's 10,000 rounds on every write. Java opens a
 * password-less store with any password or none; keytool and OpenSSL 3 list it.
 */
export function encodeTruststore(certificates: TrustedCertificate[], password: string | undefined, options: EncodeOptions = {}): Buffer {
  const bags = certificates.map((cert) => certBag(cert.der, [attribute(OID.friendlyName, bmpString(cert.alias)), TRUSTED_FOR_ANY_USAGE]));
  const authSafe = joined(sequence(dataContentInfo(sequence(...bags))));
  if (password === undefined) return joined(sequence(integer(3), dataContentInfo(authSafe)));
  return pfxUnderPassword(authSafe, password, options.macSalt ?? contentSalt);
}

export interface KeystoreEntry {
  alias: string;
  key: KeyObject;
  /** Leaf first, then its issuers. */
  chain: Buffer[];
}

const pbkdf2Async = promisify(pbkdf2);

/**
 * A keystore: one PrivateKeyEntry holding the key and its whole chain.
 *
 * The two key derivations neither of which needs the other run at once: the key's PBKDF2 on
 * libuv's thread pool (native, another core), the MAC key's PKCS#12 KDF on this thread (its
 * rounds are calls from JavaScript). Each is a few milliseconds of every start.
 */
export async function encodeKeystore(entry: KeystoreEntry, password: string): Promise<Buffer> {
  const [leaf, ...issuers] = entry.chain;
  if (!leaf) throw new Error('a keystore entry needs at least the leaf certificate');
  const keySalt = randomBytes(16);
  const derivingKey = pbkdf2Async(password, keySalt, PKCS12_ITERATIONS, 32, 'sha256');
  const macSalt = randomBytes(16);
  const macKey = pkcs12Sha256Key(password, macSalt, 3, PKCS12_ITERATIONS, 32);
  // localKeyId pairs the key with its certificate; SHA-1 of the leaf is what keytool uses.
  const pairing = [attribute(OID.friendlyName, bmpString(entry.alias)), attribute(OID.localKeyId, octetString(createHash('sha1').update(leaf).digest()))];
  const certBags = [certBag(leaf, pairing), ...issuers.map((der) => certBag(der, []))];
  const keyBag = safeBag(OID.pkcs8ShroudedKeyBag, encryptedPrivateKeyInfo(entry.key, await derivingKey, keySalt), pairing);
  const authSafe = joined(sequence(dataContentInfo(sequence(...certBags)), dataContentInfo(sequence(keyBag))));
  return pfx(authSafe, macSalt, macKey);
}

/** Derives the MAC salt from the bytes the MAC covers. */
type SaltFromContents = (authSafeDer: Buffer) => Buffer;

/** The PFX around `authSafe`, its MAC keyed by `password` through the PKCS#12 KDF. */
function pfxUnderPassword(authSafe: Buffer, password: string, salt: Buffer | SaltFromContents): Buffer {
  const macSalt = typeof salt === 'function' ? salt(authSafe) : salt;
  return pfx(authSafe, macSalt, pkcs12Sha256Key(password, macSalt, 3, PKCS12_ITERATIONS, 32));
}

function pfx(authSafe: Buffer, macSalt: Buffer, macKey: Buffer): Buffer {
  const mac = createHmac('sha256', macKey).update(authSafe).digest();
  const macData = sequence(sequence(sequence(OID.sha256, asn1Null()), octetString(mac)), octetString(macSalt), integer(PKCS12_ITERATIONS));
  return joined(sequence(integer(3), dataContentInfo(authSafe), macData));
}

function certBag(der: Buffer, attributes: Der[]): Der {
  return safeBag(OID.certBag, sequence(OID.x509Certificate, explicit0(octetString(der))), attributes);
}

/**
 * PBES2 (RFC 8018) with PBKDF2-HMAC-SHA-256 and AES-256-CBC. forge's encryptPrivateKeyInfo
 * writes the same structure but runs PBKDF2-SHA-256 in JavaScript, about 70 ms of the
 * keystore's cost; here the key derivation and cipher are node:crypto's.
 */
function encryptedPrivateKeyInfo(key: KeyObject, derivedKey: Buffer, salt: Buffer): Der {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', derivedKey, iv);
  const encrypted = Buffer.concat([cipher.update(key.export({ type: 'pkcs8', format: 'der' })), cipher.final()]);
  const pbkdf2Params = sequence(octetString(salt), integer(PKCS12_ITERATIONS), integer(32), sequence(OID.hmacWithSha256, asn1Null()));
  const algorithm = sequence(OID.pbes2, sequence(sequence(OID.pbkdf2, pbkdf2Params), sequence(OID.aes256Cbc, octetString(iv))));
  return sequence(algorithm, octetString(encrypted));
}

function safeBag(bagId: Buffer, value: Der, attributes: Der[]): Der {
  return attributes.length > 0 ? sequence(bagId, explicit0(value), set(...attributes)) : sequence(bagId, explicit0(value));
}

function dataContentInfo(safeContents: Der): Der {
  return sequence(OID.data, explicit0(octetString(safeContents)));
}

function attribute(id: Buffer, value: Der): Der {
  return sequence(id, set(value));
}

/**
 * A truststore's MAC salt: a hash of everything the MAC covers (certificates, aliases,
 * attributes) and nothing else. Never the password: a salt computed from it would let anyone
 * holding the file test a guess with one SHA-256 instead of the KDF's 10,000 iterations.
 */
const contentSalt: SaltFromContents = (authSafeDer) =>
  createHash('sha256').update('dh-podman pkcs12 mac salt\0').update(authSafeDer).digest().subarray(0, 16);

import type { KeyObject } from 'node:crypto';
import type { Certificate } from '../pki/certificate.js';
import { orderChain } from '../pki/chain.js';
import { errorFinding, type Finding } from '../pki/findings.js';
import { loadFromVolume } from '../pki/material.js';
import { parsePrivateKey } from '../pki/private-key.js';
import { encodeKeystore } from './pkcs12.js';

export interface KeystoreMaterial {
  key: KeyObject;
  /** Ordered leaf first. */
  chain: Certificate[];
  alias: string;
}

/**
 * Reads tls.crt and tls.key from a TLS volume for a keystore. Only what a keystore needs is
 * checked here (parsable, key matches, chain orderable); `cert check` judges the rest.
 */
export async function readKeystoreMaterial(
  tlsVolume: string,
  alias?: string,
  /** Which files hold the chain and the key: envoy.pem holds both. */
  files: { chain: string; key: string } = { chain: 'tls.crt', key: 'tls.key' },
): Promise<{ material: KeystoreMaterial | undefined; findings: Finding[] }> {
  const chainFile = await loadFromVolume(tlsVolume, files.chain, true);
  const keyFile = await loadFromVolume(tlsVolume, files.key, true);
  const findings = [...chainFile.findings, ...keyFile.findings];
  if (!chainFile.material || !keyFile.material) return { material: undefined, findings };

  const certs = chainFile.material.certificates;
  const keyBlock = keyFile.material.keyBlocks[0];
  const parsed = keyBlock ? parsePrivateKey(keyBlock) : undefined;
  if (certs.length === 0) findings.push(errorFinding('CERT_MISSING', chainFile.material.file, 'holds no CERTIFICATE block', 'put the PEM chain in it, leaf first'));
  if (!parsed) findings.push(errorFinding('KEY_MISSING', keyFile.material.file, 'holds no PRIVATE KEY block', 'add the unencrypted PEM key'));
  else if (parsed.kind === 'encrypted') findings.push(errorFinding('KEY_ENCRYPTED', keyFile.material.file, 'holds an encrypted key', 'decrypt it with openssl pkey'));
  else if (parsed.kind === 'unparsable') findings.push(errorFinding('KEY_UNPARSABLE', keyFile.material.file, 'holds a PRIVATE KEY block that is not a valid key', 'replace it with the PEM key'));
  if (findings.length > 0 || parsed?.kind !== 'key') return { material: undefined, findings };

  const owner = certs.find((cert) => cert.x509.checkPrivateKey(parsed.key));
  if (!owner) {
    findings.push(errorFinding('KEY_MISMATCH', keyFile.material.file, 'is not the key of any certificate in tls.crt', 'use the key the certificate was issued for'));
    return { material: undefined, findings };
  }
  const chain = orderChain(certs, owner).chain;
  return { material: { key: parsed.key, chain, alias: alias ?? defaultAlias(owner) }, findings };
}

export function buildKeystore(material: KeystoreMaterial, passphrase: string): Promise<Buffer> {
  return encodeKeystore({ alias: material.alias, key: material.key, chain: material.chain.map((c) => c.der) }, passphrase);
}

/** The machine's name is what operators look for in `keytool -list`. */
function defaultAlias(leaf: Certificate): string {
  return leaf.san?.dns[0]?.toLowerCase() ?? 'tls';
}

import { runtimeError } from '../base/errors.js';
import { toPem } from '../pki/pem.js';
import { readKeystoreMaterial } from '../trust/keystore.js';

/** A machine's certificate chain and key, as PEM for Node's TLS client. Never logged or printed. */
export interface ClientIdentity {
  certPem: string;
  keyPem: string;
}

/**
 * What a machine presents when it calls another under mutual TLS, for checks made on its behalf
 * (health waits, the call matrix): its own TLS volume, read with the keystore's loader.
 */
export async function machineIdentity(tlsVolume: string, hostname: string): Promise<ClientIdentity> {
  const { material, findings } = await readKeystoreMaterial(tlsVolume, hostname);
  if (!material) {
    const finding = findings[0];
    throw runtimeError(finding?.code ?? 'KEY_MISSING', `${finding?.file ?? tlsVolume}: ${finding?.message ?? 'no certificate and key'}`, {
      subject: finding?.file ?? tlsVolume,
      fix: finding?.fix ?? "put the machine's certificate and key in its TLS volume",
    });
  }
  return {
    certPem: material.chain.map((certificate) => toPem('CERTIFICATE', certificate.der)).join(''),
    keyPem: material.key.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

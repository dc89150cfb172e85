import { toPem } from '../pki/pem.js';
import { encodePemBundle } from '../trust/pem-bundle.js';
import { compareBytes, ENTERPRISE_ONLY, removals, withProperties, type DerivedFile, type DerivedInputs, type DerivedPlan } from './derived-files.js';
import { IN_CONTAINER } from './layout.js';

/**
 * The derived files of the community TLS profile (images labelled io.dh-podman.tls-profile=
 * community, such as images/deephaven): Deephaven Community reads its identity as a PEM chain
 * and a PKCS#8 PEM key (ssl.identity.type=privatekey) and its trust as a PEM bundle
 * (ssl.trust.type=certs), not the PKCS#12 stores and passphrases of the enterprise profile.
 * The key is written from the parsed key, so any form tls.key may hold (PKCS#1, SEC1, PKCS#8)
 * arrives as PKCS#8, readable by the service account only (as a Podman secret; see
 * secret-delivery.ts). With clientAuth, the server asks clients for a certificate
 * (ssl.clientAuthentication) and verifies it against the same trust bundle it uses for its own
 * outgoing TLS.
 */
export async function planCommunityFiles(inputs: DerivedInputs): Promise<DerivedPlan> {
  const { paths, keystore, cas, clientAuth } = inputs;
  const files: DerivedFile[] = [];
  const chainPem = keystore.chain.map((certificate) => toPem('CERTIFICATE', certificate.der)).join('');
  const keyPem = keystore.key.export({ type: 'pkcs8', format: 'pem' }) as string;
  // In the auth directory, which is root's alone on the host: 0600 like everything there.
  files.push(await compareBytes('identity chain', paths.identityChain, IN_CONTAINER.identityChain, 0o600, Buffer.from(chainPem)));
  files.push(await compareBytes('identity key', paths.identityKey, IN_CONTAINER.identityKey, 0o600, Buffer.from(keyPem)));
  const properties: Record<string, string> = {
    'ssl.identity.type': 'privatekey',
    'ssl.identity.certChainPath': IN_CONTAINER.identityChain,
    'ssl.identity.privateKeyPath': IN_CONTAINER.identityKey,
  };
  const trustPem: [string, string, string] = ['truststore PEM bundle', paths.truststoreIrisPem, IN_CONTAINER.truststoreIrisPem];
  if (cas) {
    files.push(await compareBytes(trustPem[0], trustPem[1], trustPem[2], 0o644, Buffer.from(encodePemBundle(cas))));
    properties['ssl.trust.type'] = 'certs';
    properties['ssl.trust.path'] = IN_CONTAINER.truststoreIrisPem;
  } else {
    files.push(...(await removals([trustPem])));
  }
  if (clientAuth) properties['ssl.clientAuthentication'] = clientAuth.toUpperCase();
  // What the enterprise profile derived, when the pod ran such an image before.
  files.push(...(await removals(ENTERPRISE_ONLY(paths))));
  return withProperties(paths, files, properties);
}

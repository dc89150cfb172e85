import { toPem } from '../pki/pem.js';
import { encodePemBundle } from '../trust/pem-bundle.js';
import { compareBytes, ENTERPRISE_ONLY, planDerivedFiles, removals, withProperties, type DerivedFile, type DerivedInputs, type DerivedPlan } from './derived-files.js';
import { IN_CONTAINER } from './layout.js';

/**
 * What the front beside an Envoy-fronted service reads, and what its internal trust is made of:
 * the same files for either profile, so the front never depends on the service's image.
 */
const FRONT_FILES: readonly string[] = [
  IN_CONTAINER.frontKeystore,
  IN_CONTAINER.keystorePassphrase,
  IN_CONTAINER.envoyConfig,
  IN_CONTAINER.truststoreInternal,
  IN_CONTAINER.truststoreInternalPem,
  IN_CONTAINER.truststorePassphrase,
];

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
 *
 * Outgoing TLS (a `dh://` URI resolved on another server) is configured by outbound.ssl.*,
 * always with the JVM's default trust (cacerts) added by Deephaven. Its source says it falls
 * back to ssl.* when outbound.ssl.* is absent, but the 42.7 server does not: without
 * outbound.ssl.trust.* it trusted only cacerts and refused a peer issued by the --ca-cert-file
 * CA (measured, PKIX path building failed). So outbound.ssl.* is always written: the machine's
 * own identity (presented to peers that ask for a client certificate) and the trust it serves
 * with, or, behind an Envoy front, the internal truststore: the narrower trust the trust model
 * gives service-to-service calls.
 */
export async function planCommunityFiles(inputs: DerivedInputs): Promise<DerivedPlan> {
  const { paths, keystore, cas, internalCas, front, clientAuth } = inputs;
  const files: DerivedFile[] = [];
  const chainPem = keystore.chain.map((certificate) => toPem('CERTIFICATE', certificate.der)).join('');
  const keyPem = keystore.key.export({ type: 'pkcs8', format: 'pem' }) as string;
  // In the auth directory, which is root's alone on the host: 0600 like everything there.
  files.push(await compareBytes('identity chain', paths.identityChain, IN_CONTAINER.identityChain, 0o600, Buffer.from(chainPem)));
  files.push(await compareBytes('identity key', paths.identityKey, IN_CONTAINER.identityKey, 0o600, Buffer.from(keyPem)));
  const identity = {
    'ssl.identity.type': 'privatekey',
    'ssl.identity.certChainPath': IN_CONTAINER.identityChain,
    'ssl.identity.privateKeyPath': IN_CONTAINER.identityKey,
  };
  const properties: Record<string, string> = { ...identity };
  for (const [key, value] of Object.entries(identity)) properties[`outbound.${key}`] = value;
  const trustPem: [string, string, string] = ['truststore PEM bundle', paths.truststoreIrisPem, IN_CONTAINER.truststoreIrisPem];
  if (cas) {
    files.push(await compareBytes(trustPem[0], trustPem[1], trustPem[2], 0o644, Buffer.from(encodePemBundle(cas))));
    properties['ssl.trust.type'] = 'certs';
    properties['ssl.trust.path'] = IN_CONTAINER.truststoreIrisPem;
  } else {
    files.push(...(await removals([trustPem])));
  }
  if (clientAuth) properties['ssl.clientAuthentication'] = clientAuth.toUpperCase();
  // The front's files (and the internal truststore) are planned as for the enterprise profile:
  // the front is the same container whatever the service behind it reads.
  const kept = front || internalCas ? (await planDerivedFiles(inputs)).files.filter((file) => FRONT_FILES.includes(file.containerPath)) : [];
  files.push(...kept);
  const outboundTrust = internalCas ? IN_CONTAINER.truststoreInternalPem : cas ? IN_CONTAINER.truststoreIrisPem : undefined;
  if (outboundTrust) {
    properties['outbound.ssl.trust.type'] = 'certs';
    properties['outbound.ssl.trust.path'] = outboundTrust;
  }
  // What the enterprise profile derived, when the pod ran such an image before.
  const keptPaths = new Set(kept.map((file) => file.containerPath));
  files.push(...(await removals(ENTERPRISE_ONLY(paths).filter(([, , containerPath]) => !keptPaths.has(containerPath)))));
  return withProperties(paths, files, properties);
}

import { join } from 'node:path';

/** Where the trust model puts things inside every container (the spec's defaults). */
export const IN_CONTAINER = {
  tlsDir: '/etc/sysconfig/deephaven/tls',
  authDir: '/etc/sysconfig/deephaven/auth',
  trustDir: '/etc/sysconfig/deephaven/trust',
  keystore: '/etc/sysconfig/deephaven/auth/keystore.p12',
  keystorePassphrase: '/etc/sysconfig/deephaven/auth/keystore.passphrase',
  truststoreIris: '/etc/sysconfig/deephaven/trust/truststore-iris.p12',
  truststoreIrisPem: '/etc/sysconfig/deephaven/trust/truststore-iris.pem',
  truststoreInternal: '/etc/sysconfig/deephaven/trust/truststore-internal.p12',
  truststoreInternalPem: '/etc/sysconfig/deephaven/trust/truststore-internal.pem',
  truststorePassphrase: '/etc/sysconfig/deephaven/trust/truststore.passphrase',
  properties: '/etc/sysconfig/deephaven/dh-podman.prop',
  frontKeystore: '/etc/sysconfig/deephaven/auth/front-keystore.p12',
  envoyConfig: '/etc/envoy/envoy.yaml',
  /** The community TLS profile: the chain and PKCS#8 key as PEM, what Deephaven Community reads. */
  identityChain: '/etc/sysconfig/deephaven/auth/tls-chain.pem',
  identityKey: '/etc/sysconfig/deephaven/auth/tls-key.pem',
} as const;

/** The uid of the service account images/base creates (dhsvc); it must read the keystore. */
export const SERVICE_UID = 9000;
/**
 * The uid the front runs as: Envoy's own (its image's envoy user), and never the service's, so
 * that neither reads the other's secrets. The stand-in front runs as any uid.
 */
export const FRONT_UID = 101;
export const SERVICE_PORT = 8123;
/** Images dh-podman builds are tagged <prefix><name>:latest. */
export const DEFAULT_TAG_PREFIX = 'localhost/dh-podman/';
export const DEFAULT_IMAGE = 'localhost/dh-podman/probe:latest';
export const DEFAULT_NETWORK = 'dh-podman';
export const ENVOY_PORT = 8000;
/** The upstream Envoy; where no registry is reachable, localhost/dh-podman/front:latest stands in. */
export const DEFAULT_ENVOY_IMAGE = 'docker.io/envoyproxy/envoy:v1.31-latest';

/**
 * What `up` can run: the Deephaven server (images/deephaven, minutes to build the first time and
 * a JVM start), or the probe (images/probe, seconds), a TLS endpoint for tests that need no more.
 * Each is ready when its `ready` path answers 200 over TLS; `open` is what a person opens.
 */
export const DEV_SERVICES = {
  deephaven: { ready: '/ide/', open: '/ide/', readyWithinMs: 600_000 },
  probe: { ready: '/health', open: '/health', readyWithinMs: 60_000 },
} as const;
export type DevService = keyof typeof DEV_SERVICES;
export const DEFAULT_DEV_SERVICE: DevService = 'deephaven';

/** The host side of a cluster's own files: generated certificates, its CA, its trust bundle. */
export function clusterStatePaths(stateDir: string, cluster: string) {
  const root = join(stateDir, 'clusters', cluster);
  return { root, caDir: join(root, 'ca'), trustBundle: join(root, 'trust-bundle.pem'), tlsVolume: (pod: string) => join(root, 'tls', pod) };
}

/** The host side of one pod's derived files. */
export function podStatePaths(stateDir: string, pod: string) {
  const root = join(stateDir, 'pods', pod);
  return {
    root,
    authDir: join(root, 'auth'),
    trustDir: join(root, 'trust'),
    keystore: join(root, 'auth', 'keystore.p12'),
    keystorePassphrase: join(root, 'auth', 'keystore.passphrase'),
    truststoreIris: join(root, 'trust', 'truststore-iris.p12'),
    truststoreIrisPem: join(root, 'trust', 'truststore-iris.pem'),
    truststorePassphrase: join(root, 'trust', 'truststore.passphrase'),
    truststoreInternal: join(root, 'trust', 'truststore-internal.p12'),
    truststoreInternalPem: join(root, 'trust', 'truststore-internal.pem'),
    properties: join(root, 'dh-podman.prop'),
    frontKeystore: join(root, 'auth', 'front-keystore.p12'),
    envoyConfig: join(root, 'envoy.yaml'),
    identityChain: join(root, 'auth', 'tls-chain.pem'),
    identityKey: join(root, 'auth', 'tls-key.pem'),
    lock: join(root, '.lock'),
  };
}
export type PodStatePaths = ReturnType<typeof podStatePaths>;

/** A pod name from an FQDN: the whole name, so dh1.a and dh1.b never collide. */
export function podNameFor(hostname: string): string {
  return hostname.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
}

import { readFile } from 'node:fs/promises';
import { pathExists } from '../base/atomic-write.js';
import { timed, timedSync } from '../base/timing.js';
import type { KeystoreMaterial } from '../trust/keystore.js';
import { buildKeystore } from '../trust/keystore.js';
import { encodePemBundle } from '../trust/pem-bundle.js';
import { encodeTruststore } from '../trust/pkcs12.js';
import { readKeystore } from '../trust/pkcs12-read.js';
import { generatePassphrase, readPassphraseFile } from '../trust/passphrase.js';
import type { PoolEntry } from '../trust/pool.js';
import { IN_CONTAINER, type PodStatePaths } from './layout.js';
import type { ClientAuth } from './tls-profile.js';

export type FileAction = 'create' | 'update' | 'unchanged' | 'remove';

/** One file dh-podman owns in a pod's state directory. Its content never leaves the process. */
export interface DerivedFile {
  purpose: string;
  hostPath: string;
  containerPath: string;
  mode: number;
  /**
   * Delivered as a Podman secret, not through a bind mount: every file of the auth directory
   * (keystores, passphrases, key copies). See isSecretPath.
   */
  secret: boolean;
  action: FileAction;
  content: Buffer;
}

export interface DerivedInputs {
  paths: PodStatePaths;
  keystore: KeystoreMaterial;
  /** The --ca-cert-file CAs; undefined means system trust (no truststore at all). */
  cas: PoolEntry[] | undefined;
  /** Envoy-fronted pods only: the CAs of the machines' own certificates, trusted internally. */
  internalCas?: PoolEntry[] | undefined;
  /** Envoy-fronted pods only: what the front presents, and the generated Envoy bootstrap. */
  front?: { material: KeystoreMaterial; envoyConfig: string } | undefined;
  /** Mutual TLS: the service asks its callers for a certificate (tls.clientAuthentication). */
  clientAuth?: ClientAuth | undefined;
}

export interface DerivedPlan {
  files: DerivedFile[];
  properties: Record<string, string>;
  javaOpts: string;
}

/**
 * The files the trust model derives for one machine, each compared with what is on disk so a
 * second identical run changes nothing. Passphrases already on disk are kept: a new one would
 * change every store for no reason.
 */
export async function planDerivedFiles(inputs: DerivedInputs): Promise<DerivedPlan> {
  const { paths, keystore, cas, internalCas, front, clientAuth } = inputs;
  const files: DerivedFile[] = [];

  const keystorePassphrase = await existingOrNewPassphrase(paths.keystorePassphrase);
  files.push(await compareBytes('keystore passphrase', paths.keystorePassphrase, IN_CONTAINER.keystorePassphrase, 0o600, Buffer.from(`${keystorePassphrase}\n`)));
  files.push(await planKeystore('keystore', paths.keystore, IN_CONTAINER.keystore, keystore, keystorePassphrase));
  if (front) {
    files.push(await planKeystore('front keystore', paths.frontKeystore, IN_CONTAINER.frontKeystore, front.material, keystorePassphrase));
    files.push(await compareBytes('Envoy bootstrap', paths.envoyConfig, IN_CONTAINER.envoyConfig, 0o644, Buffer.from(front.envoyConfig)));
  } else {
    files.push(...(await removals([['front keystore', paths.frontKeystore, IN_CONTAINER.frontKeystore], ['Envoy bootstrap', paths.envoyConfig, IN_CONTAINER.envoyConfig]])));
  }
  // What the community profile derived, when the pod ran such an image before.
  files.push(...(await removals(COMMUNITY_ONLY(paths))));

  const properties: Record<string, string> = {
    'tls.keystore': IN_CONTAINER.keystore,
    'tls.passphrase.file': IN_CONTAINER.keystorePassphrase,
  };
  // Both truststores share one passphrase file (the trust model keeps them compatible).
  const passphraseFile: [string, string, string] = ['truststore passphrase', paths.truststorePassphrase, IN_CONTAINER.truststorePassphrase];
  const stores: { entries: PoolEntry[] | undefined; files: [string, string, string][]; property: string }[] = [
    {
      entries: cas,
      property: 'tls.truststore',
      files: [
        ['truststore', paths.truststoreIris, IN_CONTAINER.truststoreIris],
        ['truststore PEM bundle', paths.truststoreIrisPem, IN_CONTAINER.truststoreIrisPem],
      ],
    },
    {
      entries: internalCas,
      property: 'internal.tls.truststore',
      files: [
        ['internal truststore', paths.truststoreInternal, IN_CONTAINER.truststoreInternal],
        ['internal truststore PEM bundle', paths.truststoreInternalPem, IN_CONTAINER.truststoreInternalPem],
      ],
    },
  ];
  const anyStore = stores.some((store) => store.entries);
  const truststorePassphrase = anyStore ? await existingOrNewPassphrase(paths.truststorePassphrase) : '';
  for (const store of stores) {
    if (store.entries) {
      const entries = store.entries.map((e) => ({ alias: e.alias, der: e.certificate.der }));
      // Password-less (docs/pkcs12.md): the passphrase file is world-readable beside the store, so a
      // MAC keyed by it would prove nothing. Services still pass the passphrase; Java accepts any.
      const p12 = timedSync(`${store.files[0]![0]}: PKCS#12 of ${entries.length} certificate(s)`, () => encodeTruststore(entries, undefined));
      const [[p12Purpose, p12Path, p12InContainer], [pemPurpose, pemPath, pemInContainer]] = store.files as [[string, string, string], [string, string, string]];
      files.push(await compareBytes(p12Purpose, p12Path, p12InContainer, 0o644, p12));
      files.push(await compareBytes(pemPurpose, pemPath, pemInContainer, 0o644, Buffer.from(encodePemBundle(store.entries))));
      properties[store.property] = store.files[0]![2];
    } else {
      // A store left from an earlier start would mislead: without its input, it goes.
      files.push(...(await removals(store.files)));
    }
  }
  // The same WANTED/NEEDED words as the community profile's ssl.clientAuthentication.
  if (clientAuth) properties['tls.clientAuthentication'] = clientAuth.toUpperCase();
  if (anyStore) {
    files.push(await compareBytes(passphraseFile[0], passphraseFile[1], passphraseFile[2], 0o644, Buffer.from(`${truststorePassphrase}\n`)));
    properties['tls.truststore.passphrase.file'] = IN_CONTAINER.truststorePassphrase;
  } else {
    files.push(...(await removals([passphraseFile])));
  }
  return withProperties(paths, files, properties);
}

/** The properties file and DH_JAVA_OPTS: the same properties, for services that read either. */
export async function withProperties(paths: PodStatePaths, files: DerivedFile[], properties: Record<string, string>): Promise<DerivedPlan> {
  files.push(await compareBytes('properties', paths.properties, IN_CONTAINER.properties, 0o644, Buffer.from(renderProperties(properties))));
  const javaOpts = [`-Ddh.properties=${IN_CONTAINER.properties}`, ...Object.entries(properties).map(([key, value]) => `-D${key}=${value}`)].join(' ');
  return { files, properties, javaOpts };
}

/** The files only the enterprise profile has; the community profile removes them. */
export const ENTERPRISE_ONLY = (paths: PodStatePaths): [string, string, string][] => [
  ['keystore', paths.keystore, IN_CONTAINER.keystore],
  ['keystore passphrase', paths.keystorePassphrase, IN_CONTAINER.keystorePassphrase],
  ['truststore', paths.truststoreIris, IN_CONTAINER.truststoreIris],
  ['internal truststore', paths.truststoreInternal, IN_CONTAINER.truststoreInternal],
  ['internal truststore PEM bundle', paths.truststoreInternalPem, IN_CONTAINER.truststoreInternalPem],
  ['truststore passphrase', paths.truststorePassphrase, IN_CONTAINER.truststorePassphrase],
  ['front keystore', paths.frontKeystore, IN_CONTAINER.frontKeystore],
  ['Envoy bootstrap', paths.envoyConfig, IN_CONTAINER.envoyConfig],
];

/** The files only the community profile has; the enterprise profile removes them. */
const COMMUNITY_ONLY = (paths: PodStatePaths): [string, string, string][] => [
  ['identity chain', paths.identityChain, IN_CONTAINER.identityChain],
  ['identity key', paths.identityKey, IN_CONTAINER.identityKey],
];

function renderProperties(properties: Record<string, string>): string {
  const lines = ['# Derived by dh-podman from the TLS volume and --ca-cert-file; rewritten on every start.'];
  for (const [key, value] of Object.entries(properties)) lines.push(`${key}=${value}`);
  return `${lines.join('\n')}\n`;
}

export async function removals(files: [string, string, string][]): Promise<DerivedFile[]> {
  const gone: DerivedFile[] = [];
  for (const [purpose, hostPath, containerPath] of files) {
    if (await pathExists(hostPath)) gone.push({ purpose, hostPath, containerPath, mode: 0o644, secret: isSecretPath(containerPath), action: 'remove', content: Buffer.alloc(0) });
  }
  return gone;
}

async function existingOrNewPassphrase(path: string): Promise<string> {
  return (await pathExists(path)) ? readPassphraseFile(path) : generatePassphrase();
}

async function planKeystore(purpose: string, hostPath: string, containerPath: string, material: KeystoreMaterial, passphrase: string): Promise<DerivedFile> {
  const base = { purpose, hostPath, containerPath, mode: 0o600, secret: isSecretPath(containerPath) };
  const existing = await readFile(hostPath).catch(() => undefined);
  if (existing) {
    const contents = timedSync(`${purpose}: reading the one on disk`, () => readKeystore(existing, passphrase));
    const sameKey = contents?.key.export({ type: 'pkcs8', format: 'der' }).equals(material.key.export({ type: 'pkcs8', format: 'der' }));
    const sameChain =
      contents?.certificates.length === material.chain.length && contents.certificates.every((der, i) => der.equals(material.chain[i]!.der));
    if (contents && sameKey && sameChain && contents.alias === material.alias) return { ...base, action: 'unchanged', content: existing };
  }
  return { ...base, action: existing ? 'update' : 'create', content: await timed(`${purpose}: PKCS#12 of key and chain`, () => buildKeystore(material, passphrase)) };
}

export async function compareBytes(purpose: string, hostPath: string, containerPath: string, mode: number, content: Buffer): Promise<DerivedFile> {
  const existing = await readFile(hostPath).catch(() => undefined);
  const action: FileAction = !existing ? 'create' : existing.equals(content) ? 'unchanged' : 'update';
  return { purpose, hostPath, containerPath, mode, secret: isSecretPath(containerPath), action, content };
}

/**
 * The auth directory holds what only its reader may see. On the host it stays root's (0700);
 * the container gets each of its files as a Podman secret with the reader's uid, so no host
 * file is ever owned by the container's uid, which on the host may be somebody's account.
 */
export function isSecretPath(containerPath: string): boolean {
  return containerPath.startsWith(`${IN_CONTAINER.authDir}/`);
}

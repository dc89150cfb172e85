import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathExists, writeFileAtomic, writeFileIfChanged } from '../base/atomic-write.js';
import { intermediatesOf, issuerOf, loadCaFromDir, loadCaFromFiles, type CaSource } from '../pki/ca-source.js';
import { isIssuedBy } from '../pki/chain.js';
import { canonicalIp } from '../pki/hostname.js';
import { issueLeaf, issueRootCa } from '../pki/issue.js';
import { loadPemFile } from '../pki/material.js';
import { toPem } from '../pki/pem.js';
import { parsePrivateKey } from '../pki/private-key.js';
import type { ClusterSpec } from './cluster-file.js';
import { podStatePaths } from './layout.js';
import { etcdCaFile, etcdMembers, etcdStatePaths, OPERATOR_CLIENT, type EtcdMember } from './etcd-spec.js';

/** Reissued this long before expiry, as machine certificates are. */
const RENEW_BEFORE_MS = 30 * 24 * 60 * 60 * 1000;

/** A machine's etcd client files on the host: tls.crt, tls.key (delivered as a secret) and ca.crt. */
export function etcdClientDir(stateDir: string, pod: string): string {
  return join(podStatePaths(stateDir, pod).root, 'etcd-client');
}

export interface EtcdMaterial {
  caFile: string;
  members: EtcdMember[];
  /** Owner (a machine pod, or "operator") to its client directory. */
  clients: Map<string, string>;
  issued: string[];
}

/**
 * The etcd CA (the given one, or the cluster's own, made once and kept), a certificate per
 * member (unless given) with its IP SANs, and a client certificate per machine and one for the
 * operator. Each is kept while it is still from this CA, for these addresses and far from
 * expiry; otherwise reissued. Nothing here is trusted by the machines' TLS: the etcd CA goes
 * only into the etcd client directories.
 */
export async function ensureEtcdMaterial(spec: ClusterSpec, stateDir: string, onStep: (line: string) => void): Promise<EtcdMaterial> {
  const paths = etcdStatePaths(stateDir, spec.cluster);
  const ca = await etcdCa(spec, stateDir, onStep);
  const caPem = await readFile(etcdCaFile(spec, stateDir), 'utf8');
  const issued: string[] = [];
  const members = etcdMembers(spec, stateDir);
  for (const member of members.filter((m) => !m.given)) {
    const ips = [...new Set([member.ip, member.clientIp])];
    if (await stillGood(member.tlsVolume, ca, ips)) continue;
    onStep(`issuing the etcd certificate of ${member.name} (IP ${ips.join(', ')}) into ${member.tlsVolume}`);
    await writePair(member.tlsVolume, await issueMemberPair(spec, ca, member));
    issued.push(member.name);
  }
  const clients = new Map<string, string>();
  const owners = [...spec.pods.map((pod) => ({ owner: pod.name, hostname: pod.hostname, dir: etcdClientDir(stateDir, pod.name) })), { owner: OPERATOR_CLIENT, hostname: operatorHostname(spec), dir: paths.client(OPERATOR_CLIENT) }];
  for (const { owner, hostname, dir } of owners) {
    clients.set(owner, dir);
    await writeFileIfChanged(join(dir, 'ca.crt'), caPem, 0o644);
    if (await stillGood(dir, ca, [])) continue;
    onStep(`issuing the etcd client certificate of ${owner} into ${dir}`);
    await writePair(dir, await issueClientPair(ca, hostname));
    issued.push(owner);
  }
  return { caFile: etcdCaFile(spec, stateDir), members, clients, issued };
}

/** A key and certificate chain, as written to tls.key and tls.crt. */
export interface EtcdPair {
  keyPem: string;
  chainPem: string;
}

/** serverAuth for clients, clientAuth for the other members: peers are each other's clients. */
export async function issueMemberPair(spec: ClusterSpec, ca: CaSource, member: EtcdMember): Promise<EtcdPair> {
  const ips = [...new Set([member.ip, member.clientIp])];
  const leaf = await issueLeaf(issuerOf(ca), { hostnames: [`${member.name}.${spec.cluster}.etcd`], ips, client: true });
  return { keyPem: leaf.privateKeyPem, chainPem: [leaf.certificatePem, ...chainOf(ca)].join('') };
}

/** A client certificate only: a machine (or the operator) never serves etcd with it. */
export async function issueClientPair(ca: CaSource, hostname: string): Promise<EtcdPair> {
  const leaf = await issueLeaf(issuerOf(ca), { hostnames: [hostname], client: true, server: false });
  return { keyPem: leaf.privateKeyPem, chainPem: [leaf.certificatePem, ...chainOf(ca)].join('') };
}

export function operatorHostname(spec: ClusterSpec): string {
  return `${OPERATOR_CLIENT}.${spec.cluster}.etcd`;
}

function chainOf(ca: CaSource): string[] {
  return intermediatesOf(ca).map((cert) => toPem('CERTIFICATE', cert.der));
}

/** The etcd CA that issues: the given one, or the cluster's own (made here the first time). */
export async function etcdCa(spec: ClusterSpec, stateDir: string, onStep: (line: string) => void): Promise<CaSource> {
  if (spec.etcd?.ca) return loadCaFromFiles(spec.etcd.ca.cert, spec.etcd.ca.key);
  const dir = etcdStatePaths(stateDir, spec.cluster).caDir;
  if (!(await pathExists(join(dir, 'ca.crt')))) {
    onStep(`making the etcd CA in ${dir}`);
    const ca = await issueRootCa({ commonName: `dh-podman ${spec.cluster} etcd CA` });
    await writeFileAtomic(join(dir, 'ca.key'), ca.privateKeyPem, { mode: 0o600 });
    await writeFileAtomic(join(dir, 'ca.crt'), ca.certificatePem, { mode: 0o644 });
  }
  return loadCaFromDir(dir);
}

/** tls.crt and tls.key of `dir` are a pair from this CA, with these IP SANs, not near expiry. */
async function stillGood(dir: string, ca: CaSource, ips: string[]): Promise<boolean> {
  if (!(await pathExists(join(dir, 'tls.key')))) return false;
  const { material } = await loadPemFile(join(dir, 'tls.crt'));
  const leaf = material?.certificates[0];
  if (!leaf || !isIssuedBy(leaf, ca.certificate)) return false;
  if (leaf.notAfter.getTime() - Date.now() < RENEW_BEFORE_MS) return false;
  const have = (leaf.san?.ip ?? []).map(canonicalIp).sort().join(',');
  if (ips.length > 0 && have !== ips.map(canonicalIp).sort().join(',')) return false;
  // A key file that is not exactly one readable key is reissued with the rest.
  const keys = await loadPemFile(join(dir, 'tls.key'));
  const block = keys.material?.keyBlocks.length === 1 ? keys.material.keyBlocks[0]! : undefined;
  const parsed = block ? parsePrivateKey(block) : undefined;
  return parsed?.kind === 'key' && leaf.x509.checkPrivateKey(parsed.key);
}

export async function writePair(dir: string, pair: EtcdPair): Promise<void> {
  await writeFileAtomic(join(dir, 'tls.key'), pair.keyPem, { mode: 0o600, overwrite: true });
  await writeFileAtomic(join(dir, 'tls.crt'), pair.chainPem, { mode: 0o644, overwrite: true });
}

/** What a directory holds now, to put back: undefined when it has no pair yet. */
export async function readPair(dir: string): Promise<EtcdPair | undefined> {
  const keyPem = await readFile(join(dir, 'tls.key'), 'utf8').catch(() => undefined);
  const chainPem = await readFile(join(dir, 'tls.crt'), 'utf8').catch(() => undefined);
  return keyPem !== undefined && chainPem !== undefined ? { keyPem, chainPem } : undefined;
}

import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathExists, writeFileAtomic } from '../base/atomic-write.js';
import { CA_CERT_FILE, CA_KEY_FILE, intermediatesOf, issuerOf, loadCaFromDir, loadCaFromFiles } from '../pki/ca-source.js';
import { checkTlsVolume } from '../pki/check.js';
import { issueLeaf, issueRootCa } from '../pki/issue.js';
import { toPem } from '../pki/pem.js';
import type { ClusterSpec, PodSpecEntry } from './cluster-file.js';
import { clusterCaDir, tlsVolumeOf } from './cluster-paths.js';
import { clusterStatePaths } from './layout.js';

/** A file of the cluster's own (its CA, a generated certificate, its trust bundle) this run writes. */
export interface PlannedWrite {
  purpose: string;
  path: string;
  mode: number;
  action: 'create' | 'update';
  content: Buffer;
  /** The pod that alone uses it; none when the cluster's pods share it (the CA, the bundle). */
  pod?: string | undefined;
}

/** A certificate this run issues. */
export interface PlannedIssue {
  what: 'cluster CA' | 'certificate';
  subject: string;
  reason: string;
  pod?: string | undefined;
}

export interface IssuancePlan {
  issues: PlannedIssue[];
  writes: PlannedWrite[];
  /** Where the checks read each pod's certificate: its TLS volume, or the copy staged for it. */
  materialVolumes: Map<string, string>;
  /** The CA file the pods trust, to read for planning (the staged bundle when it changes). */
  trustFile: string | undefined;
  /** Names a staged file by where it will be written: findings and errors speak of those. */
  unstage(text: string): string;
  /** Removes what was staged; the plan keeps the bytes it needs. */
  dispose(): Promise<void>;
}

/**
 * What `up -f` and `rotate` issue, worked out without touching the cluster's state: a new
 * cluster CA when generate-mode pods need one and there is none, a certificate for every
 * generate or ca pod whose own does not pass the checks (or expires soon), and the trust bundle
 * (trust.caCertFile plus the cluster CA). They are issued here, into a private staging directory
 * outside the state dir, so the same checks and derived files a real run makes are planned from
 * the very certificates it will write; apply writes those bytes, a dry run forgets them.
 */
export async function planIssuance(spec: ClusterSpec, stateDir: string, selected: PodSpecEntry[]): Promise<IssuancePlan> {
  // mkdtemp makes the directory 0700: staged keys are readable by this user alone.
  const staging = await mkdtemp(join(tmpdir(), 'dh-podman-plan-'));
  const dispose = () => rm(staging, { recursive: true, force: true });
  try {
    const issues: PlannedIssue[] = [];
    const writes: PlannedWrite[] = [];
    const materialVolumes = new Map<string, string>();
    // Staged place → real place, the longest first so a file inside a staged volume maps whole.
    const places: [string, string][] = [];
    const caDir = clusterCaDir(spec, stateDir);
    const generated = spec.pods.some((pod) => pod.certificate.mode === 'generate');
    let issuingCaDir = caDir;
    if (generated && !(await pathExists(join(caDir, CA_CERT_FILE)))) {
      const subject = `dh-podman ${spec.cluster} cluster CA`;
      const ca = await issueRootCa({ commonName: subject });
      issuingCaDir = join(staging, 'ca');
      places.push([issuingCaDir, caDir]);
      await stage(join(issuingCaDir, CA_KEY_FILE), ca.privateKeyPem, 0o600);
      await stage(join(issuingCaDir, CA_CERT_FILE), ca.certificatePem, 0o644);
      issues.push({ what: 'cluster CA', subject, reason: `there is no ${CA_CERT_FILE} in ${caDir}` });
      writes.push(
        { purpose: 'cluster CA key', path: join(caDir, CA_KEY_FILE), mode: 0o600, action: 'create', content: Buffer.from(ca.privateKeyPem) },
        { purpose: 'cluster CA certificate', path: join(caDir, CA_CERT_FILE), mode: 0o644, action: 'create', content: Buffer.from(ca.certificatePem) },
      );
    }
    for (const pod of selected) {
      const volume = tlsVolumeOf(spec, stateDir, pod);
      materialVolumes.set(pod.name, volume);
      if (pod.certificate.mode === 'existing') continue;
      const reason = await reissueReason(pod, volume);
      if (!reason) continue;
      const ca = pod.certificate.mode === 'ca' ? await loadCaFromFiles(pod.certificate.caCert, pod.certificate.caKey) : await loadCaFromDir(issuingCaDir);
      const leaf = await issueLeaf(issuerOf(ca), { hostnames: [pod.hostname], ips: [], client: true });
      const chain = [leaf.certificatePem, ...intermediatesOf(ca).map((cert) => toPem('CERTIFICATE', cert.der))].join('');
      const staged = join(staging, 'pods', pod.name);
      await stage(join(staged, 'tls.key'), leaf.privateKeyPem, 0o600);
      await stage(join(staged, 'tls.crt'), chain, 0o644);
      // What else the volume holds (envoy.pem) is read from the staged copy too.
      if (await pathExists(join(volume, 'envoy.pem'))) await copyFile(join(volume, 'envoy.pem'), join(staged, 'envoy.pem'));
      materialVolumes.set(pod.name, staged);
      places.push([staged, volume]);
      issues.push({ what: 'certificate', subject: pod.hostname, reason, pod: pod.name });
      const action = (path: string) => pathExists(path).then((exists) => (exists ? 'update' : 'create') as PlannedWrite['action']);
      writes.push(
        { purpose: `private key of ${pod.name}`, path: join(volume, 'tls.key'), mode: 0o600, action: await action(join(volume, 'tls.key')), content: Buffer.from(leaf.privateKeyPem), pod: pod.name },
        { purpose: `certificate of ${pod.name}`, path: join(volume, 'tls.crt'), mode: 0o644, action: await action(join(volume, 'tls.crt')), content: Buffer.from(chain), pod: pod.name },
      );
    }
    const trustFile = await planTrustBundle(spec, stateDir, issuingCaDir, staging, writes);
    places.push([join(staging, 'trust-bundle.pem'), clusterStatePaths(stateDir, spec.cluster).trustBundle]);
    const unstage = (text: string) => places.reduce((out, [from, to]) => out.split(from).join(to), text);
    return { issues, writes, materialVolumes, trustFile, unstage, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** Why a generate or ca pod needs a new certificate; undefined when its own still passes. */
async function reissueReason(pod: PodSpecEntry, volume: string): Promise<string | undefined> {
  if (!(await pathExists(join(volume, 'tls.crt')))) return `there is no certificate in ${volume} yet`;
  const current = await checkTlsVolume({ hostname: pod.hostname, tlsVolume: volume });
  const error = current.findings.find((f) => f.severity === 'error');
  if (error) return `its certificate fails the checks (${error.code})`;
  if (current.findings.some((f) => f.code === 'CERT_EXPIRES_SOON')) return 'its certificate expires soon (CERT_EXPIRES_SOON)';
  return undefined;
}

/**
 * The CAs every pod trusts at start: trust.caCertFile, plus the cluster CA when it issued some
 * machines' certificates, kept as the cluster's bundle so machines of both kinds trust each
 * other. Without either, the images' system trust applies, as with `start`.
 */
async function planTrustBundle(spec: ClusterSpec, stateDir: string, caDir: string, staging: string, writes: PlannedWrite[]): Promise<string | undefined> {
  if (!spec.pods.some((pod) => pod.certificate.mode === 'generate')) return spec.trust?.caCertFile;
  const parts = [await readFile(join(caDir, CA_CERT_FILE), 'utf8')];
  if (spec.trust?.caCertFile) parts.unshift(await readFile(spec.trust.caCertFile, 'utf8'));
  const content = Buffer.from(parts.join(''));
  const bundle = clusterStatePaths(stateDir, spec.cluster).trustBundle;
  const current = await readFile(bundle).catch(() => undefined);
  if (current?.equals(content)) return bundle;
  writes.push({ purpose: 'trust bundle', path: bundle, mode: 0o644, action: current ? 'update' : 'create', content });
  const staged = join(staging, 'trust-bundle.pem');
  await stage(staged, content, 0o644);
  return staged;
}

function stage(path: string, content: string | Buffer, mode: number): Promise<void> {
  return writeFileAtomic(path, content, { mode });
}

/**
 * Writes planned files and returns how to put back what they replaced (the previous bytes, or
 * no file), for a run that fails after writing them.
 */
export async function writePlanned(writes: PlannedWrite[], onStep: (line: string) => void): Promise<() => Promise<void>> {
  const previous: { write: PlannedWrite; content: Buffer | undefined }[] = [];
  try {
    for (const write of writes) {
      previous.push({ write, content: await readFile(write.path).catch(() => undefined) });
      onStep(`writing the ${write.purpose} ${write.path}`);
      await writeFileAtomic(write.path, write.content, { mode: write.mode, overwrite: true });
    }
  } catch (error) {
    await putBack(previous);
    throw error;
  }
  return () => putBack(previous);
}

async function putBack(previous: { write: PlannedWrite; content: Buffer | undefined }[]): Promise<void> {
  for (const { write, content } of [...previous].reverse()) {
    if (content) await writeFileAtomic(write.path, content, { mode: write.mode, overwrite: true });
    else await rm(write.path, { force: true });
  }
}

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathExists, writeFileAtomic } from '../base/atomic-write.js';
import { runtimeError } from '../base/errors.js';
import { PACKAGED_IMAGES_DIR } from '../base/version.js';
import type { Engine } from '../engine/engine.js';
import { loadCaFromDir, issuerOf } from '../pki/ca-source.js';
import { checkTlsVolume } from '../pki/check.js';
import { issueLeaf, issueRootCa } from '../pki/issue.js';
import { bootstrapBaseImage, DEFAULT_BASE_IMAGE, DEFAULT_SUITE } from './base-image.js';
import { buildImages, checkBuild, DEFAULT_TAG_PREFIX } from './build.js';
import { DEFAULT_IMAGE, DEFAULT_NETWORK, podNameFor, SERVICE_PORT } from './layout.js';
import { waitForHealth } from './health.js';
import { applyMachinePlan } from './machine-apply.js';
import { checkMachine, planMachine } from './machine-plan.js';

export interface DevUpOptions {
  hostname: string;
  port: number;
  stateDir: string;
  onStep: (line: string) => void;
}

export interface DevUpResult {
  url: string;
  caFile: string;
  tlsVolume: string;
  pod: string;
  changed: boolean;
}

/**
 * One command for a developer: a development CA and a certificate for the hostname (made once,
 * kept, reissued only when they no longer pass the checks), the base image when missing, the
 * images, and a running pod. Every step is skipped when already done.
 */
export async function devUp(engine: Engine, options: DevUpOptions): Promise<DevUpResult> {
  const devDir = join(options.stateDir, 'dev');
  const caDir = join(devDir, 'ca');
  const tlsVolume = join(devDir, 'tls', options.hostname);
  const caFile = join(caDir, 'ca.crt');

  if (!(await pathExists(caFile))) {
    options.onStep(`making a development CA in ${caDir}`);
    const ca = await issueRootCa({ commonName: 'dh-podman development CA' });
    await writeFileAtomic(join(caDir, 'ca.key'), ca.privateKeyPem, { mode: 0o600 });
    await writeFileAtomic(caFile, ca.certificatePem, { mode: 0o644 });
  }
  const current = await checkTlsVolume({ hostname: options.hostname, tlsVolume, caCertFile: caFile, mtls: true });
  if (!current.ok || current.findings.some((f) => f.code === 'CERT_EXPIRES_SOON')) {
    options.onStep(`issuing a certificate for ${options.hostname} into ${tlsVolume}`);
    const ca = await loadCaFromDir(caDir);
    const leaf = await issueLeaf(issuerOf(ca), { hostnames: [options.hostname, 'localhost'], ips: ['127.0.0.1'], client: true });
    await writeFileAtomic(join(tlsVolume, 'tls.key'), leaf.privateKeyPem, { mode: 0o600, overwrite: true });
    await writeFileAtomic(join(tlsVolume, 'tls.crt'), leaf.certificatePem, { mode: 0o644, overwrite: true });
  }

  const bootstrap = await bootstrapBaseImage(engine, { suite: DEFAULT_SUITE, tag: DEFAULT_BASE_IMAGE, force: false, onProgress: options.onStep }).catch((error) => {
    throw runtimeError('BASE_IMAGE_MISSING', `no base image and it cannot be made here: ${(error as Error).message}`, {
      fix: 'run "sudo dh-podman base bootstrap" once, then "dh-podman up" again',
    });
  });
  if (bootstrap.status === 'created') options.onStep(`made the base image ${bootstrap.tag}`);

  options.onStep('building images');
  // Only the image the pod runs (and what it is built FROM): the others (images/deephaven, minutes
  // and hundreds of MB of wheels) are not needed for it.
  const images = await checkBuild({ imagesDir: PACKAGED_IMAGES_DIR, baseImage: DEFAULT_BASE_IMAGE, only: ['probe'], tagPrefix: DEFAULT_TAG_PREFIX });
  await buildImages(engine, images);

  const pod = podNameFor(options.hostname);
  const checked = await checkMachine({
    hostname: options.hostname,
    tlsVolume,
    caCertFile: caFile,
    name: pod,
    image: DEFAULT_IMAGE,
    ports: [{ hostPort: options.port, containerPort: SERVICE_PORT, hostIp: '127.0.0.1' }],
    network: DEFAULT_NETWORK,
    stateDir: options.stateDir,
  });
  const plan = await planMachine(engine, checked);
  await applyMachinePlan(engine, plan, options.onStep);
  options.onStep(`waiting for https://${options.hostname}:${options.port}/health`);
  await waitForHealth({ hostname: options.hostname, port: options.port, caPem: await readFile(caFile, 'utf8') });
  return { url: `https://${options.hostname}:${options.port}/health`, caFile, tlsVolume, pod, changed: plan.changes };
}

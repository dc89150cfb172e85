import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathExists, writeFileAtomic } from '../base/atomic-write.js';
import { runtimeError } from '../base/errors.js';
import { PACKAGED_IMAGES_DIR } from '../base/version.js';
import type { Progress } from '../base/progress.js';
import type { Engine } from '../engine/engine.js';
import { loadCaFromDir, issuerOf } from '../pki/ca-source.js';
import { checkTlsVolume } from '../pki/check.js';
import { issueLeaf, issueRootCa } from '../pki/issue.js';
import { bootstrapBaseImage, DEFAULT_BASE_IMAGE, DEFAULT_SUITE } from './base-image.js';
import { buildImages, checkBuild, DEFAULT_TAG_PREFIX, imageTag } from './build.js';
import { DEFAULT_NETWORK, DEV_SERVICES, podNameFor, SERVICE_PORT, type DevService } from './layout.js';
import { waitForHealth } from './health.js';
import { REQUIREMENTS_FILE } from './wheelhouse.js';
import { applyMachinePlan } from './machine-apply.js';
import { checkMachine, planMachine } from './machine-plan.js';

export interface DevUpOptions {
  hostname: string;
  port: number;
  stateDir: string;
  service: DevService;
  /** Where downloads (the server's wheels) are cached; default defaultCacheDir(). */
  cacheDir?: string | undefined;
  progress: Progress;
}

export interface DevUpResult {
  host: string;
  port: number;
  url: string;
  caFile: string;
  tlsVolume: string;
  pod: string;
  image: string;
  changed: boolean;
  /** For the Deephaven server: one line of Python that runs a query over TLS trusting caFile. */
  pythonExample?: string | undefined;
  /** The client release that line needs (pip install it): the one pinned beside the server. */
  pythonClient?: string | undefined;
}

/** How many steps devUp reports (Progress.step), for "step n of m". */
export const DEV_UP_STEPS = 5;

/**
 * One command for a developer: a development CA and a certificate for the hostname (made once,
 * kept, reissued only when they no longer pass the checks), the base image when missing, the
 * image, a running pod, and a wait until the service answers over TLS. Every step is skipped
 * when already done.
 */
export async function devUp(engine: Engine, options: DevUpOptions): Promise<DevUpResult> {
  const { progress } = options;
  const devDir = join(options.stateDir, 'dev');
  const caDir = join(devDir, 'ca');
  const tlsVolume = join(devDir, 'tls', options.hostname);
  const caFile = join(caDir, 'ca.crt');

  progress.step(`development CA and a certificate for ${options.hostname}`);
  if (!(await pathExists(caFile))) {
    progress.note(`making a development CA in ${caDir}`);
    const ca = await issueRootCa({ commonName: 'dh-podman development CA' });
    await writeFileAtomic(join(caDir, 'ca.key'), ca.privateKeyPem, { mode: 0o600 });
    await writeFileAtomic(caFile, ca.certificatePem, { mode: 0o644 });
  }
  const current = await checkTlsVolume({ hostname: options.hostname, tlsVolume, caCertFile: caFile, mtls: true });
  if (!current.ok || current.findings.some((f) => f.code === 'CERT_EXPIRES_SOON')) {
    progress.note(`issuing a certificate for ${options.hostname} into ${tlsVolume}`);
    const ca = await loadCaFromDir(caDir);
    const leaf = await issueLeaf(issuerOf(ca), { hostnames: [options.hostname, 'localhost'], ips: ['127.0.0.1'], client: true });
    await writeFileAtomic(join(tlsVolume, 'tls.key'), leaf.privateKeyPem, { mode: 0o600, overwrite: true });
    await writeFileAtomic(join(tlsVolume, 'tls.crt'), leaf.certificatePem, { mode: 0o644, overwrite: true });
  }

  progress.step(`base image ${DEFAULT_BASE_IMAGE}`);
  const bootstrap = await bootstrapBaseImage(engine, { suite: DEFAULT_SUITE, tag: DEFAULT_BASE_IMAGE, force: false, onProgress: (line) => progress.note(line), onBytes: (count) => progress.bytes(count) }).catch((error) => {
    throw runtimeError('BASE_IMAGE_MISSING', `no base image and it cannot be made here: ${(error as Error).message}`, {
      fix: 'run "sudo dh-podman base bootstrap" once, then "dh-podman up" again',
    });
  });
  if (bootstrap.status === 'created') progress.note(`made the base image ${bootstrap.tag}`);

  const image = imageTag(DEFAULT_TAG_PREFIX, options.service);
  progress.step(`image ${image}`);
  // Only the image the pod runs and what it is built FROM; a rebuild of an unchanged image is all
  // cache hits and gives the same image, so the pod stays.
  const images = await checkBuild({ imagesDir: PACKAGED_IMAGES_DIR, baseImage: DEFAULT_BASE_IMAGE, only: [options.service], tagPrefix: DEFAULT_TAG_PREFIX, cacheDir: options.cacheDir });
  await buildImages(engine, images, {
    onLine: (name, line) => {
      if (line.startsWith('downloading ') || line.startsWith('making ') || /^STEP \d+\/\d+:/.test(line)) progress.note(`${name}: ${line.length > 110 ? `${line.slice(0, 107)}...` : line}`);
    },
    onBytes: (_name, count) => progress.bytes(count),
  });

  const pod = podNameFor(options.hostname);
  progress.step(`pod ${pod}`);
  const checked = await checkMachine({
    hostname: options.hostname,
    tlsVolume,
    caCertFile: caFile,
    name: pod,
    image,
    ports: [{ hostPort: options.port, containerPort: SERVICE_PORT, hostIp: '127.0.0.1' }],
    network: DEFAULT_NETWORK,
    stateDir: options.stateDir,
  });
  const plan = await planMachine(engine, checked);
  await applyMachinePlan(engine, plan, (line) => progress.note(line));

  const service = DEV_SERVICES[options.service];
  const origin = `https://${options.hostname}:${options.port}`;
  progress.step(`waiting for ${origin}${service.ready}`);
  await waitForHealth({ hostname: options.hostname, port: options.port, path: service.ready, caPem: await readFile(caFile, 'utf8') }, service.readyWithinMs, 2000);
  progress.end();
  return {
    host: options.hostname,
    port: options.port,
    url: `${origin}${service.open}`,
    caFile,
    tlsVolume,
    pod,
    image,
    changed: plan.changes,
    ...(options.service === 'deephaven'
      ? { pythonExample: pydeephavenExample(options.hostname, options.port, caFile), pythonClient: await pinnedClient(join(PACKAGED_IMAGES_DIR, 'deephaven', REQUIREMENTS_FILE)) }
      : {}),
  };
}

/**
 * A query over TLS with pydeephaven 42, trusting the CA file alone and verifying the hostname
 * (gRPC resolves *.localhost names to loopback, as curl and browsers do).
 */
export function pydeephavenExample(host: string, port: number, caFile: string): string {
  return (
    `from pydeephaven import Session; s = Session(host=${JSON.stringify(host)}, port=${port}, use_tls=True, tls_root_certs=open(${JSON.stringify(caFile)}, "rb").read()); ` +
    'print(s.empty_table(5).update(["X = i"]).to_arrow().to_pandas()); s.close()'
  );
}

/** The pydeephaven pin of the server image's requirements, so the client matches the server. */
async function pinnedClient(requirementsFile: string): Promise<string> {
  const pin = /^pydeephaven==\S+/m.exec(await readFile(requirementsFile, 'utf8'));
  return pin ? pin[0] : 'pydeephaven';
}

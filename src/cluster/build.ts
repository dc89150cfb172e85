import { Transform } from 'node:stream';
import { runtimeError } from '../base/errors.js';
import { VERSION } from '../base/version.js';
import { packContext, packFiles } from '../engine/build-context.js';
import type { Engine } from '../engine/engine.js';
import type { Finding } from '../pki/findings.js';
import type { TrustCode } from '../trust/codes.js';
import { buildPool, type PoolEntry } from '../trust/pool.js';
import { readSource } from '../trust/sources.js';
import { buildOrder, discoverImages, rewriteLocalFroms, rootOf, type ImageSpec } from './image-specs.js';
import { caFiles, finalContainerfile, trustStageContainerfile } from './trust-layer.js';
import { DEBS_IN_CONTEXT, ensureDebhouse, type Debhouse } from './debhouse.js';
import { defaultCacheDir, ensureWheelhouse, WHEELS_IN_CONTEXT, type Wheelhouse } from './wheelhouse.js';

export { DEFAULT_TAG_PREFIX } from './layout.js';
export const LABEL_CA_FINGERPRINTS = 'io.dh-podman.ca-sha256';

/** The tag `build` gives the image built from images/<name>. */
export function imageTag(tagPrefix: string, name: string): string {
  return `${tagPrefix}${name}:latest`;
}

export interface BuildRequest {
  imagesDir: string;
  caCertFile?: string | undefined;
  baseImage: string;
  only: string[];
  tagPrefix: string;
  noCache?: boolean;
  /** Where downloads (the wheelhouses of images with a requirements.txt) are cached; default defaultCacheDir(). */
  cacheDir?: string | undefined;
}

/** Everything checked before the engine is touched: bad input stops here, nothing is built. */
export interface CheckedBuild {
  request: BuildRequest;
  images: ImageSpec[];
  all: ImageSpec[];
  cas: PoolEntry[];
  findings: Finding<TrustCode>[];
}

export interface StageReport {
  tag: string;
  imageId: string;
  steps: number;
  cacheHits: number;
  seconds: number;
}

export interface ImageReport {
  image: string;
  tag: string;
  imageId: string;
  seconds: number;
  steps: number;
  cacheHits: number;
  /** The image's own Containerfile (pre-trust tag), then its last layer (final tag). */
  stages: StageReport[];
  /** Images with a requirements.txt: the wheels their context carried. */
  wheelhouse?: { key: string; wheels: number; downloaded: boolean; seconds: number } | undefined;
  /** Images with a packages.txt: the .debs their context carried. */
  debhouse?: { key: string; debs: number; downloaded: boolean; seconds: number } | undefined;
}

export interface BuildReport {
  images: ImageReport[];
  trustStage: StageReport | undefined;
  caFingerprints: string[];
  seconds: number;
}

export async function checkBuild(request: BuildRequest): Promise<CheckedBuild> {
  const all = await discoverImages(request.imagesDir);
  const images = buildOrder(all, request.only);
  let cas: PoolEntry[] = [];
  const findings: Finding<TrustCode>[] = [];
  if (request.caCertFile) {
    // The same rules as a trust bundle: CAs only, never a key; and PEM, which the OS tools read.
    const source = await readSource({ kind: 'file', path: request.caCertFile, acceptDer: false });
    findings.push(...source.findings);
    const pool = buildPool(source.contents ? [source.contents] : [], { sourcesFailed: source.findings.length > 0 });
    findings.push(...pool.findings);
    cas = pool.entries;
  }
  return { request, images, all, cas, findings };
}

export interface BuildCallbacks {
  /** An image's build starts (checked.images, in build order; with its trust stage and last layer). */
  onImage?: (image: string, tag: string) => void;
  onLine?: (image: string, line: string) => void;
  /** Bytes moved so far by this build (wheels downloaded, build contexts sent), with the image at hand. */
  onBytes?: (image: string, count: number) => void;
}

export async function buildImages(engine: Engine, checked: CheckedBuild, callbacks: BuildCallbacks = {}): Promise<BuildReport> {
  const { request, images, all, cas } = checked;
  const started = Date.now();
  if (!(await engine.images.exists(request.baseImage))) {
    throw runtimeError('BASE_IMAGE_MISSING', `the base image ${request.baseImage} does not exist`, {
      subject: '--base-image',
      fix: 'make it with "dh-podman base bootstrap", or pass --base-image with an image you have',
    });
  }
  const preTrustTag = (name: string) => `${request.tagPrefix}${name}:pre-trust`;
  const finalTag = (name: string) => imageTag(request.tagPrefix, name);
  const fingerprints = cas.map((entry) => entry.certificate.sha256).sort();
  const reports: ImageReport[] = [];
  const trustStages = new Map<string, StageReport>();
  // Later stages name earlier ones by the image ID this build produced, not by tag: a tag can be
  // moved or removed by another client between two stages; an ID cannot change.
  const preTrustIds = new Map<string, string>();
  const preTrustRef = (name: string) => preTrustIds.get(name) ?? preTrustTag(name);

  // Bytes of the downloads finished and build contexts sent so far: one growing count.
  let moved = 0;
  const stage = async (image: string, tag: string, context: NodeJS.ReadableStream) => {
    const stageStart = Date.now();
    const counted = context.pipe(
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          moved += chunk.length;
          callbacks.onBytes?.(image, moved);
          done(null, chunk);
        },
      }),
    );
    context.on('error', (error) => counted.destroy(error));
    const result = await engine.images.build(counted as never, {
      tag,
      dockerfile: 'Containerfile',
      buildArgs: { BASE_IMAGE: request.baseImage },
      noCache: request.noCache === true,
      onLine: (line) => callbacks.onLine?.(image, line),
    });
    return { tag, imageId: result.imageId, steps: result.steps, cacheHits: result.cacheHits, seconds: (Date.now() - stageStart) / 1000 };
  };

  for (const spec of images) {
    callbacks.onImage?.(spec.name, finalTag(spec.name));
    const imageStart = Date.now();
    const stages: StageReport[] = [];
    const containerfile = rewriteLocalFroms(spec.containerfile, preTrustRef);
    let wheelhouse: Wheelhouse | undefined;
    if (spec.requirements) {
      let downloaded = 0;
      wheelhouse = await ensureWheelhouse(
        spec.requirements,
        request.cacheDir ?? defaultCacheDir(),
        (line) => callbacks.onLine?.(spec.name, line),
        (count) => {
          downloaded = count;
          callbacks.onBytes?.(spec.name, moved + count);
        },
      );
      moved += downloaded;
    }
    let debhouse: Debhouse | undefined;
    if (spec.packages) debhouse = await ensureDebhouse(spec.packages, request.cacheDir ?? defaultCacheDir(), (line) => callbacks.onLine?.(spec.name, line));
    const extraDirs = { ...(wheelhouse ? { [WHEELS_IN_CONTEXT]: wheelhouse.dir } : {}), ...(debhouse ? { [DEBS_IN_CONTEXT]: debhouse.dir } : {}) };
    const context = await packContext(spec.dir, { extraFiles: { Containerfile: containerfile }, extraDirs });
    const own = await stage(spec.name, preTrustTag(spec.name), context);
    stages.push(own);
    preTrustIds.set(spec.name, own.imageId);

    let trustRef: string | undefined;
    if (cas.length > 0) {
      const root = rootOf(spec, all);
      if (!trustStages.has(root.name)) {
        const files = { Containerfile: trustStageContainerfile(preTrustRef(root.name)), ...caFiles(cas) };
        trustStages.set(root.name, await stage(`${root.name} trust`, `${request.tagPrefix}${root.name}-trust:latest`, await packFiles(files)));
      }
      trustRef = trustStages.get(root.name)!.imageId;
    }
    const labels = {
      'org.opencontainers.image.title': spec.name,
      'org.opencontainers.image.version': VERSION,
      'org.opencontainers.image.base.name': request.baseImage,
      'io.dh-podman.tool': 'dh-podman',
      [LABEL_CA_FINGERPRINTS]: fingerprints.join(','),
    };
    stages.push(await stage(spec.name, finalTag(spec.name), await packFiles({ Containerfile: finalContainerfile(own.imageId, trustRef, labels) })));
    const last = stages[stages.length - 1]!;
    reports.push({
      image: spec.name,
      tag: finalTag(spec.name),
      imageId: last.imageId,
      seconds: (Date.now() - imageStart) / 1000,
      steps: stages.reduce((sum, s) => sum + s.steps, 0),
      cacheHits: stages.reduce((sum, s) => sum + s.cacheHits, 0),
      stages,
      ...(wheelhouse ? { wheelhouse: { key: wheelhouse.key, wheels: wheelhouse.wheels, downloaded: wheelhouse.downloaded, seconds: wheelhouse.seconds } } : {}),
      ...(debhouse ? { debhouse: { key: debhouse.key, debs: debhouse.debs, downloaded: debhouse.downloaded, seconds: debhouse.seconds } } : {}),
    });
  }
  const trustStage = [...trustStages.values()][0];
  return { images: reports, trustStage, caFingerprints: fingerprints, seconds: (Date.now() - started) / 1000 };
}

import { Transform } from 'node:stream';
import { runtimeError } from '../base/errors.js';
import { VERSION } from '../base/version.js';
import { packContext, packEntries, type ContextEntry } from '../engine/build-context.js';
import type { Engine } from '../engine/engine.js';
import { retryTransient } from '../engine/transient.js';
import type { Finding } from '../pki/findings.js';
import type { TrustCode } from '../trust/codes.js';
import { buildPool, type PoolEntry } from '../trust/pool.js';
import { readSource } from '../trust/sources.js';
import { buildOrder, discoverImages, rewriteLocalFroms, type ImageSpec } from './image-specs.js';
import { contextKey, LABEL_CONTEXT_KEY } from './context-key.js';
import { finalContainerfile, LABEL_LAST_LAYER_KEY, lastLayerKey, layerContext, readOsTrustFiles, trustLayer } from './trust-layer.js';
import type { OsFamily, SystemTrustLayer } from '../trust/system-trust.js';
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
  /** The image already carried this context's key: it was not built again (steps 0). */
  reused?: boolean;
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
  /** With CAs: the system trust computed on the host for the last layer. */
  trust?: TrustReport | undefined;
}

export interface TrustReport {
  /** The OS family told from the pre-trust image's files. */
  family: OsFamily;
  /** Certificates the image's OS trusted before the site CAs. */
  osCertificates: number;
  /** The Java cacerts rewritten (undefined when the image has none its OS tool would update). */
  javaCacerts: string | undefined;
  /** Files and links the layer holds (directories not counted). */
  files: number;
  /** Reading the image's trust files (0 when cached by image ID) and computing the layer. */
  seconds: number;
}

export interface BuildReport {
  images: ImageReport[];
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
  const { request, images, cas } = checked;
  const started = Date.now();
  const baseImage = await engine.images.inspect(request.baseImage);
  if (!baseImage) {
    throw runtimeError('BASE_IMAGE_MISSING', `the base image ${request.baseImage} does not exist`, {
      subject: '--base-image',
      fix: 'make it with "dh-podman base bootstrap", or pass --base-image with an image you have',
    });
  }
  const preTrustTag = (name: string) => `${request.tagPrefix}${name}:pre-trust`;
  const finalTag = (name: string) => imageTag(request.tagPrefix, name);
  const fingerprints = cas.map((entry) => entry.certificate.sha256).sort();
  const reports: ImageReport[] = [];
  const cacheDir = request.cacheDir ?? defaultCacheDir();
  const lastLayers: Promise<void>[] = [];
  const computedLayers = new Map<string, SystemTrustLayer>();
  // Later stages name earlier ones by the image ID this build produced, not by tag: a tag can be
  // moved or removed by another client between two stages; an ID cannot change.
  const preTrustIds = new Map<string, string>();
  const preTrustRef = (name: string) => preTrustIds.get(name) ?? preTrustTag(name);

  // Bytes of the downloads finished and build contexts sent so far: one growing count.
  let moved = 0;
  const stage = async (image: string, tag: string, pack: () => Promise<NodeJS.ReadableStream>, layers = true): Promise<StageReport> => {
    const stageStart = Date.now();
    // A context is a stream, read once: a build asked again (transient.ts) packs it again.
    const result = await retryTransient(async () => {
      const context = await pack();
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
      return engine.images.build(counted as never, {
        tag,
        dockerfile: 'Containerfile',
        buildArgs: { BASE_IMAGE: request.baseImage },
        noCache: request.noCache === true,
        layers,
        onLine: (line) => callbacks.onLine?.(image, line),
      });
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
        cacheDir,
        (line) => callbacks.onLine?.(spec.name, line),
        (count) => {
          downloaded = count;
          callbacks.onBytes?.(spec.name, moved + count);
        },
      );
      moved += downloaded;
    }
    let debhouse: Debhouse | undefined;
    if (spec.packages) debhouse = await ensureDebhouse(spec.packages, cacheDir, (line) => callbacks.onLine?.(spec.name, line));
    const extraDirs = { ...(wheelhouse ? { [WHEELS_IN_CONTEXT]: wheelhouse.dir } : {}), ...(debhouse ? { [DEBS_IN_CONTEXT]: debhouse.dir } : {}) };
    const key = await contextKey({ containerfile, dir: spec.dir, baseImageId: baseImage.id, extras: [wheelhouse?.key ?? '', debhouse?.key ?? ''] });
    const existing = request.noCache === true ? undefined : await engine.images.inspect(preTrustTag(spec.name));
    let own: StageReport;
    if (existing?.labels[LABEL_CONTEXT_KEY] === key) {
      own = { tag: preTrustTag(spec.name), reused: true, imageId: existing.id, steps: 0, cacheHits: 0, seconds: 0 };
      callbacks.onLine?.(spec.name, `${preTrustTag(spec.name)} is up to date (context ${key.slice(0, 12)})`);
    } else {
      // The key as the last line: a changed context changes only this step's cache entry.
      const keyed = `${containerfile.replace(/\n*$/, '\n')}LABEL ${JSON.stringify(LABEL_CONTEXT_KEY)}=${JSON.stringify(key)}\n`;
      own = await stage(spec.name, preTrustTag(spec.name), () => packContext(spec.dir, { extraFiles: { Containerfile: keyed }, extraDirs }));
    }
    stages.push(own);
    preTrustIds.set(spec.name, own.imageId);

    // The last layer needs only this image's pre-trust image: it is made while the next image's
    // own build goes on, so a rebuild after a CA change waits for the slowest last layer, not
    // their sum.
    const index = reports.length;
    reports.push(undefined as never);
    const lastLayer = (async () => {
      // The trust of this image's own pre-trust image: an image may add CAs or a JDK to its parent's.
      let trust: TrustReport | undefined;
      let trustEntries: ContextEntry[] = [];
      if (cas.length > 0) {
        const trustStart = Date.now();
        const files = await readOsTrustFiles(engine, own.imageId, cacheDir);
        // Images that leave their parent's trust files alone (most) share the parent's layer.
        if (!computedLayers.has(files.digest)) computedLayers.set(files.digest, trustLayer(files, cas));
        const layer = computedLayers.get(files.digest)!;
        trustEntries = layerContext(layer);
        trust = {
          family: layer.family,
          osCertificates: layer.osCertificates,
          javaCacerts: layer.javaCacerts,
          files: layer.entries.filter((entry) => entry.type !== 'directory').length,
          seconds: (Date.now() - trustStart) / 1000,
        };
      }
      const labels = {
        'org.opencontainers.image.title': spec.name,
        'org.opencontainers.image.version': VERSION,
        'org.opencontainers.image.base.name': request.baseImage,
        'io.dh-podman.tool': 'dh-podman',
        [LABEL_CA_FINGERPRINTS]: fingerprints.join(','),
      };
      const unkeyed = finalContainerfile(own.imageId, trust !== undefined, labels);
      const layerKey = lastLayerKey(unkeyed, trustEntries);
      const existingFinal = request.noCache === true ? undefined : await engine.images.inspect(finalTag(spec.name));
      if (existingFinal?.labels[LABEL_LAST_LAYER_KEY] === layerKey) {
        stages.push({ tag: finalTag(spec.name), reused: true, imageId: existingFinal.id, steps: 0, cacheHits: 0, seconds: 0 });
      } else {
        const containerfileBytes = Buffer.from(finalContainerfile(own.imageId, trust !== undefined, { ...labels, [LABEL_LAST_LAYER_KEY]: layerKey }));
        // One commit instead of one per step: this stage's cache would only ever be hit by the
        // same key, which the check above already answers without a build.
        const pack = () => packEntries([{ name: 'Containerfile', type: 'file', mode: 0o644, content: containerfileBytes }, ...trustEntries]);
        const built = await stage(spec.name, finalTag(spec.name), pack, false);
        stages.push(built);
        // A CA change makes a new last layer each time: the image it replaced goes unless a
        // container still runs it (then Podman keeps it, and so do we).
        if (existingFinal && existingFinal.id !== built.imageId && (await engine.images.removeIfUnreferenced(existingFinal.id))) {
          callbacks.onLine?.(spec.name, `removed the image ${finalTag(spec.name)} was before (${existingFinal.id.slice(0, 12)}): nothing used it`);
        }
      }
      const last = stages[stages.length - 1]!;
      reports[index] = {
        image: spec.name,
        tag: finalTag(spec.name),
        imageId: last.imageId,
        seconds: (Date.now() - imageStart) / 1000,
        steps: stages.reduce((sum, s) => sum + s.steps, 0),
        cacheHits: stages.reduce((sum, s) => sum + s.cacheHits, 0),
        stages,
        ...(wheelhouse ? { wheelhouse: { key: wheelhouse.key, wheels: wheelhouse.wheels, downloaded: wheelhouse.downloaded, seconds: wheelhouse.seconds } } : {}),
        ...(debhouse ? { debhouse: { key: debhouse.key, debs: debhouse.debs, downloaded: debhouse.downloaded, seconds: debhouse.seconds } } : {}),
        ...(trust ? { trust } : {}),
      };
    })();
    // Handled here at once: a failure while the next image builds must wait for the end, not crash.
    lastLayer.catch(() => undefined);
    lastLayers.push(lastLayer);
  }
  const failed = (await Promise.allSettled(lastLayers)).find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
  return { images: reports, caFingerprints: fingerprints, seconds: (Date.now() - started) / 1000 };
}

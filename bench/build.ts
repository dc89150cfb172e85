import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapBaseImage, DEFAULT_BASE_IMAGE, DEFAULT_SUITE } from '../src/cluster/base-image.js';
import { buildImages, checkBuild, type BuildReport } from '../src/cluster/build.js';
import { Engine } from '../src/engine/engine.js';
import { issueRootCa } from '../src/pki/issue.js';
import { engineUrl, median, removeImagesTagged, repoRoot } from './support.js';

/**
 * What a CA change costs, against its target: a rebuild after changing only the CA
 * at most 5% of a full build of the Deephaven image, and under 1.5 s. Measured in one run on one
 * engine: one full build of images/deephaven (and images/base, which it is built FROM) without
 * the layer cache, from the bootstrapped OS image (wheels from the download cache: the
 * download is not counted, which makes the full build shorter and the ratio harder), then
 * several rebuilds, each with a new CA. One full round only: it takes minutes.
 */

export const name = 'build';

const REBUILDS = 5;
const TARGET_RATIO = 0.05;
const TARGET_SECONDS = 1.5;

export async function run(log: (line: string) => void): Promise<void> {
  engineUrl();
  // Our own tags only, by process: another run's or another user's are never untagged.
  const prefix = `localhost/dh-podman-bench-${process.pid}/`;
  const dir = join(tmpdir(), `dh-podman-bench-build-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    await Engine.with({}, async (engine) => {
      await bootstrapBaseImage(engine, { suite: DEFAULT_SUITE, tag: DEFAULT_BASE_IMAGE, force: false });
      const caFile = async (index: number) => {
        const ca = await issueRootCa({ key: 'ecdsa-p256', commonName: `bench CA ${index}` });
        const path = join(dir, `ca-${index}.pem`);
        writeFileSync(path, ca.certificatePem);
        return path;
      };
      const full = await timeBuild(engine, prefix, await caFile(0), true);
      log(`full build of images/deephaven (no cache): ${full.seconds.toFixed(2)} s (1 round) [${stagesOf(full.report)}]`);
      const rebuilds: { seconds: number; report: BuildReport }[] = [];
      for (let i = 1; i <= REBUILDS; i++) rebuilds.push(await timeBuild(engine, prefix, await caFile(i), false));
      const seconds = rebuilds.map((r) => r.seconds);
      const rebuild = median(seconds);
      log(`rebuild after changing only the CA: ${rebuild.toFixed(2)} s (median of ${REBUILDS}: ${seconds.map((s) => s.toFixed(2)).join(', ')})`);
      log(`  the median rebuild's steps: [${stagesOf(rebuilds[seconds.indexOf(rebuild)]!.report)}]`);
      const ratio = rebuild / full.seconds;
      log(`ratio rebuild/full: ${(ratio * 100).toFixed(2)}% (target ≤ ${TARGET_RATIO * 100}%: ${ratio <= TARGET_RATIO ? 'met' : 'MISSED'})`);
      log(`rebuild under ${TARGET_SECONDS} s: ${rebuild < TARGET_SECONDS ? 'met' : 'MISSED'} (${rebuild.toFixed(2)} s)`);
    });
  } finally {
    removeImagesTagged(process.env.CONTAINER_HOST!, prefix);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timeBuild(engine: Engine, tagPrefix: string, caCertFile: string, noCache: boolean): Promise<{ seconds: number; report: BuildReport }> {
  const checked = await checkBuild({ imagesDir: join(repoRoot, 'images'), caCertFile, baseImage: DEFAULT_BASE_IMAGE, only: ['deephaven'], tagPrefix, noCache });
  const started = performance.now();
  const report = await buildImages(engine, checked);
  return { seconds: (performance.now() - started) / 1000, report };
}

/** Per image: its own build (or "reused") and its last layer, in seconds. */
function stagesOf(report: BuildReport): string {
  return report.images
    .map((image) => `${image.image}: ${image.stages.map((stage) => (stage.reused ? 'reused' : `${stage.seconds.toFixed(2)} s`)).join(' + ')}${image.trust ? `, trust ${image.trust.seconds.toFixed(2)} s` : ''}`)
    .join('; ');
}

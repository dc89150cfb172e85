import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapBaseImage, DEFAULT_BASE_IMAGE, DEFAULT_SUITE } from '../src/cluster/base-image.js';
import { buildImages, checkBuild } from '../src/cluster/build.js';
import { Engine } from '../src/engine/engine.js';
import { issueRootCa } from '../src/pki/issue.js';
import { engineUrl, median, repoRoot } from './support.js';

/**
 * What a CA change costs: a full build of images/ (no cache) against a rebuild where only the
 * CA file changed, measured in the same run on the same engine. Target: rebuild ≤ 15% of full.
 */

export const name = 'build';

const ROUNDS = 3;
const PREFIX = 'localhost/dh-podman-bench/';

export async function run(log: (line: string) => void): Promise<void> {
  engineUrl();
  const dir = mkdtempSync(join(tmpdir(), 'dh-podman-bench-build-'));
  await Engine.with({}, async (engine) => {
    await bootstrapBaseImage(engine, { suite: DEFAULT_SUITE, tag: DEFAULT_BASE_IMAGE, force: false });
    const caFiles: string[] = [];
    for (let i = 0; i < ROUNDS * 2; i++) {
      const ca = await issueRootCa({ key: 'ecdsa-p256', commonName: `bench CA ${i}` });
      const path = join(dir, `ca-${i}.pem`);
      writeFileSync(path, ca.certificatePem);
      caFiles.push(path);
    }
    const full: number[] = [];
    const rebuild: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      full.push(await timeBuild(engine, caFiles[round * 2]!, true));
      rebuild.push(await timeBuild(engine, caFiles[round * 2 + 1]!, false));
    }
    const fullMedian = median(full);
    const rebuildMedian = median(rebuild);
    const ratio = rebuildMedian / fullMedian;
    log(`full build of images/ (no cache): ${fullMedian.toFixed(2)} s (median of ${ROUNDS}: ${full.map((s) => s.toFixed(2)).join(', ')})`);
    log(`rebuild after changing only the CA: ${rebuildMedian.toFixed(2)} s (median of ${ROUNDS}: ${rebuild.map((s) => s.toFixed(2)).join(', ')})`);
    log(`ratio rebuild/full: ${(ratio * 100).toFixed(1)}% (target ≤ 15%: ${ratio <= 0.15 ? 'met' : 'MISSED'})`);
    const tags = execFileSync('podman', ['--url', process.env.CONTAINER_HOST!, 'images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${PREFIX}*`], { encoding: 'utf8' });
    // The filter also lists other tags of the same image IDs (cached layers are shared): keep ours.
    for (const tag of tags.split('\n').filter((tag) => tag.startsWith(PREFIX))) {
      // Named twice: with the image alone, podman untag removes every name the image has.
      execFileSync('podman', ['--url', process.env.CONTAINER_HOST!, 'untag', tag, tag], { stdio: 'ignore' });
    }
  });
  rmSync(dir, { recursive: true, force: true });
}

async function timeBuild(engine: Engine, caCertFile: string, noCache: boolean): Promise<number> {
  const checked = await checkBuild({ imagesDir: join(repoRoot, 'images'), caCertFile, baseImage: DEFAULT_BASE_IMAGE, only: [], tagPrefix: PREFIX, noCache });
  const started = performance.now();
  await buildImages(engine, checked);
  return (performance.now() - started) / 1000;
}

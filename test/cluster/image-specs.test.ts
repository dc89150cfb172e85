import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_BASE_IMAGE } from '../../src/cluster/base-image.js';
import { buildOrder, discoverImages, rewriteLocalFroms, type ImageSpec } from '../../src/cluster/image-specs.js';
import { repoRoot } from '../support/cli.js';

const spec = (name: string, ...localDependencies: string[]): ImageSpec => ({ name, dir: `/images/${name}`, containerfile: '', localDependencies });

t.test('images come after the images they are built FROM', async (t) => {
  const specs = [spec('web', 'base'), spec('probe', 'java'), spec('base'), spec('java', 'base')];
  t.same(buildOrder(specs).map((s) => s.name), ['base', 'web', 'java', 'probe']);
  t.same(buildOrder(specs, ['probe']).map((s) => s.name), ['base', 'java', 'probe'], '--only keeps what it needs');
});

t.test('cycles, unknown images and unknown --only names are refused', async (t) => {
  t.throws(() => buildOrder([spec('a', 'b'), spec('b', 'a')]), { code: 'IMAGE_CYCLE' });
  t.throws(() => buildOrder([spec('a', 'missing')]), { code: 'IMAGE_UNKNOWN' });
  t.throws(() => buildOrder([spec('a')], ['b']), { code: 'IMAGE_UNKNOWN' });
});

t.test('local FROM lines are rewritten, others left alone', async (t) => {
  const containerfile = [
    'ARG BASE_IMAGE',
    'FROM dh-podman/base',
    'FROM localhost/dh-podman/java:1.2 AS compile',
    'FROM ${BASE_IMAGE}',
    'FROM docker.io/library/debian:bookworm',
    'RUN echo FROM dh-podman/base',
  ].join('\n');
  t.equal(
    rewriteLocalFroms(containerfile, (name) => `localhost/x/${name}:pre-trust`),
    [
      'ARG BASE_IMAGE',
      'FROM localhost/x/base:pre-trust',
      'FROM localhost/x/java:pre-trust AS compile',
      'FROM ${BASE_IMAGE}',
      'FROM docker.io/library/debian:bookworm',
      'RUN echo FROM dh-podman/base',
    ].join('\n'),
  );
});

t.test('an image with a requirements.txt asks for wheels; the base image default is the bootstrapped tag', async (t) => {
  const specs = await discoverImages(join(repoRoot, 'images'));
  t.equal(specs.find((s) => s.name === 'deephaven')?.requirements, join(repoRoot, 'images', 'deephaven', 'requirements.txt'));
  t.equal(specs.find((s) => s.name === 'probe')?.requirements, undefined);
  t.equal(specs.find((s) => s.name === 'etcd')?.packages, join(repoRoot, 'images', 'etcd', 'packages.txt'), 'images/etcd asks for .debs');
  t.equal(specs.find((s) => s.name === 'etcd')?.requirements, undefined);
  t.same(specs.find((s) => s.name === 'etcd')?.localDependencies, ['base']);
  // A plain `podman build images/base` must start from the OS image dh-podman makes today.
  t.match(readFileSync(join(repoRoot, 'images', 'base', 'Containerfile'), 'utf8'), `ARG BASE_IMAGE=${DEFAULT_BASE_IMAGE}\n`);
});

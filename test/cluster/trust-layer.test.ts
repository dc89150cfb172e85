import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { VERSION } from '../../src/base/version.js';
import { buildImages, checkBuild, LABEL_CA_FINGERPRINTS } from '../../src/cluster/build.js';
import { LABEL_CONTEXT_KEY } from '../../src/cluster/context-key.js';
import { finalContainerfile, LABEL_LAST_LAYER_KEY, LAYER_DIR_IN_CONTEXT } from '../../src/cluster/trust-layer.js';
import type { Engine } from '../../src/engine/engine.js';
import { toPem } from '../../src/pki/pem.js';
import { makeCa } from '../support/openssl.js';
import { dir, file, keytoolJks, link, subjectHashOf } from '../support/trust-tree.js';

t.test('finalContainerfile: the trust COPY, then one sorted LABEL line', async (t) => {
  const labels = { 'z.last': 'z', 'a.first': 'has "quotes"', 'm.middle': '' };
  t.equal(
    finalContainerfile('sha256:pre', true, labels),
    ['FROM sha256:pre', `COPY ${LAYER_DIR_IN_CONTEXT}/ /`, 'LABEL "a.first"="has \\"quotes\\"" \\', '      "m.middle"="" \\', '      "z.last"="z"', ''].join('\n'),
  );
  t.equal(finalContainerfile('sha256:pre', false, { b: '2', a: '1' }), 'FROM sha256:pre\nLABEL "a"="1" \\\n      "b"="2"\n', 'no CA: no COPY');
  t.equal(finalContainerfile('sha256:pre', false, {}), 'FROM sha256:pre\n', 'no labels: no LABEL');
});

interface BuildCall {
  tag: string;
  layers: boolean;
  files: Record<string, string>;
  links: Record<string, string>;
}

const idOf = (tag: string) => createHash('sha256').update(tag).digest('hex');

/**
 * An engine whose builds only record what they were sent (image IDs made from the tags), and
 * whose images carry the labels of the Containerfile's last LABEL lines, as Podman's would.
 */
function recordingEngine(calls: BuildCall[]): Engine {
  const built = new Map<string, Record<string, string>>();
  const images = {
    inspect: async (reference: string) => (reference === 'localhost/os:test' ? { id: idOf(reference), labels: {}, created: '' } : built.has(reference) ? { id: idOf(reference), labels: built.get(reference)!, created: '' } : undefined),
    build: async (context: Readable, options: { tag: string; layers?: boolean }) => {
      const { default: tarStream } = await import('tar-stream');
      const extract = tarStream.extract();
      const files: Record<string, string> = {};
      const links: Record<string, string> = {};
      extract.on('entry', (header, body, next) => {
        const chunks: Buffer[] = [];
        body.on('data', (chunk: Buffer) => chunks.push(chunk));
        body.on('end', () => {
          if (header.type === 'file') files[header.name] = Buffer.concat(chunks).toString('latin1');
          if (header.type === 'symlink') links[header.name] = header.linkname ?? '';
          next();
        });
      });
      await new Promise<void>((resolve, reject) => {
        extract.on('finish', resolve);
        extract.on('error', reject);
        context.pipe(extract);
      });
      calls.push({ tag: options.tag, layers: options.layers !== false, files, links });
      const labels: Record<string, string> = {};
      for (const match of (files.Containerfile ?? '').matchAll(/"([^"]+)"="([^"]*)"/g)) labels[match[1]!] = match[2]!;
      built.set(options.tag, labels);
      return { imageId: idOf(options.tag), steps: 1, cacheHits: 0, log: [] };
    },
  };
  return { images, containers: {} } as unknown as Engine;
}

function imagesDir(work: string): string {
  const images = join(work, 'images');
  mkdirSync(join(images, 'base'), { recursive: true });
  mkdirSync(join(images, 'probe'), { recursive: true });
  writeFileSync(join(images, 'base', 'Containerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n');
  writeFileSync(join(images, 'probe', 'Containerfile'), 'FROM dh-podman/base\nUSER nobody\n');
  return images;
}

/** The OS trust files of both pre-trust images, as if read from them before (the cache by image ID). */
function seedOsTrust(work: string, cacheDir: string): string {
  const os = makeCa(work, 'os', '/CN=OS Root');
  const osPem = readFileSync(os.cert, 'utf8');
  const entries = [
    file('/etc/ca-certificates.conf', 'mozilla/OS_Root.crt\n'),
    dir('/usr/share/ca-certificates/mozilla'),
    file('/usr/share/ca-certificates/mozilla/OS_Root.crt', osPem),
    dir('/etc/ssl/certs'),
    link('/etc/ssl/certs/OS_Root.pem', '/usr/share/ca-certificates/mozilla/OS_Root.crt'),
    link(`/etc/ssl/certs/${subjectHashOf(os.cert, work)}.0`, 'OS_Root.pem'),
    file('/etc/ssl/certs/ca-certificates.crt', osPem),
    file('/etc/ssl/certs/java/cacerts', keytoolJks(work, [{ alias: 'debian:os_root.pem', pemFile: os.cert }])),
    file('/etc/ca-certificates/update.d/jks-keystore', '#!/bin/sh\n', 0o755),
  ];
  const json = JSON.stringify({ family: 'debian', entries: entries.map((entry) => ({ ...entry, content: entry.content?.toString('base64') })) });
  mkdirSync(join(cacheDir, 'os-trust'), { recursive: true });
  for (const name of ['base', 'probe']) writeFileSync(join(cacheDir, 'os-trust', `v1-${idOf(`localhost/t/${name}:pre-trust`)}.json`), json);
  return osPem;
}

const request = (images: string, cacheDir: string, caCertFile?: string) => ({ imagesDir: images, caCertFile, baseImage: 'localhost/os:test', only: [], tagPrefix: 'localhost/t/', cacheDir });

t.test('a build with CAs: each image\'s last layer COPYs the trust computed on the host from its own pre-trust image', async (t) => {
  const work = t.testdir();
  const cacheDir = join(work, 'cache');
  const osPem = seedOsTrust(work, cacheDir);
  const a = makeCa(work, 'a', '/CN=Site Root A');
  const b = makeCa(work, 'b', '/CN=Site Root B');
  const bundle = join(work, 'cas.pem');
  writeFileSync(bundle, readFileSync(a.cert, 'utf8') + readFileSync(b.cert, 'utf8'));
  const checked = await checkBuild(request(imagesDir(work), cacheDir, bundle));
  t.same(checked.findings, []);
  const calls: BuildCall[] = [];
  const report = await buildImages(recordingEngine(calls), checked);

  t.same(calls.map((call) => call.tag).sort(), ['localhost/t/base:latest', 'localhost/t/base:pre-trust', 'localhost/t/probe:latest', 'localhost/t/probe:pre-trust'], 'no trust stage: two builds per image');
  t.ok(calls.findIndex((call) => call.tag === 'localhost/t/base:pre-trust') < calls.findIndex((call) => call.tag === 'localhost/t/probe:pre-trust'), 'own builds in FROM order');
  const probeOwn = calls.find((call) => call.tag === 'localhost/t/probe:pre-trust')!;
  t.match(probeOwn.files.Containerfile, new RegExp(`^FROM ${idOf('localhost/t/base:pre-trust')}\\nUSER nobody\\nLABEL "${LABEL_CONTEXT_KEY}"="[0-9a-f]{64}"\\n$`), "probe's own Containerfile FROM base's pre-trust image, keyed");

  const sorted = [...checked.cas].sort((x, y) => (x.alias < y.alias ? -1 : 1));
  for (const name of ['base', 'probe']) {
    const call = calls.find((c) => c.tag === `localhost/t/${name}:latest`)!;
    t.equal(call.layers, false, `${name}: the last layer is committed once`);
    const lines = call.files.Containerfile!.split('\n');
    t.same(lines.slice(0, 2), [`FROM ${idOf(`localhost/t/${name}:pre-trust`)}`, 'COPY trust/ /'], `${name}: FROM its pre-trust image, then the one COPY`);
    t.match(call.files.Containerfile, `"${LABEL_CA_FINGERPRINTS}"="${report.caFingerprints.join(',')}"`);
    t.match(call.files.Containerfile, `"org.opencontainers.image.version"="${VERSION}"`);
    t.equal(call.files['trust/etc/ssl/certs/ca-certificates.crt'], osPem + sorted.map((entry) => toPem('CERTIFICATE', entry.certificate.der)).join(''), 'the bundle: the OS CAs, then the site CAs');
    for (const entry of checked.cas) {
      t.equal(call.files[`trust/usr/local/share/ca-certificates/dh-podman/${entry.alias}.crt`], toPem('CERTIFICATE', entry.certificate.der));
      t.equal(call.links[`trust/etc/ssl/certs/${entry.alias}.pem`], `/usr/local/share/ca-certificates/dh-podman/${entry.alias}.crt`);
    }
    t.equal(Object.keys(call.links).filter((path) => /\/[0-9a-f]{8}\.0$/.test(path)).length, 2, 'one hash link per site CA');
    t.ok(call.files['trust/etc/ssl/certs/java/cacerts'], "Java's cacerts");
    t.notOk(Object.keys(call.files).some((path) => path !== 'Containerfile' && !path.startsWith('trust/')), 'nothing but the trust files: no image directory');
  }
  t.same(report.images.map((image) => [image.image, image.trust?.family, image.trust?.osCertificates, image.trust?.javaCacerts, image.trust?.files]), [
    ['base', 'debian', 1, '/etc/ssl/certs/java/cacerts', 8],
    ['probe', 'debian', 1, '/etc/ssl/certs/java/cacerts', 8],
  ]);

  // The same build again: both pre-trust images carry their context key, both final images their layer key.
  const again: BuildCall[] = [];
  const engine = recordingEngine(again);
  await buildImages(engine, checked);
  const repeat = await buildImages(engine, checked);
  t.same(
    repeat.images.map((image) => image.stages.map((stage) => stage.reused)),
    [[true, true], [true, true]],
    'nothing changed: nothing is sent to the engine',
  );
  t.equal(again.length, 4, 'only the first of the two builds reached the engine');

  // Another CA only: the pre-trust images stay, the last layers are made again.
  const c = makeCa(work, 'c', '/CN=Site Root C');
  const changed = await buildImages(engine, await checkBuild(request(imagesDir(work), cacheDir, c.cert)));
  t.same(changed.images.map((image) => image.stages.map((stage) => stage.reused === true)), [[true, false], [true, false]], 'a CA change: only the last layers');
  t.same(again.slice(4).map((call) => call.tag).sort(), ['localhost/t/base:latest', 'localhost/t/probe:latest']);
  t.match(again.at(-1)!.files.Containerfile, `"${LABEL_LAST_LAYER_KEY}"=`);
});

t.test('a build without a CA: no COPY, no trust files, an empty CA label', async (t) => {
  const work = t.testdir();
  const calls: BuildCall[] = [];
  const report = await buildImages(recordingEngine(calls), await checkBuild(request(imagesDir(work), join(work, 'cache'))));
  const base = calls.find((call) => call.tag === 'localhost/t/base:latest')!;
  t.same(Object.keys(base.files), ['Containerfile']);
  t.match(base.files.Containerfile, /^FROM [0-9a-f]{64}\nLABEL "io\.dh-podman\.ca-sha256"="" \\\n/);
  t.notOk(base.files.Containerfile!.includes('COPY'));
  t.equal(report.images[0]!.trust, undefined);
});

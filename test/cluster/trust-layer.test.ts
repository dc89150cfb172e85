import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { VERSION } from '../../src/base/version.js';
import { buildImages, checkBuild, LABEL_CA_FINGERPRINTS } from '../../src/cluster/build.js';
import { CA_DIR_IN_CONTEXT, caFiles, finalContainerfile, trustStageContainerfile } from '../../src/cluster/trust-layer.js';
import type { Engine } from '../../src/engine/engine.js';
import { parseCertificate } from '../../src/pki/certificate.js';
import { buildPool } from '../../src/trust/pool.js';
import { makeCa, openssl } from '../support/openssl.js';

const derOf = (pem: string): Buffer => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
const fingerprint = (file: string, cwd: string) =>
  openssl(['x509', '-in', file, '-noout', '-fingerprint', '-sha256'], cwd).trim().replace(/^.*=/, '').replaceAll(':', '').toLowerCase();

/** The script of the stage's one RUN, taken from its exec-form JSON array. */
function runScript(containerfile: string): string {
  const runs = containerfile.split('\n').filter((line) => line.startsWith('RUN '));
  if (runs.length !== 1) throw new Error(`expected one RUN, found ${runs.length}`);
  const argv = JSON.parse(runs[0]!.slice('RUN '.length)) as string[];
  if (argv.length !== 3 || argv[0] !== '/bin/sh' || argv[1] !== '-c') throw new Error(`unexpected RUN ${runs[0]}`);
  return argv[2]!;
}

t.test('the trust stage: FROM the given image, the CAs copied in, one RUN as root', async (t) => {
  const containerfile = trustStageContainerfile('sha256:0123abcd');
  const lines = containerfile.split('\n');
  t.same(lines.slice(0, 3), ['FROM sha256:0123abcd', `COPY ${CA_DIR_IN_CONTEXT}/ /tmp/${CA_DIR_IN_CONTEXT}/`, 'USER root']);
  t.match(lines[3], /^RUN \["\/bin\/sh","-c",".*"\]$/, 'exec form, so the image needs no particular SHELL');
  t.same(lines.slice(4), [''], 'nothing after the RUN');
  t.equal(lines.filter((line) => /^(FROM|RUN) /.test(line)).length, 2, 'one stage, one RUN');
});

t.test('the install script is valid sh and serves both OS families', async (t) => {
  const script = runScript(trustStageContainerfile('base'));
  const check = spawnSync('sh', ['-n'], { input: script, encoding: 'utf8' });
  t.equal(check.status, 0, `sh -n accepts it${check.stderr ? `: ${check.stderr}` : ''}`);
  t.not(spawnSync('sh', ['-n'], { input: `${script}\nif true; then\n`, encoding: 'utf8' }).status, 0, 'and sh -n does catch a broken script');

  const lines = script.split('\n');
  t.equal(lines[0], 'set -eu', 'any failing step fails the build');
  const debian = lines.indexOf('if command -v update-ca-certificates >/dev/null 2>&1; then');
  const rhel = lines.indexOf('elif command -v update-ca-trust >/dev/null 2>&1; then');
  const neither = lines.indexOf('else');
  t.ok(debian > 0 && rhel > debian && neither > rhel, 'Debian, then RHEL, then neither');
  const branch = (from: number, to: number) => lines.slice(from + 1, to).map((line) => line.trim());

  t.same(branch(debian, rhel), [
    'mkdir -p /usr/local/share/ca-certificates/dh-podman',
    `cp /tmp/${CA_DIR_IN_CONTEXT}/*.crt /usr/local/share/ca-certificates/dh-podman/`,
    'update-ca-certificates',
    'mkdir -p /dh-podman-trust/etc/ssl /dh-podman-trust/usr/local/share/ca-certificates',
    'cp -a /etc/ssl/certs /dh-podman-trust/etc/ssl/',
    'cp -a /usr/local/share/ca-certificates/dh-podman /dh-podman-trust/usr/local/share/ca-certificates/',
  ], 'Debian: the CAs where update-ca-certificates looks, then /etc/ssl/certs and the sources collected');
  t.same(branch(rhel, neither), [
    `cp /tmp/${CA_DIR_IN_CONTEXT}/*.crt /etc/pki/ca-trust/source/anchors/`,
    'update-ca-trust extract',
    'mkdir -p /dh-podman-trust/etc/pki && cp -a /etc/pki/ca-trust /dh-podman-trust/etc/pki/',
  ], 'RHEL: anchors, update-ca-trust extract, /etc/pki/ca-trust collected');
  const tail = branch(neither, lines.length);
  t.match(tail[0], /^echo ".*update-ca-certificates.*update-ca-trust.*" >&2$/, 'neither tool: says which were looked for');
  t.same(tail.slice(1), ['exit 1', 'fi', `rm -rf /tmp/${CA_DIR_IN_CONTEXT}`], 'and fails; otherwise the copied CAs are removed');
  t.ok(lines.indexOf('mkdir -p /dh-podman-trust') < debian, 'the collection directory exists whichever branch runs');
});

// Running the script itself is left out: its paths (/tmp/dh-podman-ca, /dh-podman-trust, /etc,
// /usr/local/share) are fixed in the module, not parameters, so outside a container it would
// write to the host's own trust store, and rewriting them would test a different script.

t.test('caFiles: one PEM certificate per .crt, named by alias', async (t) => {
  const dir = t.testdir();
  const a = makeCa(dir, 'a', '/CN=Site Root A');
  const b = makeCa(dir, 'b', '/O=Example Corp/CN=Site Root B');
  const certs = [a.cert, b.cert].map((file) => parseCertificate(derOf(readFileSync(file, 'utf8'))));
  const pool = buildPool([{ name: 'cas.pem', certificates: certs, holdsPrivateKey: false }]);
  t.same(pool.findings, []);
  const files = caFiles(pool.entries);

  t.same(Object.keys(files).sort(), pool.entries.map((entry) => `${CA_DIR_IN_CONTEXT}/${entry.alias}.crt`).sort());
  for (const name of Object.keys(files)) t.match(name, new RegExp(`^${CA_DIR_IN_CONTEXT}/[a-z0-9-]+-[0-9a-f]{8}\\.crt$`), `${name}: a plain file name`);
  const expected = new Map([a.cert, b.cert].map((file) => [fingerprint(file, dir), file]));
  for (const entry of pool.entries) {
    const pem = files[`${CA_DIR_IN_CONTEXT}/${entry.alias}.crt`]!;
    t.equal(pem.match(/-----BEGIN /g)?.length, 1, `${entry.alias}: exactly one block`);
    t.match(pem, /^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----\n$/, 'PEM with 64-column lines');
    const written = join(dir, `${entry.alias}.crt`);
    writeFileSync(written, pem);
    const openSslFingerprint = fingerprint(written, dir);
    t.equal(openSslFingerprint, entry.certificate.sha256, 'OpenSSL reads the same certificate back');
    t.ok(expected.has(openSslFingerprint), 'and it is one of the CAs given');
  }
  t.same(caFiles([]), {}, 'no CA, no files');
});

t.test('finalContainerfile: the trust COPY, then one sorted LABEL line', async (t) => {
  const labels = { 'z.last': 'z', 'a.first': 'has "quotes"', 'm.middle': '' };
  t.equal(
    finalContainerfile('sha256:pre', 'sha256:trust', labels),
    [
      'FROM sha256:pre',
      'COPY --from=sha256:trust /dh-podman-trust/ /',
      'LABEL "a.first"="has \\"quotes\\"" \\',
      '      "m.middle"="" \\',
      '      "z.last"="z"',
      '',
    ].join('\n'),
  );
  t.equal(finalContainerfile('sha256:pre', undefined, { b: '2', a: '1' }), 'FROM sha256:pre\nLABEL "a"="1" \\\n      "b"="2"\n', 'no trust stage: no COPY');
  t.equal(finalContainerfile('sha256:pre', undefined, {}), 'FROM sha256:pre\n', 'no labels: no LABEL');
});

interface BuildCall {
  tag: string;
  files: Record<string, string>;
}

/** An engine whose builds only record what they were sent; image IDs are made from the tags. */
function recordingEngine(calls: BuildCall[]): Engine {
  const images = {
    exists: async () => true,
    build: async (context: Readable, options: { tag: string }) => {
      const { default: tarStream } = await import('tar-stream');
      const extract = tarStream.extract();
      const files: Record<string, string> = {};
      extract.on('entry', (header, body, next) => {
        const chunks: Buffer[] = [];
        body.on('data', (chunk: Buffer) => chunks.push(chunk));
        body.on('end', () => {
          if (header.type === 'file') files[header.name] = Buffer.concat(chunks).toString('utf8');
          next();
        });
      });
      await new Promise<void>((resolve, reject) => {
        extract.on('finish', resolve);
        extract.on('error', reject);
        context.pipe(extract);
      });
      calls.push({ tag: options.tag, files });
      return { imageId: `id-of-${options.tag}`, steps: 1, cacheHits: 0, log: [] };
    },
  };
  return { images } as unknown as Engine;
}

function imagesDir(dir: string): string {
  const images = join(dir, 'images');
  mkdirSync(join(images, 'base'), { recursive: true });
  mkdirSync(join(images, 'probe'), { recursive: true });
  writeFileSync(join(images, 'base', 'Containerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n');
  writeFileSync(join(images, 'probe', 'Containerfile'), 'FROM dh-podman/base\nUSER nobody\n');
  return images;
}

const request = (images: string, caCertFile?: string) => ({ imagesDir: images, caCertFile, baseImage: 'localhost/os:test', only: [], tagPrefix: 'localhost/t/' });

t.test('a build with a CA: one trust stage from the root, then a COPY and the labels on every image', async (t) => {
  const dir = t.testdir();
  const a = makeCa(dir, 'a', '/CN=Site Root A');
  const b = makeCa(dir, 'b', '/CN=Site Root B');
  const bundle = join(dir, 'cas.pem');
  writeFileSync(bundle, readFileSync(a.cert, 'utf8') + readFileSync(b.cert, 'utf8'));
  const checked = await checkBuild(request(imagesDir(dir), bundle));
  t.same(checked.findings, []);
  const calls: BuildCall[] = [];
  const report = await buildImages(recordingEngine(calls), checked);

  t.same(calls.map((call) => call.tag), [
    'localhost/t/base:pre-trust',
    'localhost/t/base-trust:latest',
    'localhost/t/base:latest',
    'localhost/t/probe:pre-trust',
    'localhost/t/probe:latest',
  ], 'the trust stage is built once');
  const fingerprints = [a.cert, b.cert].map((file) => fingerprint(file, dir)).sort();
  t.same(report.caFingerprints, fingerprints);

  const trust = calls[1]!;
  t.equal(trust.files.Containerfile, trustStageContainerfile('id-of-localhost/t/base:pre-trust'), 'from the pre-trust image this build made');
  t.same(Object.keys(trust.files).filter((name) => name !== 'Containerfile').sort(), Object.keys(caFiles(checked.cas)).sort(), 'and holds the CA files');

  t.equal(calls[3]!.files.Containerfile, 'FROM id-of-localhost/t/base:pre-trust\nUSER nobody\n', "probe's own Containerfile, FROM base's pre-trust image");
  for (const [index, name] of [[2, 'base'], [4, 'probe']] as const) {
    t.equal(
      calls[index]!.files.Containerfile,
      finalContainerfile(`id-of-localhost/t/${name}:pre-trust`, 'id-of-localhost/t/base-trust:latest', {
        'org.opencontainers.image.title': name,
        'org.opencontainers.image.version': VERSION,
        'org.opencontainers.image.base.name': 'localhost/os:test',
        'io.dh-podman.tool': 'dh-podman',
        [LABEL_CA_FINGERPRINTS]: fingerprints.join(','),
      }),
      `${name}: COPY --from the trust stage, then the labels`,
    );
    const lines = calls[index]!.files.Containerfile!.split('\n');
    t.ok(lines.findIndex((line) => line.startsWith('COPY --from=')) < lines.findIndex((line) => line.startsWith('LABEL ')), 'the COPY comes before the LABEL line');
    t.equal(lines.filter((line) => line.startsWith('LABEL ')).length, 1, 'one LABEL line');
    t.match(calls[index]!.files.Containerfile, `"io.dh-podman.ca-sha256"="${fingerprints.join(',')}"`);
  }
});

t.test('a build without a CA: no trust stage, no COPY, an empty CA label', async (t) => {
  const dir = t.testdir();
  const calls: BuildCall[] = [];
  const report = await buildImages(recordingEngine(calls), await checkBuild(request(imagesDir(dir))));
  t.same(calls.map((call) => call.tag), ['localhost/t/base:pre-trust', 'localhost/t/base:latest', 'localhost/t/probe:pre-trust', 'localhost/t/probe:latest']);
  t.equal(report.trustStage, undefined);
  t.equal(
    calls[1]!.files.Containerfile,
    [
      'FROM id-of-localhost/t/base:pre-trust',
      'LABEL "io.dh-podman.ca-sha256"="" \\',
      '      "io.dh-podman.tool"="dh-podman" \\',
      '      "org.opencontainers.image.base.name"="localhost/os:test" \\',
      '      "org.opencontainers.image.title"="base" \\',
      `      "org.opencontainers.image.version"="${VERSION}"`,
      '',
    ].join('\n'),
  );
});


import t from 'tap';
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, runCli } from '../support/cli.js';
import { makeCa, makeLeaf } from '../support/openssl.js';
import { BASE_IMAGE, podmanEnv, requirePodman, PROBE_AND_FRONT } from '../support/podman.js';
import { podman, untagPrefix } from '../support/podman-cli.js';

const PREFIX = `localhost/dh-podman-test-build-${process.pid}/`;
const IMAGE = `${PREFIX}base:latest`;
const SERVER_NAME = 'tls.example.test';

const build = (args: string[]) => runCli(['build', '--json', '--tag-prefix', PREFIX, '--base-image', BASE_IMAGE, ...PROBE_AND_FRONT, ...args], { env: podmanEnv });

t.test('CAs baked at build time are trusted by the JVM through system trust', async (t) => {
  if (!(await requirePodman(t))) return;
  const dir = t.testdir();
  const ca = makeCa(dir, 'site-ca', '/CN=dh-podman test site CA');
  const otherCa = makeCa(dir, 'other-ca', '/CN=dh-podman test other CA');
  const leaf = makeLeaf(dir, 'server', ca, [SERVER_NAME]);
  const shared = join(dir, 'shared');
  mkdirSync(shared);
  copyFileSync(leaf.cert, join(shared, 'server.crt'));
  copyFileSync(leaf.key, join(shared, 'server.key'));
  copyFileSync(join(repoRoot, 'test/java/SystemTrustHandshake.java'), join(shared, 'SystemTrustHandshake.java'));
  chmodSync(join(shared, 'server.key'), 0o644);

  const suffix = `${process.pid}`;
  const network = `dhp-test-build-${suffix}`;
  const server = `dhp-test-build-server-${suffix}`;
  t.teardown(async () => {
    await podman(['rm', '-f', server], true);
    await podman(['network', 'rm', '-f', network], true);
    await untagPrefix(PREFIX);
  });
  await podman(['network', 'create', network]);
  await podman(['run', '-d', '--name', server, '--network', network, '--network-alias', SERVER_NAME, '-v', `${shared}:/s:ro`, BASE_IMAGE,
    'openssl', 's_server', '-accept', '8443', '-cert', '/s/server.crt', '-key', '/s/server.key', '-www', '-quiet']);
  // The server container may still be starting: a refused connection is retried, so what is
  // asserted is the trust decision, never a race.
  const handshake = async () => {
    let result = await podman(['run', '--rm', '--network', network, '-v', `${shared}:/s:ro`, IMAGE, 'java', '/s/SystemTrustHandshake.java', SERVER_NAME, '8443'], true);
    for (let attempt = 0; attempt < 20 && /ConnectException|UnknownHost|Connection refused/.test(result.stdout); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      result = await podman(['run', '--rm', '--network', network, '-v', `${shared}:/s:ro`, IMAGE, 'java', '/s/SystemTrustHandshake.java', SERVER_NAME, '8443'], true);
    }
    return result;
  };

  const plain = await build([]);
  t.equal(plain.code, 0, plain.stderr);
  const refused = await handshake();
  t.equal(refused.code, 1, 'without the CA the JVM refuses the server');
  t.match(refused.stdout, /HANDSHAKE FAILED .*PKIX/);

  const baked = await build(['--ca-cert-file', ca.cert]);
  t.equal(baked.code, 0, baked.stderr);
  const report = JSON.parse(baked.stdout);
  const accepted = await handshake();
  t.equal(accepted.code, 0, accepted.stdout + accepted.stderr);
  t.match(accepted.stdout, /HANDSHAKE OK TLSv1\.3/);

  const cacerts = await podman(['run', '--rm', IMAGE, 'keytool', '-list', '-cacerts', '-storepass', 'changeit']);
  const fingerprint = report.caFingerprints[0].toUpperCase().match(/.{2}/g).join(':');
  t.match(cacerts.stdout, fingerprint, "keytool -list -cacerts shows the CA's fingerprint");
  const labels = JSON.parse((await podman(['image', 'inspect', IMAGE, '--format', '{{json .Labels}}'])).stdout);
  t.equal(labels['io.dh-podman.ca-sha256'], report.caFingerprints[0], 'the image says which CA it carries');

  // OpenSSL in the image: its default store (the bundle), then the hashed directory alone.
  const verifyDefault = await podman(['run', '--rm', '--network', 'none', '-v', `${shared}:/s:ro`, IMAGE, 'openssl', 'verify', '/s/server.crt'], true);
  t.equal(verifyDefault.code, 0, `openssl verify with the default store: ${verifyDefault.stdout}${verifyDefault.stderr}`);
  const verifyHashed = await podman(['run', '--rm', '--network', 'none', '-v', `${shared}:/s:ro`, IMAGE, 'openssl', 'verify', '-no-CAfile', '-CApath', '/etc/ssl/certs', '/s/server.crt'], true);
  t.equal(verifyHashed.code, 0, `openssl verify -CApath /etc/ssl/certs (the subject-hash links): ${verifyHashed.stdout}${verifyHashed.stderr}`);
  const plainVerify = await podman(['run', '--rm', '--network', 'none', '-v', `${shared}:/s:ro`, BASE_IMAGE, 'openssl', 'verify', '/s/server.crt'], true);
  t.not(plainVerify.code, 0, 'the OS image without the layer does not trust the server');

  // Only the CA changes: the image's own build is not redone, only its last layer.
  const rebuilt = await build(['--ca-cert-file', otherCa.cert]);
  t.equal(rebuilt.code, 0, rebuilt.stderr);
  const image = JSON.parse(rebuilt.stdout).images.find((i: { image: string }) => i.image === 'base');
  t.equal(image.stages[0].reused, true, 'images/base is not built again: its pre-trust image carries the same context key');
  t.notOk(image.stages[1].reused, 'the last layer is made again');
  const replaced = report.images.find((i: { image: string }) => i.image === 'base').imageId;
  t.not(image.imageId, replaced, 'the final image changed');
  t.not((await podman(['image', 'exists', replaced], true)).code, 0, 'the image it replaced is removed: nothing used it');
  const refusedAgain = await handshake();
  t.equal(refusedAgain.code, 1, 'a CA that left the bundle is no longer trusted');

  // The same CA again: nothing is built.
  const same = await build(['--ca-cert-file', otherCa.cert]);
  t.equal(same.code, 0, same.stderr);
  t.same(JSON.parse(same.stdout).images.map((i: { stages: { reused?: boolean }[] }) => i.stages.map((stage) => stage.reused === true)), JSON.parse(same.stdout).images.map(() => [true, true]), 'an unchanged build sends nothing to the engine');
});

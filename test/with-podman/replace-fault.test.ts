import t from 'tap';
import { cpSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot, runCli } from '../support/cli.js';
import { fileBytes } from '../support/custody.js';
import { freePort } from '../support/net.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';
import { BASE_IMAGE, podmanEnv, requirePodman } from '../support/podman.js';
import { curlHttps, eventually, podman, removePodsAndNetwork, untagPrefix } from '../support/podman-cli.js';

/**
 * A failed `start` over a working pod takes nothing down: a host port another process holds is
 * found before the old pod is touched, and a new pod that fails after the old one was removed
 * (an image whose user does not exist: Podman accepts the container and fails it at start) is
 * followed by the old pod put back, on its old files, answering /health again.
 */

const PREFIX = `localhost/out-replace-${process.pid}/`;
const HOST = 'r.out-replace.test';
const pod = `out-replace-${process.pid}`;
const network = `out-replace-${process.pid}`;


t.test('a failed replace leaves the working pod serving', async (t) => {
  if (!(await requirePodman(t))) return;
  const dir = t.testdir();
  const stateDir = join(dir, 'state');
  const ca = makeCa(dir, 'ca', '/CN=out-replace test CA');
  const volume = makeVolume(dir, 'tls', makeLeaf(dir, 'leaf', ca, [HOST]));
  const port = await freePort();

  t.teardown(async () => {
    await removePodsAndNetwork(network, pod);
    await untagPrefix(PREFIX);
  });

  // The shipped images plus one whose USER does not exist in it.
  const images = join(dir, 'images');
  cpSync(join(repoRoot, 'images'), images, { recursive: true });
  mkdirSync(join(images, 'broken'));
  writeFileSync(join(images, 'broken', 'Containerfile'), 'FROM dh-podman/probe\nUSER nosuchuser\n');
  const build = await runCli(['build', '--images-dir', images, '--only', 'broken', '--tag-prefix', PREFIX, '--base-image', BASE_IMAGE], { env: podmanEnv });
  t.equal(build.code, 0, build.stderr);

  const start = (publish: number, image = `${PREFIX}probe:latest`) =>
    runCli(['start', '--json', '-h', HOST, '--tls-volume', volume, '--ca-cert-file', ca.cert, '--name', pod, '--image', image,
      '--network', network, '--publish', `${publish}`, '--state-dir', stateDir], { env: podmanEnv });
  const answers = () => eventually(async () => ((await curlHttps(`https://${HOST}:${port}/health`, ca.cert, HOST, port)).code === 0 ? true : undefined), 90_000);
  const inspect = async () => JSON.parse((await podman(['pod', 'inspect', pod])).stdout) as { Id: string; State: string };

  const first = await start(port);
  t.equal(first.code, 0, first.stderr);
  t.ok(await answers(), 'the pod answers /health over TLS');
  const podRoot = join(stateDir, 'pods', pod);
  const files = fileBytes(podRoot);
  const infraName = async () => (await podman(['pod', 'inspect', pod, '--format', '{{.InfraContainerID}}'])).stdout.trim();
  const ipOf = async () => (await podman(['inspect', await infraName(), '--format', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`])).stdout.trim();
  const ipBefore = await ipOf();
  t.ok(ipBefore, 'the pod has an address on its network');

  await t.test('a host port another process holds: refused before the pod is touched', async (t) => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    t.teardown(() => blocker.close());
    const taken = (blocker.address() as { port: number }).port;
    const before = await inspect();

    const result = await start(taken);
    t.equal(result.code, 4, 'exit 4');
    t.match(result.stderr, new RegExp(`port ${taken}: host port 0\\.0\\.0\\.0:${taken} is held by another process; pod ${pod} was not touched.*\\[PORT_IN_USE\\]`));
    t.equal((await inspect()).Id, before.Id, 'the same pod, never removed');
    t.ok(await answers(), 'the old endpoint still answers /health');
    t.same(fileBytes(podRoot), files, 'the derived files are the same bytes');
  });

  await t.test('a new pod that fails after the old one was removed: the old one is put back', async (t) => {
    const before = await inspect();
    const result = await start(port, `${PREFIX}broken:latest`);
    t.equal(result.code, 4, 'exit 4');
    t.match(result.stderr, /replacing pod .*putting the previous pod .* back/s, 'it said what it did');
    t.match(result.stderr, /; the previous pod was put back and is running/);
    const after = await inspect();
    t.not(after.Id, before.Id, 'the old pod was removed and created again');
    t.equal(after.State, 'Running');
    t.ok(await answers(), 'the old endpoint answers /health again');
    t.same(fileBytes(podRoot), files, 'its derived files are the same bytes as before');
    t.equal(await ipOf(), ipBefore, 'at the same address on the network');
    const again = await start(port);
    t.equal(again.code, 0, again.stderr);
    t.equal(JSON.parse(again.stdout).changed, false, 'the pod put back is the pod as planned: running it again changes nothing');
  });

  t.equal(statSync(join(podRoot, 'auth', 'keystore.p12')).mode & 0o777, 0o600, 'the keystore kept its mode');
});

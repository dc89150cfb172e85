import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readOsTrustFiles, trustLayer } from '../../src/cluster/trust-layer.js';
import { Engine } from '../../src/engine/engine.js';
import { treeOf } from '../../src/trust/image-tree.js';
import { readCacerts } from '../../src/trust/java-cacerts.js';
import { BASE_IMAGE, podmanEnv, requirePodman } from '../support/podman.js';
import { podman } from '../support/podman-cli.js';
import { poolOf } from '../support/trust-tree.js';

/**
 * The oracle: Debian's own update-ca-certificates (with the ca-certificates-java hook), run once
 * in a container of the OS image over the same CA files, against what dh-podman computes on
 * the host from that image's files. Bundle bytes, the links of /etc/ssl/certs and the cacerts
 * aliases must be the same.
 */
t.test('the host-computed Debian trust equals what update-ca-certificates makes in the image', async (t) => {
  if (!(await requirePodman(t))) return;
  const work = t.testdir();
  const cas = poolOf(work, ['/O=Example Corp/CN=Oracle Root B', '/CN=Oracle Root A', '/CN=  oracle   ROOT a']);
  const layer = await Engine.with({ env: { ...process.env, ...podmanEnv } }, async (engine) => {
    const id = (await engine.images.inspect(BASE_IMAGE))!.id;
    const files = await readOsTrustFiles(engine, id, join(work, 'cache'));
    t.equal(files.family, 'debian', 'the family told from the image');
    return { files, layer: trustLayer(files, cas) };
  });
  const byPath = new Map(layer.layer.entries.map((entry) => [entry.path, entry]));

  // The OS tool over the CA files dh-podman put in the layer.
  const shared = join(work, 'shared');
  mkdirSync(join(shared, 'in'), { recursive: true });
  mkdirSync(join(shared, 'out'), { recursive: true });
  for (const entry of layer.layer.entries.filter((e) => e.path.startsWith('/usr/local/share/ca-certificates/dh-podman/') && e.type === 'file')) {
    writeFileSync(join(shared, 'in', entry.path.split('/').pop()!), entry.content!);
  }
  const script = [
    'set -e',
    'mkdir -p /usr/local/share/ca-certificates/dh-podman',
    'cp /s/in/*.crt /usr/local/share/ca-certificates/dh-podman/',
    'update-ca-certificates >/s/out/tool.log 2>&1',
    'cp /etc/ssl/certs/ca-certificates.crt /s/out/bundle',
    'cd /etc/ssl/certs && find . -maxdepth 1 -type l -printf "%f -> %l\\n" | LC_ALL=C sort >/s/out/links',
    // UTF-8 out: one Debian alias is Hungarian, which the POSIX locale would print as "?".
    'LC_ALL=C.UTF-8 keytool -J-Dsun.stdout.encoding=UTF-8 -list -cacerts -storepass changeit | grep trustedCertEntry | cut -d, -f1 | LC_ALL=C sort >/s/out/aliases',
  ].join('\n');
  const run = await podman(['run', '--rm', '--network', 'none', '-v', `${shared}:/s`, BASE_IMAGE, 'sh', '-c', script], true);
  t.equal(run.code, 0, run.stderr || 'update-ca-certificates ran in the image');
  t.comment(readFileSync(join(shared, 'out', 'tool.log'), 'utf8').trim());

  t.ok(readFileSync(join(shared, 'out', 'bundle')).equals(byPath.get('/etc/ssl/certs/ca-certificates.crt')!.content!), 'the bundle, byte for byte');

  const before = treeOf(layer.files.entries);
  const links = new Map<string, string>();
  for (const entry of [...before.values(), ...layer.layer.entries]) {
    if (entry.type === 'symlink' && /^\/etc\/ssl\/certs\/[^/]+$/.test(entry.path)) links.set(entry.path.slice('/etc/ssl/certs/'.length), entry.target!);
  }
  const ours = [...links].map(([name, target]) => `${name} -> ${target}`).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const theirs = readFileSync(join(shared, 'out', 'links'), 'utf8').trim().split('\n');
  t.same(ours, theirs, `every link of /etc/ssl/certs (${theirs.length}), hashed ones included, with its target`);
  t.ok(cas.every((entry) => theirs.some((line) => line.endsWith(`-> ${entry.alias}.pem`))), 'each site CA has its subject-hash link');
  t.ok(theirs.some((line) => /^[0-9a-f]{8}\.1 -> oracle-root-a-/.test(line)), 'two names equal once canonicalised share a hash: .0 and .1, as rehash numbers them');

  const aliases = readCacerts(byPath.get('/etc/ssl/certs/java/cacerts')!.content!).map((entry) => entry.alias).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  t.same(aliases, readFileSync(join(shared, 'out', 'aliases'), 'utf8').trim().split('\n'), "Java's cacerts: the same aliases as ca-certificates-java's");
});

import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliResult } from '../support/cli.js';
import { freePort } from '../support/net.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';
import { writeClusterFile } from '../support/cluster-file.js';
import { BASE_IMAGE, podmanEnv, requirePodman } from '../support/podman.js';
import { eventually, removeClusterPods, untagPrefix } from '../support/podman-cli.js';

/** `doctor -f` on running clusters: every trust path live, and the broken one explained. */

const PREFIX = `localhost/dh-podman-test-trust-doctor-${process.pid}/`;
const run = `tdoc-${process.pid}`;

interface Path {
  from: string;
  to: string;
  kind: string;
  ok: boolean;
  reason?: string;
  fix?: string;
}

/** Services need a JVM start before they answer; the doctor is asked until nothing is unreachable. */
async function settledDoctor(file: string): Promise<CliResult> {
  let last: CliResult | undefined;
  await eventually(async () => {
    last = await runCli(['doctor', '-f', file, '--json'], { env: podmanEnv });
    const paths = (JSON.parse(last.stdout || '{"paths":[]}').paths ?? []) as Path[];
    return paths.length > 0 && !paths.some((path) => /unreachable/.test(path.reason ?? '')) ? true : undefined;
  }, 90_000);
  return last!;
}

function clusterFile(dir: string, cluster: string, pods: { name: string; hostname: string; port: number; volume: string }[], extra: string[]): string {
  return writeClusterFile(join(dir, `${cluster}.yaml`), [`cluster: ${cluster}`, `stateDir: ./state-${cluster}`, ...extra],
    pods.map((pod) => ({ ...pod, image: `${PREFIX}probe:latest`, volume: `./${pod.volume}` })));
}

t.test('doctor -f: a good cluster is green; a truststore without the other issuer is named, with its direction', async (t) => {
  if (!(await requirePodman(t))) return;
  const dir = t.testdir();
  const a = makeCa(dir, 'a', '/CN=tdoc CA A');
  const b = makeCa(dir, 'b', '/CN=tdoc CA B');
  writeFileSync(join(dir, 'ab.crt'), readFileSync(a.cert, 'utf8') + readFileSync(b.cert, 'utf8'));
  const good = `${run}-good`;
  const bad = `${run}-bad`;
  t.teardown(async () => {
    await removeClusterPods(good);
    await removeClusterPods(bad);
    await untagPrefix(PREFIX);
  });
  const build = await runCli(['build', '--tag-prefix', PREFIX, '--base-image', BASE_IMAGE], { env: podmanEnv });
  t.equal(build.code, 0, build.stderr);

  // Good: both machines under CA A, which everybody trusts.
  const goodPods = [
    { name: `${good}-one`, hostname: 'one.tdoc-good.test', port: await freePort(), volume: 'g1' },
    { name: `${good}-two`, hostname: 'two.tdoc-good.test', port: await freePort(), volume: 'g2' },
  ];
  for (const pod of goodPods) makeVolume(dir, pod.volume, makeLeaf(dir, pod.volume, a, [pod.hostname]));
  const goodFile = clusterFile(dir, good, goodPods, ['trust:', '  caCertFile: ./a.crt']);
  const up = await runCli(['up', '-f', goodFile], { env: podmanEnv });
  t.equal(up.code, 0, up.stderr);
  const green = await settledDoctor(goodFile);
  t.equal(green.code, 0, green.stdout);
  const greenPaths = JSON.parse(green.stdout).paths as Path[];
  t.same(greenPaths.map((p) => `${p.kind} ${p.from} → ${p.to} ${p.ok}`).sort(), [
    `host host → ${good}-one true`,
    `host host → ${good}-two true`,
    `machine ${good}-one → ${good}-two true`,
    `machine ${good}-two → ${good}-one true`,
  ].sort(), 'host → each machine and machine → machine all verify');
  const human = await runCli(['doctor', '-f', goodFile], { env: podmanEnv });
  t.equal(human.code, 0);
  t.match(human.stdout, new RegExp(`^ok +${good}-one → ${good}-two +two\\.tdoc-good\\.test:8123`, 'm'));
  await runCli(['down', '-f', goodFile], { env: podmanEnv });

  // Broken: one machine under A, the other under B; clients trust both, but the machines'
  // internal truststores (trust.internalCaCertFile) hold only A.
  const badPods = [
    { name: `${bad}-one`, hostname: 'one.tdoc-bad.test', port: await freePort(), volume: 'b1' },
    { name: `${bad}-two`, hostname: 'two.tdoc-bad.test', port: await freePort(), volume: 'b2' },
  ];
  makeVolume(dir, 'b1', makeLeaf(dir, 'b1', a, [badPods[0]!.hostname, 'front.tdoc-bad.test']));
  makeVolume(dir, 'b2', makeLeaf(dir, 'b2', b, [badPods[1]!.hostname, 'front.tdoc-bad.test']));
  const badFile = clusterFile(dir, bad, badPods, [
    'trust:',
    '  caCertFile: ./ab.crt',
    '  internalCaCertFile: ./a.crt',
    'envoy:',
    '  hostname: front.tdoc-bad.test',
    `  image: ${PREFIX}front:latest`,
  ]);
  const upBad = await runCli(['up', '-f', badFile], { env: podmanEnv });
  t.equal(upBad.code, 0, upBad.stderr);
  const red = await settledDoctor(badFile);
  t.equal(red.code, 4, 'exit 4 when a path fails');
  const redPaths = JSON.parse(red.stdout).paths as Path[];
  const row = (from: string, to: string) => redPaths.find((p) => p.from === from && p.to === to);
  t.match(row('host', `${bad}-one`), { ok: true });
  t.match(row('host', `${bad}-two`), { ok: true });
  t.match(row(`${bad}-two`, `${bad}-one`), { ok: true }, 'two trusts A, which issued one');
  t.match(row(`${bad}-one`, `${bad}-two`), { ok: false, reason: new RegExp(`${bad}-one's truststore-internal\\.pem lacks the CA "CN=tdoc CA B" that issued ${bad}-two's certificate`), fix: /trust\.internalCaCertFile/ });
  t.match(row(`${bad}-one front`, `${bad}-one`), { ok: true });
  t.match(row(`${bad}-two front`, `${bad}-two`), { ok: false, reason: /truststore-internal\.pem lacks the CA "CN=tdoc CA B"/ });
  const text = await runCli(['doctor', '-f', badFile], { env: podmanEnv });
  t.equal(text.code, 4);
  t.match(text.stdout, new RegExp(`^FAIL +${bad}-one → ${bad}-two +two\\.tdoc-bad\\.test:8123: ${bad}-one's truststore-internal\\.pem lacks the CA "CN=tdoc CA B"`, 'm'));
  t.match(text.stderr, /2 of 6 trust paths failed/);
  t.comment(`good:\n${human.stdout}\nbroken:\n${text.stdout}`);
  await runCli(['down', '-f', badFile], { env: podmanEnv });
});

import t from 'tap';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { BASE_IMAGE, podmanEnv, requirePodman } from '../support/podman.js';
import { podman, removeClusterPods, untagPrefix } from '../support/podman-cli.js';

/**
 * A cluster brought up with --state-dir X: the later commands find X without being told, and
 * down --volumes deletes X's state of this cluster only: not the same-named pod's state in the
 * default state dir, not a directory without the marker, not files of someone else's.
 */

const PREFIX = `localhost/dh-podman-test-sd-${process.pid}/`;
const cluster = `sd-${process.pid}`;
const pod = `${cluster}-one`;

t.test('up -f --state-dir X is remembered: plan, cert expiry, rotate and down find X; down --volumes deletes only what is this cluster\'s', async (t) => {
  if (!(await requirePodman(t))) return;
  const dir = t.testdir();
  const x = join(dir, 'x');
  const defaultDir = join(dir, 'default');
  // Every run sees the same default state dir: a temporary one, not /var/lib/dh-podman.
  const env = { ...podmanEnv, DH_PODMAN_STATE_DIR: defaultDir };
  const file = join(dir, 'dh-podman.yaml');
  writeFileSync(file, [
    `cluster: ${cluster}`,
    'pods:',
    `  - name: ${pod}`,
    '    hostname: one.statedir.test',
    `    image: ${PREFIX}probe:latest`,
    '    certificate: { mode: generate }',
    '',
  ].join('\n'));

  // Someone's state for a pod of the same name in the default dir, marked as this cluster's:
  // only the state dir in use may lose anything.
  const sameNamed = join(defaultDir, 'pods', pod);
  mkdirSync(sameNamed, { recursive: true });
  writeFileSync(join(sameNamed, '.dh-podman-state'), JSON.stringify({ tool: 'dh-podman', cluster, pod }));
  writeFileSync(join(sameNamed, 'keystore.p12'), 'not to be deleted');
  // In X: the cluster's directory made by hand (no marker), and a file that is nobody's business.
  const unmarked = join(x, 'clusters', cluster);
  mkdirSync(unmarked, { recursive: true });
  writeFileSync(join(unmarked, 'notes.txt'), 'mine');
  writeFileSync(join(x, 'mine.txt'), 'mine');

  t.teardown(async () => {
    await removeClusterPods(cluster);
    await untagPrefix(PREFIX);
  });
  const build = await runCli(['build', '--only', 'probe', '--tag-prefix', PREFIX, '--base-image', BASE_IMAGE], { env });
  t.equal(build.code, 0, build.stderr);

  const up = await runCli(['up', '-f', file, '--state-dir', x, '--json'], { env });
  t.equal(up.code, 0, up.stderr);
  t.equal(JSON.parse(up.stdout).stateDir, x);
  t.ok(existsSync(join(x, 'pods', pod, '.dh-podman-state')), 'the pod\'s state dir in X carries the marker');
  t.equal(readdirSync(join(defaultDir, 'records')).length, 1, 'up recorded where the state is');

  const plan = await runCli(['plan', '-f', file, '--json'], { env });
  t.equal(plan.code, 0, plan.stderr);
  t.equal(JSON.parse(plan.stdout).stateDir, x, 'plan -f finds X');
  t.match(plan.stderr, `state dir ${x} (where "up -f" put cluster ${cluster}'s state)`);

  const expiry = await runCli(['cert', 'expiry', '-f', file, '--json'], { env });
  t.equal(expiry.code, 0, expiry.stderr);
  const listed = JSON.parse(expiry.stdout);
  t.same(listed.notIssued, [], 'cert expiry finds the certificates up issued in X');
  t.ok(listed.certificates.some((c: { owner: string; file: string }) => c.owner === pod && c.file.startsWith(x)), 'the pod\'s leaf, in X');

  const rotate = await runCli(['rotate', '-f', file, '--json'], { env });
  t.equal(rotate.code, 0, rotate.stderr);
  t.same(JSON.parse(rotate.stdout).pods.map((p: { action: string }) => p.action), ['unchanged'], 'rotate finds X\'s derived files: nothing to restart');

  const down = await runCli(['down', '-f', file, '--volumes', '--json'], { env });
  t.equal(down.code, 0, down.stderr);
  const result = JSON.parse(down.stdout);
  t.equal(result.stateDir, x, 'down finds X without --state-dir');
  t.same(result.deleted, [join(x, 'pods', pod)]);
  t.same(result.left.map((l: { path: string }) => l.path), [unmarked], 'the unmarked directory is named as left');
  t.match(down.stderr, `left ${unmarked}: no .dh-podman-state marker`);
  t.notOk(existsSync(join(x, 'pods', pod)), 'X\'s pod state is gone');
  t.ok(existsSync(join(unmarked, 'notes.txt')), 'a directory without the marker survives');
  t.ok(existsSync(join(x, 'mine.txt')), 'foreign files survive');
  t.ok(existsSync(join(sameNamed, 'keystore.p12')), 'the same-named pod\'s state in the default dir is untouched');
  t.same(readdirSync(join(defaultDir, 'records')), [], 'the record is forgotten with the state');
  t.equal((await podman(['pod', 'exists', pod], true)).code, 1, 'the pod is gone');
});

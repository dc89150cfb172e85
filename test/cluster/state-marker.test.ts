import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterSpec } from '../../src/cluster/cluster-file.js';
import { claimClusterState, removeClusterState, STATE_MARKER } from '../../src/cluster/state-marker.js';

const spec = (cluster: string, ...pods: string[]): ClusterSpec => ({
  cluster,
  pods: pods.map((name) => ({ name, hostname: `${name}.example.test`, certificate: { mode: 'generate' } })),
});

t.test('up claims the cluster\'s and its pods\' directories: created with a marker naming them', async (t) => {
  const state = t.testdir();
  await claimClusterState(state, spec('a', 'p1', 'p2'));
  t.same(JSON.parse(readFileSync(join(state, 'clusters', 'a', STATE_MARKER), 'utf8')), { tool: 'dh-podman', cluster: 'a' });
  t.same(JSON.parse(readFileSync(join(state, 'pods', 'p1', STATE_MARKER), 'utf8')), { tool: 'dh-podman', cluster: 'a', pod: 'p1' });
  await claimClusterState(state, spec('a', 'p1', 'p2'));
  t.pass('claiming again is fine');
});

t.test('a directory another cluster claimed is refused before anything is created', async (t) => {
  const state = t.testdir();
  await claimClusterState(state, spec('a', 'shared'));
  await t.rejects(claimClusterState(state, spec('b', 'new', 'shared')), {
    code: 'STATE_NOT_OURS',
    subject: join(state, 'pods', 'shared', STATE_MARKER),
    message: /pod shared of cluster a, not to pod shared of cluster b/,
  });
  t.notOk(existsSync(join(state, 'clusters', 'b')), 'nothing of b was created');
  t.notOk(existsSync(join(state, 'pods', 'new')), 'nothing of b was created');
});

t.test('a directory that existed without a marker is used but never marked', async (t) => {
  const state = t.testdir({ pods: { p1: { 'mine.txt': 'x' } } });
  await claimClusterState(state, spec('a', 'p1'));
  t.notOk(existsSync(join(state, 'pods', 'p1', STATE_MARKER)));
});

t.test('down --volumes deletes only directories whose marker names this cluster (and pod)', async (t) => {
  const state = t.testdir({ 'notes.txt': 'mine', pods: { unmarked: { 'keep.txt': 'mine' } } });
  await claimClusterState(state, spec('a', 'p1', 'p2'));
  await claimClusterState(state, spec('b', 'q1'));
  writeFileSync(join(state, 'pods', 'p1', 'keystore.p12'), 'x');
  // p2's directory now belongs to someone else; the spec taking a down still lists p2 and "unmarked".
  writeFileSync(join(state, 'pods', 'p2', STATE_MARKER), JSON.stringify({ tool: 'dh-podman', cluster: 'b', pod: 'p2' }));
  const { removed, left } = await removeClusterState(state, spec('a', 'p1', 'p2', 'unmarked', 'never-made'));
  t.same(removed.sort(), [join(state, 'clusters', 'a'), join(state, 'pods', 'p1')].sort());
  t.same(left, [
    { path: join(state, 'pods', 'p2'), reason: `its ${STATE_MARKER} marker names pod p2 of cluster b` },
    { path: join(state, 'pods', 'unmarked'), reason: `no ${STATE_MARKER} marker: dh-podman did not create it for pod unmarked of cluster a` },
  ]);
  t.ok(existsSync(join(state, 'pods', 'unmarked', 'keep.txt')), 'the unmarked directory is untouched');
  t.ok(existsSync(join(state, 'notes.txt')), 'foreign files stay');
  t.ok(existsSync(join(state, 'pods', 'q1', STATE_MARKER)), 'the other cluster stays');
  t.ok(existsSync(join(state, 'clusters', 'b', STATE_MARKER)), 'the other cluster stays');
  t.same(await removeClusterState(join(state, 'nowhere'), spec('a', 'p1')), { removed: [], left: [] }, 'a state dir that is not there: nothing to do');
});

import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadClusterFile } from '../../src/cluster/cluster-file.js';
import { kubeExport } from '../../src/cluster/kube-export.js';
import { writeClusterFile } from '../support/cluster-file.js';

/**
 * kube generate and etcd: the members are not exported (their certificates name addresses of the
 * Podman network), so a cluster with an etcd section is refused before anything is written,
 * unless the export is asked for without them.
 */

async function load(dir: string) {
  const file = join(dir, 'dh-podman.yaml');
  writeClusterFile(file, ['cluster: kube-etcd', 'etcd: { members: 3, subnet: 10.89.78.0/24 }'], [{ name: 'kube-etcd-one', hostname: 'one.kube-etcd.test' }]);
  const { spec } = await loadClusterFile(file);
  return spec!;
}

const profile = async () => 'enterprise' as const;
const quiet = () => undefined;

t.test('a cluster with etcd members is refused, naming the etcd section and the way out, with nothing written', async (t) => {
  const dir = t.testdir();
  const spec = await load(dir);
  await t.rejects(kubeExport(spec, join(dir, 'state'), join(dir, 'out', 'kube-etcd.yaml'), profile, quiet, quiet), {
    code: 'KUBE_ETCD_NOT_EXPORTED',
    exitCode: 3,
    subject: 'etcd',
    fix: /--without-etcd/,
  });
  t.notOk(existsSync(join(dir, 'state')), 'no CA, key or bundle was written');
});

t.test('--without-etcd exports the machines alone', async (t) => {
  const dir = t.testdir();
  const spec = await load(dir);
  const exported = await kubeExport(spec, join(dir, 'state'), join(dir, 'out', 'kube-etcd.yaml'), profile, quiet, quiet, { withoutEtcd: true });
  const kinds = parseAllDocuments(exported.yaml).map((doc) => (doc.toJS() as { kind: string; metadata: { name: string } }));
  t.ok(kinds.some((doc) => doc.kind === 'Pod' && doc.metadata.name === 'kube-etcd-one'), 'the machine is exported');
  t.notMatch(exported.yaml, /etcd-member|etcd\.crt|2379/, 'and nothing of the members');
});

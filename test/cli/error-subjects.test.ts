import t from 'tap';
import { join } from 'node:path';
import { inClusterFile, inStartFlags } from '../../src/cli/error-subjects.js';
import { loadClusterFile } from '../../src/cluster/cluster-file.js';
import { planCluster } from '../../src/cluster/cluster-plan.js';
import { writeClusterFile } from '../support/cluster-file.js';
import { startFakePodman } from '../support/fake-podman.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';

/** An error of the planner names the pod's image; the CLI says it as the flag or the file's field. */
t.test('a missing image: the cluster file\'s field for up -f, the flag for start', async (t) => {
  const dir = t.testdir();
  const ca = makeCa(dir, 'site');
  makeVolume(dir, 'one', makeLeaf(dir, 'one', ca, ['one.subject.test']));
  makeVolume(dir, 'two', makeLeaf(dir, 'two', ca, ['two.subject.test']));
  const file = join(dir, 'dh-podman.yaml');
  writeClusterFile(file, ['cluster: plan-subject', 'stateDir: ./state'], [
    { name: 'plan-subject-one', hostname: 'one.subject.test', volume: './one' },
    { name: 'plan-subject-two', hostname: 'two.subject.test', image: 'localhost/dh-podman-plan/nope:latest', volume: './two' },
  ]);
  const { spec } = await loadClusterFile(file);
  const podman = await startFakePodman();
  t.teardown(() => podman.close());
  podman.addImage('localhost/dh-podman/probe:latest');
  const plan = () => planCluster(podman.engine, spec!, join(dir, 'state'));

  const bare = (await plan().catch((e: unknown) => e)) as { code: string; subject: string; oneLine(): string };
  t.match(bare, { code: 'IMAGE_MISSING', subject: 'pod plan-subject-two: image' }, 'the planner names the thing');
  t.notMatch(bare.oneLine(), /--/, 'and no flag');

  const cluster = (await inClusterFile(file, spec!, plan).catch((e: unknown) => e)) as { code: string; exitCode: number; oneLine(): string };
  t.match(cluster, { code: 'IMAGE_MISSING', exitCode: 4 });
  t.equal(cluster.oneLine(), `${file} /pods/1/image: the image localhost/dh-podman-plan/nope:latest does not exist; build it with "dh-podman build", or name an image you have`);

  const start = (await inStartFlags(plan).catch((e: unknown) => e)) as { oneLine(): string };
  t.match(start.oneLine(), /^--image: the image localhost\/dh-podman-plan\/nope:latest does not exist/);
});

import t, { type Test } from 'tap';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadClusterFile, type ClusterSpec } from '../../src/cluster/cluster-file.js';
import { planCluster } from '../../src/cluster/cluster-plan.js';
import { applyClusterPlan, clusterDown, planClusterDown } from '../../src/cluster/cluster-up.js';
import { LABEL_FILES } from '../../src/cluster/machine-plan.js';
import { clusterRotate } from '../../src/cluster/rotate.js';
import { fileBytes } from '../support/custody.js';
import { startFakePodman, type FakePodman } from '../support/fake-podman.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';

/**
 * Planning and applying a cluster against a fake Podman that keeps recorded Podman 4.3 state
 * (test/support/fake-podman.ts): no engine needed, and every code path of the planner, the
 * apply and the rotation's rollback is the real one.
 */

const IMAGE = 'localhost/dh-podman-plan/probe:latest';
const quiet = () => undefined;

interface Cluster {
  dir: string;
  file: string;
  state: string;
  ca: { cert: string; key: string };
  spec(): Promise<ClusterSpec>;
}

/** Two pods with certificates of a site CA (existing) and one generated: the cluster file's every mode but ca. */
function makeCluster(t: Test, name: string, pods = ['one', 'two', 'gen']): Cluster {
  const dir = t.testdir();
  const ca = makeCa(dir, 'site', '/CN=plan test site CA');
  const lines = [`cluster: ${name}`, 'stateDir: ./state', 'trust:', '  caCertFile: ./site.crt', 'pods:'];
  for (const pod of pods) {
    const hostname = `${pod}.${name}.test`;
    lines.push(`  - name: ${name}-${pod}`, `    hostname: ${hostname}`, `    image: ${IMAGE}`);
    if (pod === 'gen') lines.push('    certificate: { mode: generate }');
    else {
      makeVolume(dir, pod, makeLeaf(dir, pod, ca, [hostname]));
      lines.push(`    certificate: { mode: existing, tlsVolume: ./${pod} }`);
    }
  }
  const file = join(dir, 'dh-podman.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return {
    dir,
    file,
    state: join(dir, 'state'),
    ca,
    spec: async () => {
      const { spec, issues } = await loadClusterFile(file);
      if (!spec) throw new Error(JSON.stringify(issues));
      return spec;
    },
  };
}

async function fake(t: Test): Promise<FakePodman> {
  const podman = await startFakePodman();
  podman.addImage(IMAGE);
  t.teardown(() => podman.close());
  return podman;
}

/** Every file under dir with its mode and bytes: the tree, byte for byte. */
function tree(dir: string): Record<string, string> {
  if (!existsSync(dir)) return {};
  return Object.fromEntries(Object.entries(fileBytes(dir)).map(([path, bytes]) => [path, `${(statSync(join(dir, path)).mode & 0o777).toString(8)} ${bytes}`]));
}

const writesOnly = (calls: string[]) => calls.filter((call) => !call.startsWith('GET '));

t.test('a new cluster: the CA and the generated leaf are planned, not written; every pod is created', async (t) => {
  const cluster = makeCluster(t, 'plan-new');
  const podman = await fake(t);
  const plan = await planCluster(podman.engine, await cluster.spec(), cluster.state);
  t.same(plan.issues.map((i) => `${i.what} ${i.pod ?? ''}`.trim()), ['cluster CA', 'certificate plan-new-gen']);
  t.same(plan.writes.map((w) => `${w.action} ${relative(cluster.state, w.path)}`), [
    'create clusters/plan-new/ca/ca.key',
    'create clusters/plan-new/ca/ca.crt',
    'create clusters/plan-new/tls/plan-new-gen/tls.key',
    'create clusters/plan-new/tls/plan-new-gen/tls.crt',
    'create clusters/plan-new/trust-bundle.pem',
  ]);
  t.same(plan.machines.map((m) => m.pod.action), ['create', 'create', 'create']);
  t.same(plan.machines.map((m) => m.network.action), ['create', 'create', 'create']);
  t.ok(plan.changes);
  t.same(plan.machines[2]!.container.mounts[0], { source: join(cluster.state, 'clusters/plan-new/tls/plan-new-gen'), destination: '/etc/sysconfig/deephaven/tls', readOnly: true }, 'the generated pod mounts its TLS volume in the state dir, not the staging area');
  t.notOk(existsSync(cluster.state), 'the state dir was not even created');
  t.same(writesOnly(podman.calls), [], 'Podman was only asked, never told');
  t.match(plan.trustPem, /BEGIN CERTIFICATE[\s\S]*BEGIN CERTIFICATE/, 'the site CA and the cluster CA');
});

t.test('applied, then planned again: nothing to change, nothing issued', async (t) => {
  const cluster = makeCluster(t, 'plan-same');
  const podman = await fake(t);
  const spec = await cluster.spec();
  const up = await applyClusterPlan(podman.engine, spec, await planCluster(podman.engine, spec, cluster.state), quiet);
  t.same(up.pods.map((p) => p.action), ['create', 'create', 'create']);
  t.same([...podman.pods.values()].map((p) => p.State), ['Running', 'Running', 'Running']);
  t.equal(podman.networks.size, 1);
  const written = tree(cluster.state);
  t.equal(written['clusters/plan-same/ca/ca.key']?.split(' ')[0], '600', 'the CA key is 0600');
  t.equal(written['clusters/plan-same/tls/plan-same-gen/tls.key']?.split(' ')[0], '600');
  t.equal(written['clusters/plan-same/trust-bundle.pem']?.split(' ')[0], '644');

  podman.calls.length = 0;
  const again = await planCluster(podman.engine, spec, cluster.state);
  t.same(again.issues, []);
  t.same(again.writes, []);
  t.same(again.machines.map((m) => `${m.pod.action}: ${m.pod.reason}`), Array(3).fill('unchanged: running with these settings'));
  t.notOk(again.changes);
  const result = await applyClusterPlan(podman.engine, spec, again, quiet);
  t.notOk(result.changed);
  t.same(writesOnly(podman.calls), []);
  t.same(tree(cluster.state), written, 'the state dir is byte for byte as it was');
});

t.test('a changed certificate replaces the containers of that pod only, in the same pod', async (t) => {
  const cluster = makeCluster(t, 'plan-cert');
  const podman = await fake(t);
  const spec = await cluster.spec();
  await applyClusterPlan(podman.engine, spec, await planCluster(podman.engine, spec, cluster.state), quiet);
  const podBefore = structuredClone(podman.pods.get('plan-cert-one')!);
  const serviceBefore = podman.containers.get('plan-cert-one-svc')!.Id as string;
  makeVolume(cluster.dir, 'one', makeLeaf(cluster.dir, 'one-new', cluster.ca, ['one.plan-cert.test']));
  const plan = await planCluster(podman.engine, spec, cluster.state);
  t.same(plan.machines.map((m) => `${m.pod.name} ${m.pod.action}`), ['plan-cert-one replace-containers', 'plan-cert-two unchanged', 'plan-cert-gen unchanged']);
  t.equal(plan.machines[0]!.pod.reason, 'its certificates or trust changed');
  t.same(plan.machines[0]!.derived.files.filter((f) => f.action !== 'unchanged').map((f) => f.purpose), ['keystore']);
  t.same(plan.issues, [], 'an existing certificate is never reissued');

  podman.calls.length = 0;
  await applyClusterPlan(podman.engine, spec, plan, quiet);
  t.notOk(writesOnly(podman.calls).some((call) => call.startsWith('DELETE /pods') || call.startsWith('POST /pods')), 'no pod was removed, created or started');
  const pod = podman.pods.get('plan-cert-one')!;
  t.equal(pod.Id, podBefore.Id, 'the same pod');
  t.equal(pod.InfraContainerID, podBefore.InfraContainerID, 'with the same infra container');
  t.equal(pod.Labels[LABEL_FILES], podBefore.Labels[LABEL_FILES], "the pod's labels are as they were created");
  const service = podman.containers.get('plan-cert-one-svc')!;
  t.not(service.Id, serviceBefore, 'a new service container');
  t.equal(service.State.Status, 'running');
  t.equal(service.Config.Labels[LABEL_FILES], plan.machines[0]!.pod.labels[LABEL_FILES], 'labelled with the files it runs with');
  t.notOk((await planCluster(podman.engine, spec, cluster.state)).changes, 'planned again: nothing to change (the service container speaks for the pod)');
});

t.test('a replacement container that does not start: the previous one is made again, in the same pod, and runs', async (t) => {
  const cluster = makeCluster(t, 'plan-ctr', ['one']);
  const podman = await fake(t);
  const spec = await cluster.spec();
  await applyClusterPlan(podman.engine, spec, await planCluster(podman.engine, spec, cluster.state), quiet);
  const podBefore = structuredClone(podman.pods.get('plan-ctr-one')!);
  const serviceBefore = structuredClone(podman.containers.get('plan-ctr-one-svc')!);
  const stateBefore = tree(cluster.state);
  const secretsBefore = [...podman.secrets.keys()].sort();
  makeVolume(cluster.dir, 'one', makeLeaf(cluster.dir, 'one-new', cluster.ca, ['one.plan-ctr.test']));
  const plan = await planCluster(podman.engine, spec, cluster.state);
  t.same(plan.machines.map((m) => m.pod.action), ['replace-containers']);
  podman.failNext(/^POST \/containers\/plan-ctr-one-svc\/start$/, 500, 'crun: executable file not found');
  const steps: string[] = [];
  const error = await applyClusterPlan(podman.engine, spec, plan, (line) => steps.push(line)).catch((caught: unknown) => caught);
  t.match((error as Error).message, /crun: executable file not found; the previous containers were put back and are running/);
  t.match(steps.join('\n'), /replacing the containers of pod plan-ctr-one .*\n(.|\n)*putting the previous containers of pod plan-ctr-one back/);
  const pod = podman.pods.get('plan-ctr-one')!;
  t.equal(pod.Id, podBefore.Id, 'the pod never went');
  const service = podman.containers.get('plan-ctr-one-svc')!;
  t.equal(service.State.Status, 'running', 'the previous service runs again');
  t.same(service.Config.Labels, serviceBefore.Config.Labels, 'with its labels and secret mounts');
  t.same(service.Config.Env, serviceBefore.Config.Env);
  t.same(service.Mounts, serviceBefore.Mounts);
  t.same(tree(cluster.state), stateBefore, 'the derived files are back byte for byte');
  t.same([...podman.secrets.keys()].sort(), secretsBefore, 'the secrets it mounts are there, and no new one is left');
});

t.test('a changed image replaces every pod that runs it', async (t) => {
  const cluster = makeCluster(t, 'plan-image');
  const podman = await fake(t);
  const spec = await cluster.spec();
  await applyClusterPlan(podman.engine, spec, await planCluster(podman.engine, spec, cluster.state), quiet);
  podman.addImage(IMAGE); // the same name, a new image id: a rebuild
  const plan = await planCluster(podman.engine, spec, cluster.state);
  t.same(plan.machines.map((m) => `${m.pod.action}: ${m.pod.reason}`), Array(3).fill('replace: its settings or image changed'));
  const before = [...podman.pods.values()].map((p) => p.Id as string);
  await applyClusterPlan(podman.engine, spec, plan, quiet);
  const members = [...podman.containers.values()].filter((c) => c.Name.endsWith('-svc'));
  t.same(new Set(members.map((c) => c.Image)), new Set([podman.images.get(IMAGE)!.Id]), 'the new pods run the new image');
  t.notSame([...podman.pods.values()].map((p) => p.Id), before);
});

t.test('a pod removed behind its back is created again; down plans and removes what up made', async (t) => {
  const cluster = makeCluster(t, 'plan-gone');
  const podman = await fake(t);
  const spec = await cluster.spec();
  await applyClusterPlan(podman.engine, spec, await planCluster(podman.engine, spec, cluster.state), quiet);
  await podman.engine.pods.remove('plan-gone-two');
  const plan = await planCluster(podman.engine, spec, cluster.state);
  t.same(plan.machines.map((m) => `${m.pod.name} ${m.pod.action}`), ['plan-gone-one unchanged', 'plan-gone-two create', 'plan-gone-gen unchanged']);

  podman.calls.length = 0;
  const down = await planClusterDown(podman.engine, spec);
  t.same(down.pods, ['plan-gone-gen', 'plan-gone-one'], 'the pods Podman has, by their cluster label');
  t.same(down.networks, ['dh-plan-gone']);
  t.ok(down.secrets.length > 0, 'with their secrets, also those of the pod removed by hand');
  t.same(writesOnly(podman.calls), [], 'down\'s plan removes nothing');
  await clusterDown(podman.engine, spec, quiet);
  t.equal(podman.pods.size, 0);
  t.equal(podman.networks.size, 0);
  t.same([...podman.secrets.keys()].filter((name) => name.startsWith('dhp.')), [], 'no secret left');
});

t.test('generate mode: a certificate that fails the checks is reissued from the cluster CA, a good one kept', async (t) => {
  const cluster = makeCluster(t, 'plan-gen', ['gen']);
  const podman = await fake(t);
  const spec = await cluster.spec();
  await applyClusterPlan(podman.engine, spec, await planCluster(podman.engine, spec, cluster.state), quiet);
  const volume = join(cluster.state, 'clusters/plan-gen/tls/plan-gen-gen');
  const caDir = join(cluster.state, 'clusters/plan-gen/ca');
  // A leaf for another name in its place: it no longer passes the checks for its hostname.
  const wrong = makeLeaf(cluster.dir, 'wrong', { cert: join(caDir, 'ca.crt'), key: join(caDir, 'ca.key') }, ['elsewhere.test']);
  makeVolume(join(cluster.state, 'clusters/plan-gen/tls'), 'plan-gen-gen', wrong);
  const before = tree(cluster.state);
  const plan = await planCluster(podman.engine, spec, cluster.state);
  t.same(plan.issues.map((i) => i.what), ['certificate'], 'the CA exists: only the leaf is issued');
  t.match(plan.issues[0]!.reason, /fails the checks \(SAN_HOST_MISMATCH\)/);
  t.same(plan.writes.map((w) => `${w.action} ${relative(volume, w.path)}`), ['update tls.key', 'update tls.crt']);
  t.same(plan.machines.map((m) => m.pod.action), ['replace-containers']);
  t.same(tree(cluster.state), before, 'planning wrote nothing');
  await applyClusterPlan(podman.engine, spec, plan, quiet);
  const again = await planCluster(podman.engine, spec, cluster.state);
  t.same(again.issues, [], 'the reissued certificate is kept');
  t.notOk(again.changes);
});

t.test('rotate: a pod that does not come back gets its certificate, files and containers back (the real rollback)', async (t) => {
  const cluster = makeCluster(t, 'plan-rot', ['one', 'gen']);
  const podman = await fake(t);
  const spec = await cluster.spec();
  await applyClusterPlan(podman.engine, spec, await planCluster(podman.engine, spec, cluster.state), quiet);
  const stateBefore = tree(cluster.state);
  const podBefore = structuredClone(podman.pods.get('plan-rot-gen')!);
  const secretsBefore = [...podman.secrets.keys()].sort();

  // The generated certificate goes bad, so rotate reissues it, and the restarted pod never answers.
  const volume = join(cluster.state, 'clusters/plan-rot/tls/plan-rot-gen');
  writeFileSync(join(volume, 'tls.crt'), readFileSync(join(cluster.dir, 'one', 'tls.crt')));
  const broken = tree(cluster.state);
  const waited: string[] = [];
  const error = await clusterRotate(podman.engine, spec, cluster.state, {
    pods: ['plan-rot-gen'],
    healthTimeoutMs: 1000,
    onStep: quiet,
    onWarning: quiet,
    waitHealthy: async (target) => {
      waited.push(target.hostname);
      // The first wait (the rotated pod) fails; the second (the pod put back) succeeds.
      if (waited.length === 1) throw new Error('no answer within 1 s');
    },
  }).catch((caught: unknown) => caught);
  t.match(error, { code: 'ROTATE_NOT_HEALTHY', exitCode: 4 });
  t.match((error as Error).message, /^plan-rot-gen did not come up after rotation: no answer within 1 s; its previous certificates and trust were put back$/);
  t.same(waited, ['gen.plan-rot.test', 'gen.plan-rot.test']);

  t.same(tree(cluster.state), broken, 'the certificate and every derived file are back byte for byte');
  const pod = podman.pods.get('plan-rot-gen')!;
  t.equal(pod.State, 'Running', 'the pod runs');
  t.equal(pod.Id, podBefore.Id, 'the same pod: only its containers were replaced, twice');
  const member = podman.containers.get('plan-rot-gen-svc')!;
  t.equal(member.State.Status, 'running', 'its service put back runs');
  t.equal(member.Config.Labels[LABEL_FILES], podBefore.Labels[LABEL_FILES], 'with the files it ran with before');
  const secretsMounted = JSON.parse(member.Config.Labels['io.dh-podman.secret-mounts'] ?? '[]') as { source: string; target: string }[];
  t.ok(secretsMounted.length > 0 && secretsMounted.every((s) => podman.secrets.has(s.source)), 'its secrets exist');
  const keystore = secretsMounted.find((s) => s.target.endsWith('/keystore.p12'))!;
  t.same(podman.secrets.get(keystore.source), readFileSync(join(cluster.state, 'pods/plan-rot-gen/auth/keystore.p12')), 'and hold the previous keystore, not the rotated one');
  t.same([...podman.secrets.keys()].sort(), secretsBefore, 'and no other secret is left');
  t.same(podman.pods.get('plan-rot-one')!.State, 'Running', 'the other pod was not touched');
  t.notSame(stateBefore, broken);
});

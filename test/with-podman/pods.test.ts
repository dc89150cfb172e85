import t, { type Test } from 'tap';
import { join } from 'node:path';
import { applyMachinePlan } from '../../src/cluster/machine-apply.js';
import { checkMachine, planMachine } from '../../src/cluster/machine-plan.js';
import { Engine } from '../../src/engine/engine.js';
import { runCli } from '../support/cli.js';
import { freePort } from '../support/net.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';
import { BASE_IMAGE, podmanEnv, requirePodman } from '../support/podman.js';
import { curlHttps, eventually, podman, removePodsAndNetwork, untagPrefix } from '../support/podman-cli.js';

/**
 * The operator's view of started pods (status, logs, stop) and two runs racing to create the
 * same pod, against real Podman with the probe service.
 */

const HOST = 'status.example.test';
const RACED = 'raced.example.test';
const suffix = `${process.pid}`;
const network = `dhp-test-pods-${suffix}`;
const PREFIX = `localhost/dh-podman-test-pods-${process.pid}/`;
const pod = `status-${suffix}`;
const racedPod = `raced-${suffix}`;

interface StatusRow {
  name: string;
  hostname: string;
  state: string;
  ports: { hostPort: number; containerPort: number }[];
  tlsProfile: string;
  trust: string;
  certificateDaysLeft: number | null;
}

t.test('pods', async (t) => {
  if (!(await requirePodman(t))) return;
  t.teardown(async () => {
    await removePodsAndNetwork(network, pod, racedPod);
    await untagPrefix(PREFIX);
  });
  const build = await runCli(['build', '--tag-prefix', PREFIX, '--base-image', BASE_IMAGE, '--only', 'probe'], { env: podmanEnv });
  t.equal(build.code, 0, build.stderr);
  // Short titles: tap names each fixture directory after them, and a deep checkout hits the
  // file-name limit. What each checks is said in its function's comment.
  await t.test('status logs stop', statusLogsStop);
  await t.test('racing creates', racingCreates);
});

/** status, logs and stop show and act on the pods start made. */
async function statusLogsStop(t: Test): Promise<void> {
  const dir = t.testdir();
  const ca = makeCa(dir, 'ca', '/CN=dh-podman pods test CA');
  const volume = makeVolume(dir, 'tls', makeLeaf(dir, HOST, ca, [HOST], [], { days: 20 }));
  const port = await freePort();
  const startPod = () => runCli(['start', '--json', '-h', HOST, '--tls-volume', volume, '--ca-cert-file', ca.cert, '--name', pod, '--image', `${PREFIX}probe:latest`,
    '--network', network, '--publish', `127.0.0.1:${port}:8123`, '--state-dir', join(dir, 'state')], { env: podmanEnv });
  const start = await startPod();
  t.equal(start.code, 0, start.stderr);
  const up = await eventually(async () => ((await curlHttps(`https://${HOST}:${port}/health`, ca.cert, HOST, port)).code === 0 ? true : undefined));
  t.ok(up, 'the pod answers /health over TLS');

  const status = await runCli(['status', '--json'], { env: podmanEnv });
  t.equal(status.code, 0, status.stderr);
  const row = (JSON.parse(status.stdout) as { pods: StatusRow[] }).pods.find((p) => p.name === pod);
  t.ok(row, 'status lists the pod');
  t.equal(row?.hostname, HOST);
  t.equal(row?.state, 'running');
  t.equal(row?.tlsProfile, 'enterprise', 'the probe has no profile label: enterprise');
  t.same(row?.ports.map((p) => [p.hostPort, p.containerPort]), [[port, 8123]]);
  t.equal(row?.trust, 'truststore-iris', 'trust comes from --ca-cert-file');
  t.ok(row?.certificateDaysLeft === 19 || row?.certificateDaysLeft === 20, `days left ${row?.certificateDaysLeft} for a 20-day certificate`);
  const table = await runCli(['status'], { env: podmanEnv });
  t.match(table.stdout, new RegExp(`^${pod}\\s+${HOST.replace(/\./g, '\\.')}\\s+running\\s+${port}→8123\\s+enterprise\\s+truststore-iris\\s+(19|20)$`, 'm'));

  const logs = await runCli(['logs', pod], { env: podmanEnv });
  t.equal(logs.code, 0, logs.stderr);
  t.match(logs.stdout, new RegExp(`probe: ${HOST.replace(/\./g, '\\.')} listening on 8123`));
  t.match(logs.stdout, /GET \/health 200/, 'the request above is in the log');

  // A new leaf: only the pod's containers are replaced, and status reads the new expiry from
  // the service container (the pod keeps the labels it was created with).
  makeVolume(dir, 'tls', makeLeaf(dir, `${HOST}-renewed`, ca, [HOST], [], { days: 40 }));
  const renewed = await startPod();
  t.equal(renewed.code, 0, renewed.stderr);
  t.equal(JSON.parse(renewed.stdout).action, 'replace-containers', 'a new leaf replaces the containers, not the pod');
  t.ok(await eventually(async () => ((await curlHttps(`https://${HOST}:${port}/health`, ca.cert, HOST, port)).code === 0 ? true : undefined)), 'it answers again');
  const renewedRow = (JSON.parse((await runCli(['status', '--json'], { env: podmanEnv })).stdout) as { pods: StatusRow[] }).pods.find((p) => p.name === pod);
  t.ok(renewedRow?.certificateDaysLeft === 39 || renewedRow?.certificateDaysLeft === 40, `days left ${renewedRow?.certificateDaysLeft} for the 40-day certificate`);
  t.equal(renewedRow?.state, 'running');

  const stop = await runCli(['stop', pod, '--json'], { env: podmanEnv });
  t.equal(stop.code, 0, stop.stderr);
  t.same(JSON.parse(stop.stdout).stopped, [pod]);
  const statusAfter = await runCli(['status', '--json'], { env: podmanEnv });
  t.equal(statusAfter.code, 0, statusAfter.stderr);
  const after = (JSON.parse(statusAfter.stdout || '{"pods":[]}') as { pods: StatusRow[] }).pods.find((p) => p.name === pod);
  t.not(after?.state, 'running', `stopped pod is ${after?.state}`);

  const unknown = await runCli(['stop', `no-such-pod-${suffix}`], { env: podmanEnv });
  t.equal(unknown.code, 4);
  t.match(unknown.stderr, /no such pod.*\[POD_UNKNOWN\]/);
}

/** Of two runs that planned to create the same pod, the second is refused and changes nothing. */
async function racingCreates(t: Test): Promise<void> {
  const dir = t.testdir();
  const ca = makeCa(dir, 'ca', '/CN=dh-podman race test CA');
  const request = {
    hostname: RACED,
    tlsVolume: makeVolume(dir, 'tls', makeLeaf(dir, RACED, ca, [RACED])),
    name: racedPod,
    image: `${PREFIX}probe:latest`,
    ports: [],
    network,
    stateDir: join(dir, 'state'),
  };
  await Engine.with({ env: { ...process.env, ...podmanEnv } }, async (engine) => {
    const first = await planMachine(engine, await checkMachine(request));
    const second = await planMachine(engine, await checkMachine(request));
    t.equal(first.pod.action, 'create');
    t.equal(second.pod.action, 'create', 'both saw no pod');
    await applyMachinePlan(engine, first);
    const created = (await podman(['pod', 'inspect', racedPod, '--format', '{{.Id}}'])).stdout.trim();
    await t.rejects(applyMachinePlan(engine, second), { code: 'PLAN_STALE' });
    t.equal((await podman(['pod', 'inspect', racedPod, '--format', '{{.Id}}'])).stdout.trim(), created, "the first run's pod is untouched");
    t.equal((await podman(['pod', 'inspect', racedPod, '--format', '{{.State}}'])).stdout.trim(), 'Running');
  });
}

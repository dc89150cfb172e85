import t from 'tap';
import type { Test } from 'tap';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { allCallsWork } from '../support/calls.js';
import { runCli, type CliResult } from '../support/cli.js';
import { freePort } from '../support/net.js';
import { makeCa, makeLeaf, makeVolume, openssl } from '../support/openssl.js';
import { writeClusterFile } from '../support/cluster-file.js';
import { BASE_IMAGE, podmanEnv, PROBE_AND_FRONT, requirePodman } from '../support/podman.js';
import { eventually, podman, removeClusterPods, removePodsAndNetwork, type Result, untagPrefix } from '../support/podman-cli.js';

/** `mtls: need` in a cluster file: the probes refuse callers without a certificate and present their own. */

// The run's own tags: other checkouts run this file against the same image storage.
const PREFIX = `localhost/mtls-e2e-${process.pid}/`;
const run = `mtls-${process.pid}`;
const execFileAsync = promisify(execFile);

interface Pod {
  name: string;
  hostname: string;
  port: number;
  volume: string;
}

/** curl from the host to a published port, with hostname verification, and a client certificate when given. */
async function curl(url: string, caFile: string, pod: Pod, client?: { cert: string; key: string }): Promise<Result> {
  const args = ['-sS', '--max-time', '20', '--cacert', caFile, '--resolve', `${pod.hostname}:${pod.port}:127.0.0.1`];
  if (client) args.push('--cert', client.cert, '--key', client.key);
  try {
    const { stdout, stderr } = await execFileAsync('curl', [...args, url]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

// Two tests at a time, each with its own cluster, pods, network and ports: most of a test is
// waiting for a JVM to start or a pod to be replaced, and the longest (the rollout through
// want to need) goes first, so the rest run beside it.
t.jobs = 2;

let built: Promise<CliResult> | undefined;
t.teardown(() => (built ? untagPrefix(PREFIX) : undefined));

/** The probe image under this file's own prefix, built once for all its tests, however many ask at once. */
async function buildProbe(t: Test): Promise<void> {
  built ??= runCli(['build', '--tag-prefix', PREFIX, '--base-image', BASE_IMAGE, ...PROBE_AND_FRONT], { env: podmanEnv });
  const build = await built;
  t.equal(build.code, 0, build.stderr);
}

function clusterFile(dir: string, cluster: string, pods: Pod[], mtls: string): string {
  return writeClusterFile(join(dir, `${cluster}.yaml`), [`cluster: ${cluster}`, `stateDir: ./state-${cluster}`, `mtls: ${mtls}`, 'trust:', '  caCertFile: ./ca.crt'],
    pods.map((pod) => ({ name: pod.name, hostname: pod.hostname, port: pod.port, image: `${PREFIX}probe:latest`, volume: `./${pod.volume}` })));
}

/**
 * A test's two machines, one and two, of the cluster RUN-LABEL: the directory, a CA, their names
 * and free ports; the cluster's pods and secrets go when the test ends.
 */
async function twoMachines(t: Test, label: string) {
  const dir = t.testdir();
  const ca = makeCa(dir, 'ca', '/CN=mtls e2e CA');
  const cluster = `${run}-${label}`;
  t.teardown(() => removeClusterPods(cluster));
  const pods: Pod[] = [];
  for (const volume of ['one', 'two']) pods.push({ name: `${cluster}-${volume}`, hostname: `${volume}.mtls-${label}.test`, port: await freePort(), volume });
  return { dir, ca, cluster, pods };
}

/** A cluster file's pods brought up with mutual TLS off, for the rollouts. */
async function upWithout(t: Test, dir: string, cluster: string, pods: Pod[]): Promise<string> {
  await buildProbe(t);
  const file = clusterFile(dir, cluster, pods, 'off');
  const up = await runCli(['up', '-f', file], { env: podmanEnv });
  t.equal(up.code, 0, up.stdout + up.stderr);
  return file;
}

t.test('mtls rollout: off → want → need, one machine at a time, every call working after each', async (t) => {
  if (!(await requirePodman(t))) return;
  const { dir, ca, cluster, pods } = await twoMachines(t, 'roll');
  const leaves = pods.map((pod) => makeLeaf(dir, pod.volume, ca, [pod.hostname]));
  pods.forEach((pod, index) => makeVolume(dir, pod.volume, leaves[index]!));
  const file = await upWithout(t, dir, cluster, pods);
  await allCallsWork(t, pods, ca.cert, 'before the rollout');

  const ids = async () => Promise.all(pods.map(async (pod) => (await podman(['pod', 'inspect', pod.name, '--format', '{{.Id}}'])).stdout.trim()));
  const beforeDry = await ids();
  const dry = await runCli(['mtls', 'rollout', '-f', file, '--to', 'want', '--dry-run', '--json'], { env: podmanEnv });
  t.equal(dry.code, 0, dry.stdout + dry.stderr);
  t.match(JSON.parse(dry.stdout || '{}'), { dryRun: true, to: 'want' });
  t.same(await ids(), beforeDry, 'a dry run restarts nothing');

  const want = await runCli(['mtls', 'rollout', '-f', file, '--to', 'want', '--json'], { env: podmanEnv });
  t.equal(want.code, 0, want.stdout + want.stderr);
  const wanted = JSON.parse(want.stdout || '{}') as { pods?: { action: string }[]; calls?: { state: string }[] };
  t.same(wanted.pods?.map((pod) => pod.action), ['restarted', 'restarted']);
  t.same(wanted.calls?.map((call) => call.state), ['ok', 'ok'], 'both machine → machine calls work under want');
  // want: a caller without a certificate is still served.
  await allCallsWork(t, pods, ca.cert, 'under want, without a client certificate');

  const need = await runCli(['mtls', 'rollout', '-f', file, '--to', 'need'], { env: podmanEnv });
  t.equal(need.code, 0, need.stdout + need.stderr);
  t.match(need.stdout, /one\.mtls-roll\.test.*restarted/);
  t.match(need.stdout, /set "mtls: need"/, 'says the file must follow');
  const [one] = pods as [Pod, Pod];
  const health = `https://${one.hostname}:${one.port}/health`;
  t.not((await curl(health, ca.cert, one)).code, 0, 'under need, a caller without a certificate is refused');
  t.equal((await curl(health, ca.cert, one, leaves[0])).code, 0, 'and one with the machine\'s certificate is served');
});

t.test('mtls: need: no client certificate is refused, the machine\'s own is accepted, machine → machine calls present theirs', async (t) => {
  if (!(await requirePodman(t))) return;
  const { dir, ca, cluster, pods } = await twoMachines(t, 'need');
  await buildProbe(t);
  const leaves = pods.map((pod) => makeLeaf(dir, pod.volume, ca, [pod.hostname]));
  pods.forEach((pod, index) => makeVolume(dir, pod.volume, leaves[index]!));
  const file = clusterFile(dir, cluster, pods, 'need');
  const up = await runCli(['up', '-f', file], { env: podmanEnv });
  t.equal(up.code, 0, up.stderr);

  const [one, two] = pods as [Pod, Pod];
  const health = `https://${one.hostname}:${one.port}/health`;
  const answered = await eventually(async () => ((await curl(health, ca.cert, one, leaves[0])).code === 0 ? true : undefined), 120_000);
  t.ok(answered, 'the machine\'s own certificate is accepted');
  const withCert = await curl(health, ca.cert, one, leaves[0]);
  t.match(JSON.parse(withCert.stdout || '{}'), { status: 'ok', hostname: one.hostname });

  const without = await curl(health, ca.cert, one);
  t.not(without.code, 0, 'a caller without a certificate gets no answer');
  t.notMatch(without.stdout, /"status"/);
  // Under TLS 1.3 the server's refusal follows the client's Finished: curl sees an alert or the connection closed.
  t.match(without.stderr, /alert|certificate|empty reply|reset/i, `refused in the handshake: ${without.stderr}`);

  // The other machine's certificate, from the same CA, is accepted too: it is how two calls one.
  await eventually(async () => ((await curl(`https://${two.hostname}:${two.port}/health`, ca.cert, two, leaves[1])).code === 0 ? true : undefined), 120_000);
  for (const [from, to, leaf] of [[one, two, leaves[0]], [two, one, leaves[1]]] as const) {
    const url = `https://${from.hostname}:${from.port}/call?url=${encodeURIComponent(`https://${to.hostname}:8123/health`)}`;
    const call = await curl(url, ca.cert, from, leaf);
    t.match(JSON.parse(call.stdout || '{}'), { status: 'ok', upstreamStatus: 200 }, `${from.hostname} → ${to.hostname} presents its certificate (${call.stdout})`);
  }

  // The settings say so, for the operator reading the pod.
  const inspect = await podman(['container', 'inspect', `${one.name}-svc`, '--format', '{{range .Config.Env}}{{println .}}{{end}}']);
  t.match(inspect.stdout, /-Dtls\.clientAuthentication=NEEDED/);
});

t.test('mtls: want over a leaf without clientAuth is an error of the file, naming the pod, and nothing is created', async (t) => {
  if (!(await requirePodman(t))) return;
  const dir = t.testdir();
  const ca = makeCa(dir, 'ca', '/CN=mtls e2e CA');
  const cluster = `${run}-noclient`;
  t.teardown(() => removeClusterPods(cluster));
  await buildProbe(t);
  const pods: Pod[] = [
    { name: `${cluster}-one`, hostname: 'one.mtls-noclient.test', port: await freePort(), volume: 'one' },
    { name: `${cluster}-two`, hostname: 'two.mtls-noclient.test', port: await freePort(), volume: 'two' },
  ];
  makeVolume(dir, 'one', makeLeaf(dir, 'one', ca, [pods[0]!.hostname]));
  // A server-only leaf: what the machine would present as a client does not allow it.
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'two.key', '-out', 'two.csr', '-subj', `/CN=${pods[1]!.hostname}`], dir);
  writeFileSync(join(dir, 'two.ext'), `subjectAltName=DNS:${pods[1]!.hostname}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`);
  openssl(['x509', '-req', '-in', 'two.csr', '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '30', '-extfile', 'two.ext', '-out', 'two.crt'], dir);
  makeVolume(dir, 'two', { cert: join(dir, 'two.crt'), key: join(dir, 'two.key') });

  const file = clusterFile(dir, cluster, pods, 'want');
  const up = await runCli(['up', '-f', file], { env: podmanEnv });
  const said = up.stdout + up.stderr;
  t.equal(up.code, 3, said);
  t.match(said, /EKU_NO_CLIENT_AUTH/);
  t.match(said, /pods\/1\/certificate\/tlsVolume/);
  t.notMatch(said, /pods\/0\//, 'the good machine is not blamed');
  for (const pod of pods) t.equal((await podman(['pod', 'exists', pod.name], true)).code, 1, `no pod ${pod.name}`);

  // The same leaves with mutual TLS off are fine: clientAuth is only required when it is used.
  const plan = await runCli(['plan', '-f', clusterFile(dir, cluster, pods, 'off')], { env: podmanEnv });
  t.equal(plan.code, 0, plan.stderr);
});

t.test('mtls rollout to need over a leaf without clientAuth stops at that machine, and every call still works', async (t) => {
  if (!(await requirePodman(t))) return;
  const { dir, ca, cluster, pods } = await twoMachines(t, 'stop');
  makeVolume(dir, 'one', makeLeaf(dir, 'one', ca, [pods[0]!.hostname]));
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'two.key', '-out', 'two.csr', '-subj', `/CN=${pods[1]!.hostname}`], dir);
  writeFileSync(join(dir, 'two.ext'), `subjectAltName=DNS:${pods[1]!.hostname}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`);
  openssl(['x509', '-req', '-in', 'two.csr', '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '30', '-extfile', 'two.ext', '-out', 'two.crt'], dir);
  makeVolume(dir, 'two', { cert: join(dir, 'two.crt'), key: join(dir, 'two.key') });
  const file = await upWithout(t, dir, cluster, pods);
  await allCallsWork(t, pods, ca.cert, 'before the rollout');
  const startedWith = await Promise.all(pods.map(async (pod) => (await podman(['pod', 'inspect', pod.name, '--format', '{{.Id}}'])).stdout.trim()));

  const rollout = await runCli(['mtls', 'rollout', '-f', file, '--to', 'need'], { env: podmanEnv });
  const said = rollout.stdout + rollout.stderr;
  t.equal(rollout.code, 3, said);
  t.match(said, /EKU_NO_CLIENT_AUTH/);
  t.match(said, new RegExp(`${pods[1]!.name}`), 'the error names the machine');
  t.notMatch(said, new RegExp(`${pods[0]!.name}[^-]`), 'and not the good one');

  const after = await Promise.all(pods.map(async (pod) => (await podman(['pod', 'inspect', pod.name, '--format', '{{.Id}}'])).stdout.trim()));
  t.same(after, startedWith, 'no pod was restarted');
  await allCallsWork(t, pods, ca.cert, 'after the stopped rollout');
});

t.test('start --mtls want with an Envoy front: requests through the front get through; need with a front is refused', async (t) => {
  if (!(await requirePodman(t))) return;
  const dir = t.testdir();
  const external = makeCa(dir, 'x', '/CN=mtls external CA');
  const internal = makeCa(dir, 'y', '/CN=mtls internal CA');
  const host = 'one.mtls-front.test';
  const frontHost = 'front.mtls-front.test';
  const envoy = makeLeaf(dir, 'envoy', external, [frontHost]);
  const leaf = makeLeaf(dir, 'one', internal, [host]);
  const volume = makeVolume(dir, 'one', leaf, [internal.cert], { 'envoy.pem': readFileSync(envoy.cert, 'utf8') + readFileSync(envoy.key, 'utf8') });
  writeFileSync(join(dir, 'both.pem'), readFileSync(external.cert, 'utf8') + readFileSync(internal.cert, 'utf8'));
  const name = `${run}-front`;
  const network = `${run}-front-net`;
  t.teardown(async () => {
    await removePodsAndNetwork(network, name);
  });
  await buildProbe(t);
  const port = await freePort();
  const frontPort = await freePort();
  const start = (mode: string) => runCli(['start', '-h', host, '--tls-volume', volume, '--name', name, '--image', `${PREFIX}probe:latest`, '--network', network,
    '--state-dir', join(dir, 'state'), '--ca-cert-file', join(dir, 'both.pem'), '--publish', `${port}`, '--publish', `${frontPort}:8000`,
    '--envoy', '--envoy-hostname', frontHost, '--envoy-image', `${PREFIX}front:latest`, '--mtls', mode], { env: podmanEnv });

  const need = await start('need');
  t.equal(need.code, 3, need.stdout + need.stderr);
  t.match(need.stdout + need.stderr, /MTLS_NEED_WITH_ENVOY/);
  t.equal((await podman(['pod', 'exists', name], true)).code, 1, 'no pod');

  const want = await start('want');
  t.equal(want.code, 0, want.stdout + want.stderr);
  const front: Pod = { name, hostname: frontHost, port: frontPort, volume: 'one' };
  const through = await eventually(async () => {
    const answer = await curl(`https://${frontHost}:${frontPort}/health`, external.cert, front);
    return answer.code === 0 && /"status":"ok"/.test(answer.stdout) ? answer : undefined;
  }, 120_000);
  t.ok(through, 'the front forwards a request without a client certificate, and the machine (want) serves it');
  const direct: Pod = { name, hostname: host, port, volume: 'one' };
  t.equal((await curl(`https://${host}:${port}/health`, internal.cert, direct)).code, 0, 'want: a direct caller without a certificate is served');
});

t.test('mtls rollout: a step that breaks a call is put back; the error names the machine and the call, and every call that worked before still works', async (t) => {
  if (!(await requirePodman(t))) return;
  const { dir, ca, cluster, pods } = await twoMachines(t, 'back');
  makeVolume(dir, 'one', makeLeaf(dir, 'one', ca, [pods[0]!.hostname]));
  // Two's leaf allows clientAuth, so the file's checks pass it, but its legacy Netscape certificate
  // type says SSL server only: Java refuses it as a client certificate. Under need, two's calls to
  // a restarted machine break, which only the calls made after each step can find.
  makeVolume(dir, 'two', makeLeaf(dir, 'two', ca, [pods[1]!.hostname], ['nsCertType=server']));
  const file = await upWithout(t, dir, cluster, pods);
  await allCallsWork(t, pods, ca.cert, 'before the rollout');

  const rollout = await runCli(['mtls', 'rollout', '-f', file, '--to', 'need'], { env: podmanEnv });
  const said = rollout.stdout + rollout.stderr;
  t.equal(rollout.code, 4, `a runtime failure: exit 4 (${said})`);
  // The error is one line; the terminal view may wrap it.
  const error = said.replace(/\s+/g, ' ');
  t.match(error, /\[MTLS_ROLLOUT_STOPPED\]/);
  t.match(error, `stopped at ${pods[0]!.name} (${pods[0]!.hostname})`, 'the error names the machine it stopped at');
  t.match(error, `${pods[1]!.name} → ${pods[0]!.name}`, 'and the call that broke');
  t.match(said, new RegExp(`put back: ${pods[0]!.name}`), 'the machine was put back');
  t.match(said, new RegExp(`not touched: ${pods[1]!.name}`), 'the machine after it was not touched');

  for (const pod of pods) {
    const env = await podman(['container', 'inspect', `${pod.name}-svc`, '--format', '{{range .Config.Env}}{{println .}}{{end}}']);
    t.notMatch(env.stdout, /tls\.clientAuthentication=NEEDED/, `${pod.name} runs without mutual TLS again`);
  }
  await allCallsWork(t, pods, ca.cert, 'after the put-back');
});

import t from 'tap';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { runCli } from '../support/cli.js';
import { makeCa, makeLeaf, makeVolume, openssl } from '../support/openssl.js';
import { writeClusterFile } from '../support/cluster-file.js';
import { podmanEnv, requirePodman } from '../support/podman.js';
import { buildClusterImages, eventually, podman } from '../support/podman-cli.js';
import { tool } from '../support/tools.js';

/**
 * A cluster with three etcd members and one machine. etcdctl runs on the host: rootful Podman
 * routes the host to the cluster network's bridge, so members are reached at their fixed
 * addresses exactly as a machine on the network reaches them.
 */

// The run's own tags: other checkouts run this file against the same image storage.
const PREFIX = `localhost/etcd-test-${process.pid}/`;
const cluster = `etcd-e${process.pid}`;
const SUBNET = '10.89.77.0/24';
const MEMBER_IPS = ['10.89.77.254', '10.89.77.253', '10.89.77.252'];

interface Endpoints {
  endpoints: string[];
  cacert: string;
  cert: string;
  key: string;
}

const etcdctl = (endpoint: string, files: { cacert: string; cert: string; key: string }, ...args: string[]) =>
  tool('etcdctl', ['--endpoints', endpoint, '--cacert', files.cacert, '--cert', files.cert, '--key', files.key, '--dial-timeout', '5s', '--command-timeout', '10s', ...args], { timeoutMs: 60_000 });

/** The serial of the certificate a member serves on its client port (verified against the etcd CA). */
function servedSerial(ip: string, files: { cacert: string; cert: string; key: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: ip, port: 2379, ca: readFileSync(files.cacert), cert: readFileSync(files.cert), key: readFileSync(files.key) }, () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.end();
    });
    socket.on('error', reject);
  });
}

function sha256Fingerprint(certFile: string): string {
  // keytool prints "SHA-256): AB:CD:…"; OpenSSL "sha256 Fingerprint=AB:CD:…".
  return openssl(['x509', '-in', certFile, '-noout', '-fingerprint', '-sha256'], '/').split('=')[1]!.trim();
}

t.test('three etcd members reach quorum over peer TLS, answer etcd clients only, and stay out of the machines\' trust', async (t) => {
  if (!(await requirePodman(t))) return;
  const dir = t.testdir();
  const file = join(dir, 'dh-podman.yaml');
  const machine = `${cluster}-m1`;
  writeClusterFile(file, [`cluster: ${cluster}`, 'stateDir: ./state', 'etcd:', '  members: 3', `  subnet: ${SUBNET}`, `  image: ${PREFIX}etcd:latest`],
    [{ name: machine, hostname: 'm1.etcd.test', image: `${PREFIX}probe:latest` }]);
  const build = await buildClusterImages(t, cluster, PREFIX, ['--only', 'probe', '--only', 'etcd']);
  t.equal(build.code, 0, build.stderr);

  const up = await runCli(['up', '-f', file, '--json'], { env: podmanEnv });
  t.equal(up.code, 0, up.stderr);
  const result = JSON.parse(up.stdout) as { etcd: { members: { ip: string; action: string }[] } };
  t.same(result.etcd.members.map((m) => [m.ip, m.action]), MEMBER_IPS.map((ip) => [ip, 'create']), 'members at the top of the subnet');

  const shown = await runCli(['etcd', 'endpoints', '-f', file, '--json'], { env: podmanEnv });
  t.equal(shown.code, 0, shown.stderr);
  const endpoints = JSON.parse(shown.stdout) as Endpoints;
  t.same(endpoints.endpoints, MEMBER_IPS.map((ip) => `https://${ip}:2379`));
  const text = await runCli(['etcd', 'endpoints', '-f', file], { env: podmanEnv });
  t.match(text.stdout, new RegExp(`^etcd-1 +https://10\\.89\\.77\\.254:2379 +\\(pod ${cluster}-etcd-1\\)$`, 'm'), 'the text view: a member a line');
  t.match(text.stdout, `etcdctl --endpoints ${endpoints.endpoints.join(',')} --cacert ${endpoints.cacert} --cert ${endpoints.cert} --key ${endpoints.key} endpoint health`, 'and the etcdctl line to paste');

  for (const endpoint of endpoints.endpoints) {
    const healthy = await eventually(async () => ((await etcdctl(endpoint, endpoints, 'endpoint', 'health')).code === 0 ? true : undefined), 120_000);
    t.ok(healthy, `etcdctl endpoint health passes at ${endpoint}`);
  }
  // A write through one member read back through another: the three are one cluster.
  t.equal((await etcdctl(endpoints.endpoints[0]!, endpoints, 'put', '/dh-podman/test', cluster)).code, 0, 'put through etcd-1');
  const read = await etcdctl(endpoints.endpoints[2]!, endpoints, 'get', '--print-value-only', '/dh-podman/test');
  t.equal(read.stdout.trim(), cluster, 'read back through etcd-3');
  const members = await etcdctl(endpoints.endpoints[1]!, endpoints, 'member', 'list');
  t.equal(members.stdout.trim().split('\n').filter((line) => line.includes(', started, ')).length, 3, 'three started members');

  // doctor -f checks etcd's trust live too: each member with the operator's certificate, and
  // the machine's certificate at etcd-1.
  const doctor = await runCli(['doctor', '-f', file, '--json'], { env: podmanEnv });
  const doctorPaths = (JSON.parse(doctor.stdout || '{}') as { paths?: { from: string; to: string; kind: string; ok: boolean; reason?: string }[] }).paths ?? [];
  const etcdRows = doctorPaths.filter((path) => path.kind === 'etcd');
  t.same(etcdRows.map((path) => [path.from, path.to, path.ok]), [['operator', 'etcd-1', true], ['operator', 'etcd-2', true], ['operator', 'etcd-3', true], [machine, 'etcd-1', true]],
    `doctor -f: every etcd path answers (${etcdRows.filter((path) => !path.ok).map((path) => path.reason).join('; ')})`);

  // The machine's own etcd client files work from where up put them.
  const clientDir = join(dir, 'state', 'pods', machine, 'etcd-client');
  const asMachine = { cacert: join(clientDir, 'ca.crt'), cert: join(clientDir, 'tls.crt'), key: join(clientDir, 'tls.key') };
  t.equal((await etcdctl(endpoints.endpoints[1]!, asMachine, 'endpoint', 'health')).code, 0, "the machine's etcd client certificate is accepted");
  const inPod = await podman(['exec', `${machine}-svc`, 'sh', '-c', 'id -un; head -1 /etc/sysconfig/deephaven/etcd/client/tls.key'], true);
  t.match(inPod.stdout, /^dhsvc\n-----BEGIN PRIVATE KEY-----/, 'the service account reads its etcd client key in the pod');

  // The machine's certificate from the cluster CA is a good TLS client certificate, but not etcd's.
  const clusterTls = join(dir, 'state', 'clusters', cluster, 'tls', machine);
  const refused = await etcdctl(endpoints.endpoints[0]!, { cacert: endpoints.cacert, cert: join(clusterTls, 'tls.crt'), key: join(clusterTls, 'tls.key') }, 'endpoint', 'health');
  t.not(refused.code, 0, 'a client certificate from the cluster CA is refused');
  const log = await podman(['logs', `${cluster}-etcd-1-etcd`], true);
  t.match(log.stdout + log.stderr, /rejected connection from .*(?:certificate|unknown authority)/i, "etcd-1's log: the handshake was rejected for the certificate");

  // truststore-iris holds the cluster CA and not the etcd CA.
  const list = await podman(['exec', `${machine}-svc`, 'sh', '-c',
    'keytool -list -storetype PKCS12 -keystore /etc/sysconfig/deephaven/trust/truststore-iris.p12 -storepass:file /etc/sysconfig/deephaven/trust/truststore.passphrase']);
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, sha256Fingerprint(join(dir, 'state', 'clusters', cluster, 'ca', 'ca.crt')), 'truststore-iris lists the cluster CA');
  t.notMatch(list.stdout, sha256Fingerprint(endpoints.cacert), 'truststore-iris does not list the etcd CA');

  // Renewal: every member certificate reissued. up replaces the members one at a time, each
  // healthy again before the next goes, and each comes back as the same member with its data.
  const memberIds = async () => (await etcdctl(endpoints.endpoints[0]!, endpoints, 'member', 'list')).stdout.split('\n').filter(Boolean).map((line) => line.split(',')[0]).sort();
  const idsBefore = await memberIds();
  const memberCert = (n: number) => join(dir, 'state', 'clusters', cluster, 'etcd', 'members', `etcd-${n}`, 'tls.crt');
  const serials = () => [1, 2, 3].map((n) => openssl(['x509', '-in', memberCert(n), '-noout', '-serial'], '/'));
  const serialsBefore = serials();
  for (const n of [1, 2, 3]) rmSync(memberCert(n));
  const renewed = await runCli(['up', '-f', file, '--json'], { env: podmanEnv });
  t.equal(renewed.code, 0, renewed.stderr);
  t.same((JSON.parse(renewed.stdout) as typeof result).etcd.members.map((m) => m.action), ['replace', 'replace', 'replace']);
  t.match(renewed.stderr, /replacing etcd member etcd-1[\s\S]*waiting for etcd member etcd-1 to be healthy[\s\S]*replacing etcd member etcd-2[\s\S]*waiting for etcd member etcd-2 to be healthy[\s\S]*replacing etcd member etcd-3/, 'one member at a time, each healthy before the next');
  t.not(serials().join(), serialsBefore.join(), 'new member certificates');
  t.same(await memberIds(), idsBefore, 'the same three members');
  t.equal((await etcdctl(endpoints.endpoints[1]!, endpoints, 'get', '--print-value-only', '/dh-podman/test')).stdout.trim(), cluster, 'the data survived');
  for (const endpoint of endpoints.endpoints) t.equal((await etcdctl(endpoint, endpoints, 'endpoint', 'health')).code, 0, `healthy after renewal: ${endpoint}`);

  // rotate: every member renewed in turn while the cluster keeps its quorum, then the operator's
  // and the machine's client certificates.
  const machineCert = join(clientDir, 'tls.crt');
  const serial = (certFile: string) => openssl(['x509', '-in', certFile, '-noout', '-serial'], '/').trim().replace(/^serial=0*/, '');
  const podIds = async () => (await podman(['pod', 'ps', '--format', '{{.Name}} {{.Id}}', '--filter', `label=io.dh-podman.cluster=${cluster}`])).stdout.split('\n').filter(Boolean).sort();
  const idsBeforeDry = await podIds();
  const dry = await runCli(['rotate', '-f', file, '--dry-run'], { env: podmanEnv });
  t.equal(dry.code, 0, dry.stderr);
  t.match(dry.stdout, /etcd-1 \(10\.89\.77\.254\): renew[\s\S]*etcd-2 \(10\.89\.77\.253\): renew[\s\S]*etcd-3 \(10\.89\.77\.252\): renew/, 'rotate --dry-run lists the members in turn');
  t.match(dry.stdout, new RegExp(`etcd client certificates renewed: ${machine}, operator`));
  t.same(await podIds(), idsBeforeDry, 'a dry run restarts nothing');

  const rotateSerials = serials();
  const machineSerial = serial(machineCert);
  const operatorSerial = serial(endpoints.cert);
  // While rotate runs: a write through every endpoint every second. The cluster keeps a quorum
  // when no write fails twice in a row (one may meet a leader election, which takes about 1 s).
  let rotating = true;
  const writes: boolean[] = [];
  const writer = (async () => {
    for (let i = 0; rotating; i++) {
      writes.push((await etcdctl(endpoints.endpoints.join(','), endpoints, 'put', '/dh-podman/during', `${i}`)).code === 0);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  })();
  const rotated = await runCli(['rotate', '-f', file, '--json'], { env: podmanEnv });
  rotating = false;
  await writer;
  t.equal(rotated.code, 0, rotated.stderr);
  t.match(JSON.parse(rotated.stdout || '{}'), { etcd: { members: ['etcd-1', 'etcd-2', 'etcd-3'], clients: [machine, 'operator'] }, pods: [{ name: machine, action: 'restarted' }] });
  t.match(rotated.stderr, /renewing the etcd certificate of etcd-1[\s\S]*waiting for every etcd member[\s\S]*renewing the etcd certificate of etcd-2[\s\S]*waiting for every etcd member[\s\S]*renewing the etcd certificate of etcd-3[\s\S]*waiting for every etcd member/, 'one member at a time, the whole cluster healthy before the next');
  t.ok(writes.length >= 3, `writes were made during the rotation (${writes.length})`);
  t.notOk(writes.some((ok, i) => !ok && writes[i + 1] === false), `no write failed twice in a row: the quorum held (${writes.map((ok) => (ok ? '+' : '-')).join('')})`);
  const renewedSerials = serials();
  [0, 1, 2].forEach((i) => t.not(renewedSerials[i], rotateSerials[i], `etcd-${i + 1}: a new certificate`));
  t.not(serial(machineCert), machineSerial, "the machine's etcd client certificate was renewed");
  t.not(serial(endpoints.cert), operatorSerial, "the operator's etcd client certificate was renewed");
  t.same(await memberIds(), idsBefore, 'still the same three members');
  for (const endpoint of endpoints.endpoints) {
    t.equal((await etcdctl(endpoint, endpoints, 'endpoint', 'health')).code, 0, `the new operator certificate: healthy at ${endpoint}`);
    t.equal((await etcdctl(endpoint, asMachine, 'endpoint', 'health')).code, 0, `the machine's new client certificate: healthy at ${endpoint}`);
  }
  for (const n of [1, 2, 3]) t.equal((await servedSerial(MEMBER_IPS[n - 1]!, endpoints)).replace(/^0*/, ''), serial(memberCert(n)), `etcd-${n} serves its new certificate`);
  const inMachine = await podman(['exec', `${machine}-svc`, 'cat', '/etc/sysconfig/deephaven/etcd/client/tls.crt']);
  t.equal(inMachine.stdout, readFileSync(machineCert, 'utf8'), 'the machine runs with its new client certificate');
  t.equal((await etcdctl(endpoints.endpoints[2]!, endpoints, 'get', '--print-value-only', '/dh-podman/test')).stdout.trim(), cluster, 'the data survived the rotation');

  const again = await runCli(['up', '-f', file, '--json'], { env: podmanEnv });
  t.equal(again.code, 0, again.stderr);
  t.equal(JSON.parse(again.stdout).changed, false, 'up again: nothing to change');
  const plan = await runCli(['plan', '-f', file, '--json'], { env: podmanEnv });
  t.equal(plan.code, 0, plan.stderr);
  t.same((JSON.parse(plan.stdout) as { etcd: { members: { action: string; certificate: string }[] } }).etcd.members.map((m) => [m.action, m.certificate]),
    [['unchanged', 'issued'], ['unchanged', 'issued'], ['unchanged', 'issued']], 'plan -f: every member running as planned');

  // A member that is down is a failing row with what to do, and doctor exits 4.
  await podman(['pod', 'stop', `${cluster}-etcd-3`]);
  const sick = await runCli(['doctor', '-f', file, '--json'], { env: podmanEnv });
  t.equal(sick.code, 4, 'doctor -f exits 4 with a member down');
  const sickRows = (JSON.parse(sick.stdout || '{}') as { paths?: { from: string; to: string; kind: string; ok: boolean; reason?: string; fix?: string }[] }).paths?.filter((path) => path.kind === 'etcd') ?? [];
  t.same(sickRows.map((path) => [path.to, path.ok]), [['etcd-1', true], ['etcd-2', true], ['etcd-3', false], ['etcd-1', true]], 'only etcd-3 fails');
  t.match(sickRows[2], { reason: /unreachable/, fix: new RegExp(`podman logs ${cluster}-etcd-3-etcd`) }, 'unreachable, and where to look');

  const down = await runCli(['down', '-f', file, '--json'], { env: podmanEnv });
  t.equal(down.code, 0, down.stderr);
  t.equal(JSON.parse(down.stdout).pods.length, 4, 'down removes the three members and the machine');
});

t.test('plan -f refuses a given member certificate whose SAN lacks the member\'s address', async (t) => {
  if (!(await requirePodman(t))) return;
  const dir = t.testdir();
  const ca = makeCa(dir, 'etcd-ca', '/CN=etcd test CA');
  // DNS names only: etcd's clients and peers dial members by IP, so this can never verify.
  makeVolume(dir, 'member-1', makeLeaf(dir, 'member-1', ca, ['etcd-1.example.test']));
  const file = join(dir, 'dh-podman.yaml');
  writeFileSync(file, [
    `cluster: ${cluster}-plan`,
    'etcd:',
    '  members: 1',
    `  subnet: ${SUBNET}`,
    '  ca: { cert: ./etcd-ca.crt, key: ./etcd-ca.key }',
    '  tlsVolumes: [./member-1]',
    'pods:',
    '  - name: m1',
    '    hostname: m1.etcd.test',
    '    certificate: { mode: generate }',
    '',
  ].join('\n'));
  const plan = await runCli(['plan', '-f', file], { env: podmanEnv });
  t.equal(plan.code, 3, 'bad input: exit 3');
  const line = `${plan.stdout}\n${plan.stderr}`.split('\n').find((l) => l.includes('ETCD_MEMBER_IP_MISSING'));
  t.ok(line, `${plan.stdout}${plan.stderr}`);
  t.match(line, /\/etcd\/tlsVolumes\/0: etcd-1: .*member-1\/tls\.crt has no IP SAN 10\.89\.77\.254 .*reissue etcd-1's certificate with IP:10\.89\.77\.254/, 'one line naming the member, its address and the fix');

  // The same certificate with the address in its SAN passes the file's checks.
  makeVolume(dir, 'member-1', makeLeaf(dir, 'member-1', ca, ['etcd-1.example.test'], ['subjectAltName=DNS:etcd-1.example.test,IP:10.89.77.254']));
  const good = await runCli(['plan', '-f', file, '--json'], { env: podmanEnv });
  t.notMatch(good.stdout + good.stderr, /ETCD_/, 'no etcd finding once the SAN holds the address');
});

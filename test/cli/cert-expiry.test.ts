import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { makeCa, makeLeaf, makeVolume, openssl } from '../support/openssl.js';

// cert expiry reads files only; any engine contact would fail on this socket with exit 4.
const noEngine = { CONTAINER_HOST: 'unix:///nonexistent/dh-podman-test.sock' };

interface Entry {
  owner: string;
  role: string;
  file: string;
  subject: string;
  daysLeft: number;
  sha256Fingerprint: string;
  expiring: boolean;
}

/** Two existing pods (leaves valid 10 and 400 days), a generate pod not issued yet, and a CA file. */
function makeCluster(dir: string, tenDayDays = 10): string {
  const ca = makeCa(dir, 'ca', '/CN=Expiry Test CA', 3650);
  const dh1 = makeLeaf(dir, 'dh1', ca, ['dh1.example.test'], [], { days: tenDayDays });
  makeVolume(dir, 'dh1', dh1);
  const dh2 = makeLeaf(dir, 'dh2', ca, ['dh2.example.test'], [], { days: 400 });
  makeVolume(dir, 'dh2', dh2, [], { 'envoy.pem': readFileSync(dh2.cert, 'utf8') + readFileSync(dh2.key, 'utf8') });
  const file = join(dir, 'dh-podman.yaml');
  writeFileSync(file, [
    'cluster: dev',
    'stateDir: ./state',
    'trust:',
    '  caCertFile: ./ca.crt',
    'pods:',
    '  - name: dh1',
    '    hostname: dh1.example.test',
    '    publish: [9123]',
    '    certificate: { mode: existing, tlsVolume: ./dh1 }',
    '  - name: dh2',
    '    hostname: dh2.example.test',
    '    publish: [9124]',
    '    certificate: { mode: existing, tlsVolume: ./dh2 }',
    '  - name: dh3',
    '    hostname: dh3.example.test',
    '    certificate: { mode: generate }',
    '',
  ].join('\n'));
  return file;
}

t.test('--help exits 0', async (t) => {
  const { code, stdout } = await runCli(['cert', 'expiry', '--help']);
  t.equal(code, 0);
  t.match(stdout, /^Usage: dh-podman cert expiry/);
});

t.test('exit 0 when nothing expires within --warn-days, and no engine is needed', async (t) => {
  const dir = t.testdir();
  const file = makeCluster(dir);
  const result = await runCli(['cert', 'expiry', '-f', file, '--warn-days', '5'], { env: noEngine });
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, /dh1 leaf/);
  t.match(result.stdout, /not issued yet\s+dh3 leaf/);
  t.match(result.stdout, /none expires within 5 day\(s\)/);
});

t.test('exit 3 and a summary naming the soonest when one expires within --warn-days', async (t) => {
  const dir = t.testdir();
  const file = makeCluster(dir);
  const result = await runCli(['cert', 'expiry', '-f', file, '--warn-days', '30'], { env: noEngine });
  t.equal(result.code, 3);
  t.match(result.stdout, /^1 of 4 certificate\(s\) .*soonest: dh1 leaf "CN=dh1\.example\.test" expires in 9 day\(s\)/m);

  const quiet = await runCli(['cert', 'expiry', '-f', file, '--quiet'], { env: noEngine });
  t.equal(quiet.code, 3, 'the default is 30 days');
  t.equal(quiet.stdout.trim().split('\n').length, 1, '--quiet leaves the one summary line, for cron mail');
  t.match(quiet.stdout, /soonest: dh1 leaf/);
});

t.test('--json lists every certificate, soonest first, with days left and fingerprints', async (t) => {
  const dir = t.testdir();
  const file = makeCluster(dir);
  const result = await runCli(['cert', 'expiry', '-f', file, '--json'], { env: noEngine });
  t.equal(result.code, 3);
  const report = JSON.parse(result.stdout) as { ok: boolean; warnDays: number; expiring: number; certificates: Entry[]; notIssued: { owner: string; file: string }[] };
  t.equal(report.ok, false);
  t.equal(report.warnDays, 30);
  t.equal(report.expiring, 1);
  // openssl sets notAfter to the second it signs plus N days; a moment later fewer than N whole days are left.
  t.same(report.certificates.map((c) => [c.owner, c.role, c.daysLeft, c.expiring]), [
    ['dh1', 'leaf', 9, true],
    ['dh2', 'leaf', 399, false],
    ['dh2', 'envoy', 399, false],
    ['trust.caCertFile', 'ca', 3649, false],
  ]);
  const dh1 = report.certificates[0]!;
  t.equal(dh1.file, join(dir, 'dh1', 'tls.crt'));
  t.equal(dh1.subject, 'CN=dh1.example.test');
  const opensslFingerprint = openssl(['x509', '-in', join(dir, 'dh1.crt'), '-noout', '-fingerprint', '-sha256'], dir).trim().split('=')[1];
  t.equal(dh1.sha256Fingerprint, opensslFingerprint, 'the fingerprint openssl prints');
  t.same(report.notIssued, [{ owner: 'dh3', file: join(dir, 'state', 'clusters', 'dev', 'tls', 'dh3', 'tls.crt') }]);
});

t.test('without -f it reads ./dh-podman.yaml, and without that it is a usage error naming -f', async (t) => {
  const dir = t.testdir();
  makeCluster(dir);
  const found = await runCli(['cert', 'expiry', '--warn-days', '5'], { cwd: dir, env: noEngine });
  t.equal(found.code, 0, found.stderr);

  const empty = t.testdir();
  const missing = await runCli(['cert', 'expiry'], { cwd: empty, env: noEngine });
  t.equal(missing.code, 2);
  t.equal(missing.stderr.trim().split('\n').length, 1, 'one line');
  t.match(missing.stderr.trim(), /^error: -f: .*dh-podman\.yaml does not exist; pass the cluster file with -f FILE \[CLUSTER_FILE_MISSING\]$/);
});

t.test('an existing certificate that has already expired is listed first and fails with exit 3', async (t) => {
  const dir = t.testdir();
  const file = makeCluster(dir, -1);
  const result = await runCli(['cert', 'expiry', '-f', file, '--json'], { env: noEngine });
  t.equal(result.code, 3, result.stderr);
  const report = JSON.parse(result.stdout) as { certificates: Entry[] };
  const first = report.certificates[0]!;
  t.equal(first.owner, 'dh1');
  t.equal(first.subject, 'CN=dh1.example.test');
  t.ok(first.daysLeft < 0, `days left ${first.daysLeft} is negative`);
  t.equal(first.expiring, true);

  const text = await runCli(['cert', 'expiry', '-f', file], { env: noEngine });
  t.equal(text.code, 3);
  t.match(text.stdout, /soonest: dh1 leaf "CN=dh1\.example\.test" expired \d+ day\(s\) ago/m);
});

t.test('down is not blocked by an expired certificate (nothing else is contacted first)', async (t) => {
  const dir = t.testdir();
  const file = makeCluster(dir, -1);
  const result = await runCli(['down', '-f', file], { env: noEngine });
  // The cluster file passes; the next step needs Podman, which this socket does not have.
  t.equal(result.code, 4, result.stderr);
  t.notMatch(result.stderr, /CERT_EXPIRED/);
});

import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCTOR_CHECKS, type DoctorCheck, type DoctorReport } from '../../src/cluster/doctor.js';
import { runCli } from '../support/cli.js';
import { podmanEnv, requirePodman } from '../support/podman.js';
import { eventually, podman } from '../support/podman-cli.js';

/** The doctor checks the engine the CLI would use, row by row, and names each fault's fix. */

/** A directory short enough for a Unix socket (108 bytes), removed after the test. */
function socketDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'doc-sock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('doctor is green on the test engine: every row ok, exit 0, nothing left behind', async (t) => {
  if (!(await requirePodman(t))) return;
  // The images the doctor looks for are the ones `build` tags by default: the test setup built them.
  const json = await runCli(['doctor', '--json'], { env: podmanEnv });
  t.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout) as DoctorReport;
  t.equal(report.ok, true);
  t.same(report.checks.map((check) => check.name), DOCTOR_CHECKS, 'one row per check, in order');
  for (const check of report.checks) {
    t.same(Object.keys(check).sort(), ['detail', 'name', 'ok'], `${check.name}: { name, ok, detail }, no fix when ok`);
    t.equal(check.ok, true, `${check.name}: ${check.detail}`);
  }
  t.match(report.checks[0]!.detail, /^Podman 4\.\d+\.\d+ at /);

  // Its proof containers and network carry the run's id (in the alias row); none is left.
  const id = /web\.(dh-podman-doctor-[\w-]+)\.test/.exec(report.checks.find((c) => c.name === 'alias DNS')!.detail)?.[1];
  t.ok(id, 'the alias row names the run');
  const containers = await podman(['ps', '-a', '--format', '{{.Names}}']);
  const networks = await podman(['network', 'ls', '--format', '{{.Name}}']);
  t.notMatch(`${containers.stdout}\n${networks.stdout}`, id!, 'no proof container or network is left');

  const text = await runCli(['doctor'], { env: podmanEnv });
  t.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split('\n');
  t.equal(lines.length, DOCTOR_CHECKS.length, 'one line per check');
  DOCTOR_CHECKS.forEach((name, i) => t.match(lines[i], new RegExp(`^ok\\s+${name}\\s+\\S`), `row ${name}`));
});

t.test('doctor against a dead socket: exit 4, the engine row says what is wrong and the fix', async (t) => {
  const socket = join(socketDir(t), 'podman.sock');
  const env = { CONTAINER_HOST: `unix://${socket}` };
  const json = await runCli(['doctor', '--json'], { env });
  t.equal(json.code, 4, json.stderr);
  const report = JSON.parse(json.stdout) as DoctorReport;
  t.equal(report.ok, false);
  t.same(report.checks.map((check) => check.name), DOCTOR_CHECKS, 'every row, even those not reached');
  t.match(report.checks[0], { name: 'engine', ok: false, detail: `CONTAINER_HOST=unix://${socket}: no such socket`, fix: /podman system service/ });
  for (const check of report.checks.slice(1)) t.match(check, { ok: false, detail: 'not checked: the engine did not answer' }, check.name);

  const text = await runCli(['doctor'], { env });
  t.equal(text.code, 4);
  t.match(text.stdout.split('\n')[0], /^FAIL\s+engine\s+CONTAINER_HOST=.*: no such socket; fix: start the service/);
  t.match(text.stderr, `${DOCTOR_CHECKS.length} of ${DOCTOR_CHECKS.length} checks failed`);
});

/**
 * A Podman service of the test's own on the shared storage, with a fault: its own PATH or
 * containers.conf. Stopped (by its process) after the test.
 */
async function faultyEngine(t: Test, fault: { path?: string; conf?: string }): Promise<string> {
  const dir = socketDir(t);
  const socket = join(dir, 'podman.sock');
  let conf = podmanEnv.CONTAINERS_CONF;
  if (fault.conf) {
    conf = join(dir, 'containers.conf');
    writeFileSync(conf, fault.conf);
  }
  // podman reads CONTAINER_HOST itself (even an empty one) and would act as a remote client.
  const { CONTAINER_HOST: _host, DOCKER_HOST: _docker, ...env } = process.env;
  const service = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], {
    env: { ...env, ...(fault.path ? { PATH: fault.path } : {}), CONTAINERS_CONF: conf },
    stdio: 'ignore',
  });
  t.teardown(() => {
    service.kill();
  });
  t.ok(await eventually(async () => (existsSync(socket) ? true : undefined), 15_000), 'the service listens');
  return socket;
}

async function doctorRows(socket: string): Promise<{ code: number; rows: Record<string, DoctorCheck> }> {
  const result = await runCli(['doctor', '--json'], { env: { CONTAINER_HOST: `unix://${socket}` } });
  return { code: result.code, rows: Object.fromEntries((JSON.parse(result.stdout) as DoctorReport).checks.map((check) => [check.name, check])) };
}

t.test('doctor on an engine whose netavark finds no iptables: port publishing fails, naming iptables', async (t) => {
  if (!(await requirePodman(t))) return;
  // Debian keeps iptables in /usr/sbin only: a service without sbin on its PATH is a host
  // without iptables, as a fresh Debian 12 with only podman installed is.
  t.notOk(existsSync('/usr/bin/iptables') || existsSync('/bin/iptables'), 'iptables lives in sbin only');
  const { code, rows } = await doctorRows(await faultyEngine(t, { path: '/usr/bin:/bin' }));
  t.equal(code, 4);
  t.match(rows['container start'], { ok: true }, 'containers without a network still start');
  t.match(rows['port publishing'], { ok: false, detail: /^Podman: netavark: No such file or directory/, fix: 'install iptables (apt-get install iptables)' });
  t.match(rows['alias DNS'], { ok: false, detail: /^not checked/ });
});

t.test('doctor on an engine whose ulimits exceed what the kernel allows: container start names default_ulimits', async (t) => {
  if (!(await requirePodman(t))) return;
  // Above fs.nr_open: even root may not set it, as Podman's defaults are above small VMs' limits.
  const conf = '[containers]\ndefault_ulimits = ["nofile=2147483584:2147483584"]\n[engine]\nruntime = "runc"\n';
  const { code, rows } = await doctorRows(await faultyEngine(t, { conf }));
  t.equal(code, 4);
  t.match(rows['container start'], { ok: false, detail: /^Podman: .*rlimit.*operation not permitted/, fix: /default_ulimits = \["nofile=1024:1024"/ });
  t.match(rows['port publishing'], { ok: false, detail: 'not checked: no container starts' });
});

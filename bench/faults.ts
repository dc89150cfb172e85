import { execFileSync, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { closeSync, cpSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { waitForHealth } from '../src/cluster/health.js';
import { issueRootCa, type Issued } from '../src/pki/issue.js';
import { fileBytes } from '../test/support/custody.js';
import { leaveNoTrace } from './fault-cleanup.js';
import { FaultEngine, type KillPoint } from './fault-engine.js';
import { clusterFile, dhPodmanRun, freePort, makePods, repoRoot, writeLeaf, type BenchPod } from './support.js';

/**
 * Faults during runs that change working pods, and whether a plain re-run recovers:
 * - the Podman API service killed (SIGKILL) while a chosen engine call is being served, at
 *   five calls each of `start` (replacing a pod with a new host port), `up -f` (three pods,
 *   all replaced by a new CA file) and `rotate` (one pod's new leaf of three). The points are
 *   named by call, not by count, so they stay the same steps as the code changes: see KILLS.
 * - the state directory's file system full (a tmpfs) with 0 to 4 pages left while the derived
 *   files of a start are written;
 * - a host port another process holds, asked for by a replace;
 * - a replacement that fails after the old pod is gone (an image whose user does not exist);
 * - dh-podman itself killed (SIGKILL) at the same five calls of `start`: its lock, staged
 *   files and half-made pod are left behind for the re-run.
 * After each fault the engine is started again, then the same command is re-run. A run
 * "converged" when that re-run exits 0, every pod answers /health over TLS with the new
 * settings, and one more run changes nothing. "lost" counts pods that served before the fault
 * and did not answer within 45 s after it (before any re-run): the outage a fault caused.
 */

export const name = 'faults';

const PREFIX = 'localhost/out-faults/';
const IMAGE = `${PREFIX}probe:latest`;
const BROKEN = `${PREFIX}broken:latest`;
const NETWORK = 'out-faults';
const RUNS_EACH = 3;

const call = {
  plan: /^GET \S*\/pods\/[^/?]+\/json/,
  remove: /^DELETE \S*\/pods\/[^/?]+\?/,
  create: /^POST \S*\/pods\/create/,
  container: /^POST \S*\/containers\/create/,
  start: /^POST \S*\/pods\/[^/?]+\/start/,
  secret: /^POST \S*\/secrets\/create/,
  containerRemove: /^DELETE \S*\/containers\/[^/?]+\?/,
  containerStart: /^POST \S*\/containers\/[^/?]+\/start/,
};
const KILLS: Record<'start' | 'up' | 'rotate', KillPoint[]> = {
  start: [
    { label: 'planning (pod inspect)', call: call.plan, nth: 1 },
    { label: 'removing the old pod', call: call.remove, nth: 1 },
    { label: 'creating the new pod', call: call.create, nth: 1 },
    { label: 'creating its container', call: call.container, nth: 1 },
    { label: 'starting it', call: call.start, nth: 1 },
  ],
  // A new CA file or leaf changes only derived files: the pods stay and their containers are
  // replaced (replace-containers), so these are container calls.
  up: [
    { label: "removing pod 1's container", call: call.containerRemove, nth: 1 },
    { label: "creating pod 2's container", call: call.container, nth: 2 },
    { label: "starting pod 2's container", call: call.containerStart, nth: 2 },
    { label: "removing pod 3's container", call: call.containerRemove, nth: 3 },
    { label: "starting pod 3's container", call: call.containerStart, nth: 3 },
  ],
  rotate: [
    { label: 'planning (pod inspect)', call: call.plan, nth: 1 },
    { label: 'storing its secrets', call: call.secret, nth: 1 },
    { label: 'removing the old container', call: call.containerRemove, nth: 1 },
    { label: 'creating the new container', call: call.container, nth: 1 },
    { label: 'starting it', call: call.containerStart, nth: 1 },
  ],
};

interface Endpoint {
  hostname: string;
  port: number;
}

/** One fault: the run that meets it, and how to tell that a re-run recovered. */
interface Case {
  faulty: string[];
  rerun: string[];
  /** The last run, with --json: it must report nothing changed. */
  again: string[];
  /** Per pod that served before: the endpoints at which it still counts as serving. */
  before: Endpoint[][];
  after: Endpoint[];
  /** Extra proof the new settings are live; a reason when they are not. */
  live?: () => Promise<string | undefined>;
  /** Said of the fault run, when it did not fail as the scenario expects. */
  expect?: (result: { code: number; stderr: string }) => string | undefined;
}

interface Row {
  scenario: string;
  runs: number;
  converged: number;
  lost: number;
  notes: string[];
}

export async function run(log: (line: string) => void): Promise<void> {
  if (process.getuid?.() !== 0) {
    log('skipped: needs root (tmpfs mounts, rootful Podman)');
    return;
  }
  const engine = new FaultEngine();
  await engine.listen();
  const dir = mkdtempSync(join(tmpdir(), 'out-faults-'));
  const ca = await issueRootCa({ commonName: 'out-faults CA' });
  const other = await issueRootCa({ commonName: 'out-faults other CA' });
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, ca.certificatePem);
  const caPem = ca.certificatePem;
  const direct = engine.env(false);
  const podman = (...args: string[]) => {
    try {
      execFileSync('podman', ['--url', direct.CONTAINER_HOST!, ...args], { stdio: 'ignore', env: { ...process.env, ...direct } });
    } catch {
      // gone already
    }
  };
  const podmanOut = (...args: string[]): string => {
    try {
      return execFileSync('podman', ['--url', direct.CONTAINER_HOST!, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, ...direct } });
    } catch {
      return '';
    }
  };
  const rows: Row[] = [];
  try {
    log('building the probe image and one whose user does not exist');
    await buildImages(dir, direct);

    /** Runs one case and tears nothing down; the caller does. */
    const attempt: Attempt = async (row, kase, kill, victim = 'engine') => {
      row.runs++;
      let client: ChildProcess | undefined;
      if (kill) engine.arm(kill, victim === 'client' ? () => client?.kill('SIGKILL') : undefined);
      const fault = await dhPodmanRun(kase.faulty, engine.env(true), 180_000, (child) => (client = child));
      if (kill && !engine.killed) row.notes.push(`kill point "${kill.label}" not reached (exit ${fault.code})`);
      engine.start();
      const unexpected = kase.expect?.(fault);
      if (unexpected) row.notes.push(unexpected);
      const serving = await Promise.all(kase.before.map((endpoints) => answersAny(endpoints, caPem, 45_000)));
      const lost = serving.filter((ok) => !ok).length;
      row.lost += lost;
      const reason = await converges(kase, direct, caPem);
      if (reason) row.notes.push(`${kill ? `${kill.label}: ` : ''}${reason}`);
      else row.converged++;
      log(`${row.scenario} #${row.runs}${kill ? ` (${kill.label})` : ''}: exit ${fault.code} ${lastLine(fault.stderr).slice(0, 300)}; lost ${lost}; ${reason ?? 'converged'}`);
    };

    const bench: Bench = { dir, ca, other, caFile, caPem, env: direct, podman, attempt };
    const scenarios: Record<Scenario, () => Promise<Row>> = {
      start: () => killStart(bench, 'engine'),
      up: () => killCluster('up', bench),
      rotate: () => killCluster('rotate', bench),
      disk: () => diskFull(bench),
      port: () => portConflict(bench),
      putback: () => failsAfterRemoval(bench),
      client: () => killStart(bench, 'client'),
    };
    for (const scenario of chosenScenarios()) rows.push(await scenarios[scenario]());
  } finally {
    // The engine may have been left dead by the last kill; the clean-up needs it.
    engine.start();
    const undone = leaveNoTrace(podmanOut, NETWORK, made);
    if (undone.length > 0) log(`removed ${undone.length} netavark rules and chains of ${NETWORK} that no teardown reached`);
    // The build tags the images it makes on the way too (base, :pre-trust): every tag under the
    // prefix goes, the latest made first so no image is still the parent of another.
    const tags = podmanOut('images', '--format', '{{.Repository}}:{{.Tag}}').split('\n').filter((tag) => tag.startsWith(PREFIX));
    for (const tag of tags) {
      podman('rmi', tag);
      podman('untag', tag, tag);
    }
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
  log('');
  log('| scenario | runs | converged | lost | notes |');
  log('|---|---|---|---|---|');
  for (const row of rows) log(`| ${row.scenario} | ${row.runs} | ${row.converged} | ${row.lost} | ${row.notes.join('; ').replace(/\|/g, '/') || '—'} |`);
}

const SCENARIOS = ['start', 'up', 'rotate', 'disk', 'port', 'putback', 'client'] as const;
type Scenario = (typeof SCENARIOS)[number];

/**
 * FAULTS_SCENARIOS=start,up,rotate runs only those rows (a quicker loop while one fault is
 * studied); unset, every row, as the table in docs/faults.md is made.
 */
function chosenScenarios(): Scenario[] {
  const wanted = process.env.FAULTS_SCENARIOS?.split(',').map((name) => name.trim()).filter(Boolean);
  if (!wanted || wanted.length === 0) return [...SCENARIOS];
  const unknown = wanted.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`FAULTS_SCENARIOS: no scenario ${unknown.join(', ')} (known: ${SCENARIOS.join(', ')})`);
  return SCENARIOS.filter((name) => wanted.includes(name));
}

/** Runs one case: the fault, then the re-runs; `victim` is what the kill point kills. */
type Attempt = (row: Row, kase: Case, kill?: KillPoint, victim?: 'engine' | 'client') => Promise<void>;

/** What every scenario works with. */
interface Bench {
  dir: string;
  ca: Issued;
  other: Issued;
  caFile: string;
  caPem: string;
  env: NodeJS.ProcessEnv;
  podman: (...args: string[]) => void;
  attempt: Attempt;
}

async function buildImages(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const images = join(dir, 'images');
  cpSync(join(repoRoot, 'images'), images, { recursive: true });
  mkdirSync(join(images, 'broken'));
  writeFileSync(join(images, 'broken', 'Containerfile'), 'FROM dh-podman/probe\nUSER nosuchuser\n');
  const build = await dhPodmanRun(['build', '-q', '--images-dir', images, '--only', 'broken', '--tag-prefix', PREFIX, '--base-image', 'localhost/dh-podman/os:bookworm'], env, 20 * 60_000);
  if (build.code !== 0) throw new Error(`build failed: ${lastLine(build.stderr)}`);
}

/** The pod of a start scenario, and the arguments of `start` for it. */
function startPod(dir: string, label: string) {
  const pod = `out-f${label}`;
  const hostname = `${label}.out-faults.test`;
  const volume = join(dir, `${pod}-tls`);
  return {
    pod,
    hostname,
    volume,
    args: (port: number, stateDir: string, caFile: string, extra: string[] = []) => [
      'start', '-h', hostname, '--tls-volume', volume, '--name', pod, '--image', IMAGE, '--network', NETWORK, '--publish', `${port}`, '--state-dir', stateDir, '--ca-cert-file', caFile, ...extra,
    ],
  };
}

/** Every pod a scenario made, removed at the end whatever happened (with their secrets). */
const made = new Set<string>();

async function makeStartPod(bench: Bench, label: string) {
  const spec = startPod(bench.dir, label);
  made.add(spec.pod);
  mkdirSync(spec.volume, { recursive: true });
  await writeLeaf(bench.ca, { name: spec.pod, hostname: spec.hostname, volume: spec.volume, port: 0 });
  return spec;
}

async function killStart(bench: Bench, victim: 'engine' | 'client'): Promise<Row> {
  const { dir, caFile, caPem, env, podman, attempt } = bench;
  const scenario = victim === 'engine' ? 'engine killed during `start` (replace, new host port)' : 'dh-podman itself killed (SIGKILL) during `start` (replace, new host port)';
  const row: Row = { scenario, runs: 0, converged: 0, lost: 0, notes: [] };
  for (const [index, kill] of KILLS.start.entries()) {
    const spec = await makeStartPod(bench, `${victim === 'engine' ? 's' : 'k'}${index}`);
    const stateDir = join(dir, `${spec.pod}-state`);
    const [oldPort, newPort] = [await freePort(), await freePort()];
    await must(dhPodmanRun(spec.args(oldPort, stateDir, caFile), env), 'set-up start');
    await waitForHealth({ hostname: spec.hostname, port: oldPort, caPem }, 90_000);
    const old = { hostname: spec.hostname, port: oldPort };
    const now = { hostname: spec.hostname, port: newPort };
    await attempt(row, { faulty: spec.args(newPort, stateDir, caFile), rerun: spec.args(newPort, stateDir, caFile), again: spec.args(newPort, stateDir, caFile, ['--json']), before: [[old, now]], after: [now] }, kill, victim);
    podman('pod', 'rm', '-f', spec.pod);
  }
  return row;
}

async function killCluster(command: 'up' | 'rotate', { dir, ca, other, env, attempt }: Bench): Promise<Row> {
  const row: Row = {
    scenario: command === 'up' ? 'engine killed during `up -f` (3 pods replaced: new CA file)' : 'engine killed during `rotate` (new leaf for 1 of 3 pods)',
    runs: 0,
    converged: 0,
    lost: 0,
    notes: [],
  };
  for (const [index, kill] of KILLS[command].entries()) {
    const cluster = `out-f${command[0]}${index}`;
    const pods = await makePods(dir, cluster, ca);
    for (const pod of pods) made.add(pod.name);
    const trust = join(dir, `${cluster}-trust.pem`);
    writeFileSync(trust, ca.certificatePem);
    const file = join(dir, `${cluster}.yaml`);
    writeFileSync(file, clusterFile(cluster, join(dir, `${cluster}-state`), trust, pods, IMAGE));
    await must(dhPodmanRun(['up', '-q', '-f', file], env), 'set-up up');
    const endpoints = pods.map((pod) => ({ hostname: pod.hostname, port: pod.port }));
    for (const endpoint of endpoints) await waitForHealth({ ...endpoint, caPem: ca.certificatePem }, 90_000);
    let live: Case['live'];
    if (command === 'up') writeFileSync(trust, ca.certificatePem + other.certificatePem);
    else {
      await writeLeaf(ca, pods[0]!);
      live = () => presents(pods[0]!);
    }
    const args = command === 'up' ? ['up', '-q', '-f', file] : ['rotate', '-q', '-f', file];
    await attempt(row, { faulty: args, rerun: args, again: [...args, '--json'], before: endpoints.map((e) => [e]), after: endpoints, ...(live ? { live } : {}) }, kill);
    await dhPodmanRun(['down', '-q', '-f', file], env);
  }
  return row;
}

async function diskFull(bench: Bench): Promise<Row> {
  const { dir, caFile, caPem, env, podman, attempt } = bench;
  const row: Row = { scenario: 'state directory full (tmpfs, 0–4 pages left) while `start` writes derived files', runs: 0, converged: 0, lost: 0, notes: [] };
  const mount = join(dir, 'tmpfs');
  mkdirSync(mount);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount]);
  const spec = await makeStartPod(bench, 'disk');
  const stateDir = join(mount, 'state');
  const port = await freePort();
  const endpoint = { hostname: spec.hostname, port };
  // The system trust (no CA file) and then a CA file: four files to write (two truststores,
  // their passphrase, the properties), and the lock.
  const without = (extra: string[] = []) => spec.args(port, stateDir, caFile, extra).filter((arg, i, all) => arg !== '--ca-cert-file' && all[i - 1] !== '--ca-cert-file');
  try {
    for (let pages = 0; pages <= 4; pages++) {
      await must(dhPodmanRun(without(), env), 'set-up start');
      await waitForHealth({ ...endpoint, caPem }, 90_000);
      const files = fileBytes(join(stateDir, 'pods', spec.pod));
      const filler = join(mount, 'filler');
      fill(filler, pages);
      await attempt(row, {
        faulty: spec.args(port, stateDir, caFile),
        rerun: spec.args(port, stateDir, caFile),
        again: spec.args(port, stateDir, caFile, ['--json']),
        before: [[endpoint]],
        after: [endpoint],
        expect: (fault) => {
          const after = fileBytes(join(stateDir, 'pods', spec.pod));
          rmSync(filler, { force: true });
          if (fault.code !== 4) return `${pages} pages left: exit ${fault.code}, not 4`;
          if (JSON.stringify(after) !== JSON.stringify(files)) return `${pages} pages left: the files changed`;
          return /no space left/.test(fault.stderr) ? undefined : `${pages} pages left: ${lastLine(fault.stderr)}`;
        },
      });
    }
  } finally {
    podman('pod', 'rm', '-f', spec.pod);
    execFileSync('umount', [mount]);
  }
  return row;
}

async function portConflict(bench: Bench): Promise<Row> {
  const { dir, caFile, caPem, env, podman, attempt } = bench;
  const row: Row = { scenario: 'host port held by another process, asked for by a replace', runs: 0, converged: 0, lost: 0, notes: [] };
  const spec = await makeStartPod(bench, 'port');
  const stateDir = join(dir, `${spec.pod}-state`);
  let port = await freePort();
  await must(dhPodmanRun(spec.args(port, stateDir, caFile), env), 'set-up start');
  for (let i = 0; i < RUNS_EACH; i++) {
    await waitForHealth({ hostname: spec.hostname, port, caPem }, 90_000);
    const holder = await hold();
    const taken = (holder.address() as { port: number }).port;
    await attempt(row, {
      faulty: spec.args(taken, stateDir, caFile),
      rerun: spec.args(taken, stateDir, caFile),
      again: spec.args(taken, stateDir, caFile, ['--json']),
      before: [[{ hostname: spec.hostname, port }]],
      after: [{ hostname: spec.hostname, port: taken }],
      expect: (fault) => {
        holder.close();
        return fault.code === 4 && fault.stderr.includes(`port ${taken}`) ? undefined : `exit ${fault.code}: ${lastLine(fault.stderr)}`;
      },
    });
    port = taken;
  }
  podman('pod', 'rm', '-f', spec.pod);
  return row;
}

async function failsAfterRemoval(bench: Bench): Promise<Row> {
  const { dir, caFile, caPem, env, podman, attempt } = bench;
  const row: Row = { scenario: 'replacement fails after the old pod went (image whose user does not exist)', runs: 0, converged: 0, lost: 0, notes: [] };
  const spec = await makeStartPod(bench, 'gone');
  const stateDir = join(dir, `${spec.pod}-state`);
  const port = await freePort();
  const endpoint = { hostname: spec.hostname, port };
  const good = spec.args(port, stateDir, caFile);
  await must(dhPodmanRun(good, env), 'set-up start');
  for (let i = 0; i < RUNS_EACH; i++) {
    await waitForHealth({ ...endpoint, caPem }, 90_000);
    const broken = good.map((arg) => (arg === IMAGE ? BROKEN : arg));
    await attempt(row, {
      faulty: broken,
      // What recovers is the command that made the working pod: the pod put back is that pod.
      rerun: good,
      again: [...good, '--json'],
      before: [[endpoint]],
      after: [endpoint],
      expect: (fault) => (fault.code === 4 && /the previous pod was put back and is running/.test(fault.stderr) ? undefined : `exit ${fault.code}: ${lastLine(fault.stderr)}`),
    });
  }
  podman('pod', 'rm', '-f', spec.pod);
  return row;
}

/** undefined when the re-run converged; else why not. */
async function converges(kase: Case, env: NodeJS.ProcessEnv, caPem: string): Promise<string | undefined> {
  const rerun = await dhPodmanRun(kase.rerun, env);
  if (rerun.code !== 0) return `re-run exit ${rerun.code}: ${lastLine(rerun.stderr)}`;
  for (const endpoint of kase.after) {
    if (!(await answersAny([endpoint], caPem, 90_000))) return `${endpoint.hostname}:${endpoint.port} did not answer after the re-run`;
  }
  const live = await kase.live?.();
  if (live) return live;
  const again = await dhPodmanRun(kase.again, env);
  if (again.code !== 0) return `a further run: exit ${again.code}: ${lastLine(again.stderr)}`;
  return JSON.parse(again.stdout).changed === false ? undefined : 'a further run still changed something';
}

async function answersAny(endpoints: Endpoint[], caPem: string, timeoutMs: number): Promise<boolean> {
  const tries = endpoints.map((endpoint) => waitForHealth({ ...endpoint, caPem }, timeoutMs).then(() => true, () => false));
  for (const ok of await Promise.all(tries)) if (ok) return true;
  return false;
}

/** Whether the pod serves the leaf now in its TLS volume (rotation took effect). */
function presents(pod: BenchPod): Promise<string | undefined> {
  const wanted = new X509Certificate(readFileSync(join(pod.volume, 'tls.crt'))).fingerprint256;
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: pod.port, servername: pod.hostname, rejectUnauthorized: false }, () => {
      const served = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(served === wanted ? undefined : `${pod.name} still presents its previous leaf`);
    });
    socket.on('error', (error) => resolve(`${pod.name}: ${error.message}`));
  });
}

function hold(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** Fills the file system of `file` and then frees `pages` pages of it. */
function fill(file: string, pages: number): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(4096);
  let size = 0;
  try {
    for (;;) size += writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  }
  ftruncateSync(fd, Math.max(0, size - pages * 4096));
  closeSync(fd);
}

async function must(result: Promise<{ code: number; stderr: string }>, what: string): Promise<void> {
  const { code, stderr } = await result;
  if (code !== 0) throw new Error(`${what} failed (exit ${code}): ${lastLine(stderr)}`);
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

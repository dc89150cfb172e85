import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { isDhError } from '../base/errors.js';
import type { DiscoveryOptions } from '../engine/discovery.js';
import type { ContainerSpec } from '../engine/containers.js';
import { Engine } from '../engine/engine.js';
import type { EngineInfo } from '../engine/info.js';
import { toolLabels } from '../engine/labels.js';
import { ensureProbeImage, PROBE_IMAGE } from '../engine/probe-image.js';
import { DEFAULT_BASE_IMAGE } from './base-image.js';
import { DEFAULT_TAG_PREFIX, imageTag } from './build.js';
import { discoverImages } from './image-specs.js';

/** One row of the doctor's report: ok, or the problem in Podman's own words and the fix. */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}

export interface DoctorOptions {
  discovery: DiscoveryOptions;
  /** The images/ directory whose images must be built. */
  imagesDir: string;
  baseImage?: string;
  tagPrefix?: string;
}

/** Every row, in the order they are checked; each later one needs the ones it names. */
export const DOCTOR_CHECKS = ['engine', 'OCI runtime', 'network backend', 'container start', 'port publishing', 'alias DNS', 'base image', 'images built'] as const;
type CheckName = (typeof DOCTOR_CHECKS)[number];

const IPTABLES_FIX = 'install iptables (apt-get install iptables)';
const SERVICE_PORT = 8080;

/**
 * Checks that the engine the CLI would use can run dh-podman's machines, the way
 * scripts/podman-env.sh proves its own: a container starts, a port published on loopback
 * answers from the host, and a container resolves another's network alias and fetches from it;
 * then that the base image and every image under images/ are built. The proof containers and
 * network get names of their own and are removed; the probe image is made once and kept.
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  let engine: Engine;
  try {
    engine = await Engine.connect(options.discovery);
  } catch (error) {
    checks.push(failed('engine', error));
    return finish(checks);
  }
  try {
    const info = await engine.info().catch((error: unknown) => error as Error);
    checks.push(engineCheck(engine, info));
    if (info instanceof Error) return finish(checks);
    checks.push({ name: 'OCI runtime', ok: true, detail: `${info.ociRuntime.name} (${[info.ociRuntime.path, info.ociRuntime.version].filter(Boolean).join(': ')})` });
    checks.push(networkBackendCheck(info));
    checks.push(...(await proveEngine(engine)));
    checks.push(await guard('base image', () => baseImageCheck(engine, options.baseImage ?? DEFAULT_BASE_IMAGE)));
    checks.push(await guard('images built', () => imagesCheck(engine, options.imagesDir, options.tagPrefix ?? DEFAULT_TAG_PREFIX)));
    return finish(checks);
  } finally {
    await engine.close();
  }
}

/** Rows never reached (the engine did not answer) are reported as not checked, so every report has every row. */
function finish(checks: DoctorCheck[]): DoctorReport {
  const seen = new Set(checks.map((check) => check.name));
  const all = [...checks, ...DOCTOR_CHECKS.filter((name) => !seen.has(name)).map((name) => notChecked(name, 'the engine did not answer'))];
  return { ok: all.every((check) => check.ok), checks: all };
}

function engineCheck(engine: Engine, info: EngineInfo | Error): DoctorCheck {
  const where = `${engine.socketPath} (${engine.source})`;
  if (info instanceof Error) {
    return {
      name: 'engine',
      ok: false,
      detail: `${where} answers, but not as Podman's API: ${words(info)}`,
      fix: 'point CONTAINER_HOST at a Podman 4.3 or later socket (e.g. unix:///run/podman/podman.sock)',
    };
  }
  const major = Number.parseInt(info.version, 10);
  if (!(major >= 4)) {
    return { name: 'engine', ok: false, detail: `Podman ${info.version} at ${where} is too old for the libpod v4 API`, fix: 'install Podman 4.3 or later (Debian 12: apt-get install podman)' };
  }
  return { name: 'engine', ok: true, detail: `Podman ${info.version} at ${where}${info.rootless ? ', rootless' : ''}` };
}

function networkBackendCheck(info: EngineInfo): DoctorCheck {
  if (info.networkBackend === 'netavark') return { name: 'network backend', ok: true, detail: 'netavark' };
  return {
    name: 'network backend',
    ok: false,
    detail: `${info.networkBackend}: pods resolve each other's FQDN aliases only with netavark and aardvark-dns`,
    fix: 'install netavark and aardvark-dns (apt-get install netavark aardvark-dns) and set network_backend = "netavark" under [network] in containers.conf',
  };
}

/** The three proof rows: container start, port publishing, alias DNS. */
async function proveEngine(engine: Engine): Promise<DoctorCheck[]> {
  const id = `dh-podman-doctor-${process.pid}-${randomBytes(3).toString('hex')}`;
  const alias = `web.${id}.test`;
  const names = { start: `${id}-start`, web: `${id}-web`, client: `${id}-client` };
  const base = { image: PROBE_IMAGE, env: {}, mounts: [], labels: toolLabels() };
  const rows: DoctorCheck[] = [];
  let networkMade = false;
  try {
    // container start: the runtime, its cgroup mode and the ulimits, with no network involved.
    try {
      await ensureProbeImage(engine.images);
      await engine.containers.create({ ...base, name: names.start, network: 'none', command: ['true'] });
      await engine.containers.start(names.start);
      const status = await engine.containers.wait(names.start);
      if (status !== 0) throw new Error(`the probe container exited with ${status}: ${(await engine.containers.logs(names.start)).trim()}`);
      rows.push({ name: 'container start', ok: true, detail: `${PROBE_IMAGE} ran` });
    } catch (error) {
      rows.push(failed('container start', error, runtimeFix(words(error))));
      return [...rows, notChecked('port publishing', 'no container starts'), notChecked('alias DNS', 'no container starts')];
    }

    // port publishing: a bridge network (netavark, iptables) and a port on loopback. The page
    // the web container serves is the run's id.
    try {
      await engine.networks.create(id, toolLabels());
      networkMade = true;
      await engine.containers.create({
        ...base,
        name: names.web,
        network: { name: id, aliases: [alias] },
        ports: [{ hostPort: 0, containerPort: SERVICE_PORT, hostIp: '127.0.0.1' }],
        command: ['sh', '-c', `mkdir -p /www && echo ${id} >/www/index.html && exec httpd -f -p ${SERVICE_PORT} -h /www`],
      });
      await engine.containers.start(names.web);
    } catch (error) {
      rows.push(failed('port publishing', error, networkFix(words(error))));
      return [...rows, notChecked('alias DNS', 'no container starts on a network')];
    }
    rows.push(
      await guard('port publishing', async () => {
        const port = (await engine.containers.publishedPorts(names.web)).find((p) => p.containerPort === SERVICE_PORT && p.hostIp === '127.0.0.1')?.hostPort;
        const answer = port ? await fetchLoopback(port, id) : 'Podman published no loopback port';
        return answer === 'ok'
          ? { name: 'port publishing', ok: true, detail: `127.0.0.1:${port} answered from a container` }
          : { name: 'port publishing', ok: false, detail: `127.0.0.1:${port ?? '?'} did not answer: ${answer}`, fix: `${IPTABLES_FIX} and check that no firewall drops loopback traffic` };
      }),
    );

    // alias DNS: aardvark-dns answers for the web container's alias, and the address works.
    rows.push(await aliasCheck(engine, { ...base, name: names.client, network: { name: id, aliases: [] } }, alias, id));
    return rows;
  } finally {
    for (const name of Object.values(names)) await engine.containers.remove(name).catch(() => undefined);
    if (networkMade) await engine.networks.remove(id).catch(() => undefined);
  }
}

async function aliasCheck(engine: Engine, spec: ContainerSpec, alias: string, token: string): Promise<DoctorCheck> {
  try {
    // Exit 3: the alias did not resolve; exit 4: it resolved but the fetch failed. The lookup is
    // tried 10 times, half a second apart: on a loaded machine a container's first query can
    // come before aardvark-dns answers for the network.
    const lookup = `n=0; until timeout 2 nslookup ${alias} >/dev/null 2>&1; do n=$((n+1)); [ $n -lt 10 ] || exit 3; sleep 0.5; done`;
    await engine.containers.create({
      ...spec,
      command: ['sh', '-c', `${lookup}; timeout 10 wget -q -O - http://${alias}:${SERVICE_PORT}/ || exit 4`],
    });
    await engine.containers.start(spec.name);
    const status = await engine.containers.wait(spec.name);
    const said = (await engine.containers.logs(spec.name)).trim();
    if (status === 0 && said === token) return { name: 'alias DNS', ok: true, detail: `${alias} resolved and answered from another container` };
    if (status === 3) return { name: 'alias DNS', ok: false, detail: `${alias} did not resolve from another container in 10 tries`, fix: 'install aardvark-dns (apt-get install aardvark-dns)' };
    if (status === 4) return { name: 'alias DNS', ok: false, detail: `${alias} resolved but did not answer from another container`, fix: 'check that no firewall drops traffic between containers' };
    return { name: 'alias DNS', ok: false, detail: `the client exited with ${status}: ${said.split('\n').pop()}`, fix: 'run "podman network inspect" on a dh-podman network and "podman info"' };
  } catch (error) {
    return failed('alias DNS', error, networkFix(words(error)));
  }
}

async function baseImageCheck(engine: Engine, tag: string): Promise<DoctorCheck> {
  if (await engine.images.exists(tag)) return { name: 'base image', ok: true, detail: tag };
  return { name: 'base image', ok: false, detail: `${tag} does not exist`, fix: 'make it once: sudo dh-podman base bootstrap (about a minute)' };
}

async function imagesCheck(engine: Engine, imagesDir: string, tagPrefix: string): Promise<DoctorCheck> {
  const tags = (await discoverImages(imagesDir)).map((spec) => imageTag(tagPrefix, spec.name));
  const missing: string[] = [];
  for (const tag of tags) if (!(await engine.images.exists(tag))) missing.push(tag);
  if (missing.length === 0) return { name: 'images built', ok: true, detail: tags.join(', ') };
  return { name: 'images built', ok: false, detail: `missing ${missing.join(', ')}`, fix: 'build them: dh-podman build' };
}

/** A check that throws (the engine went away half way) is a failed row, not a failed doctor. */
async function guard(name: CheckName, check: () => Promise<DoctorCheck>): Promise<DoctorCheck> {
  try {
    return await check();
  } catch (error) {
    return failed(name, error);
  }
}

/** GETs / on loopback until the container's token comes back (a few seconds at most). */
async function fetchLoopback(port: number, token: string, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    last = await new Promise<string>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/', timeout: 1000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(body.trim() === token ? 'ok' : `HTTP ${res.statusCode} "${body.trim().slice(0, 60)}"`));
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (error) => resolve(error.message));
      req.end();
    });
    if (last === 'ok') return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return last;
}

/** The fix for what Podman said when a container did not start, when its words are known. */
function runtimeFix(said: string): string | undefined {
  if (/cgroup/i.test(said)) return 'set runtime = "runc" under [engine] in containers.conf (apt-get install runc)';
  // runc says "error setting rlimit type 7: operation not permitted" for a nofile above the host's hard limit.
  if (/rlimit/i.test(said)) return 'set default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"] under [containers] in containers.conf and restart the Podman service';
  return undefined;
}

/** netavark without iptables says "netavark: No such file or directory (os error 2)". */
function networkFix(said: string): string | undefined {
  return /netavark.*No such file or directory|iptables/i.test(said) ? IPTABLES_FIX : undefined;
}

/** A failed row: Podman's (or dh-podman's) words; the fix that matches them, the error's own, or "podman info". */
function failed(name: CheckName, error: unknown, fix?: string): DoctorCheck {
  const ownFix = isDhError(error) ? error.fix : undefined;
  return { name, ok: false, detail: words(error), fix: fix ?? ownFix ?? 'run "podman info" to see what Podman reports' };
}

function notChecked(name: CheckName, because: string): DoctorCheck {
  return { name, ok: false, detail: `not checked: ${because}` };
}

/** An error's message, led by the file it is about (not by the API call an engine error names). */
function words(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  const subject = isDhError(error) ? error.subject : undefined;
  return subject && !message.includes(subject) && !/^(GET|POST|DELETE) /.test(subject) ? `${subject}: ${message}` : message;
}

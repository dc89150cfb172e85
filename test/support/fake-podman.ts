import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LibpodApi } from '../../src/engine/api.js';
import { Containers } from '../../src/engine/containers.js';
import { Images } from '../../src/engine/images.js';
import { Networks } from '../../src/engine/networks.js';
import type { PodEngine } from '../../src/engine/pod-engine.js';
import { Pods } from '../../src/engine/pods.js';
import { Secrets } from '../../src/engine/secrets.js';
import { repoRoot } from './cli.js';

/**
 * A Podman API that answers from state it keeps in memory, in the shapes Podman 4.3 answered
 * with on these machines (test/fixtures/podman-4.3/pod-state.json, recorded from a real
 * `up -f`): pods, their infra and member containers, images, networks, secrets. It listens on
 * a Unix socket and is spoken to through the project's own clients, so planning
 * and applying run exactly as against Podman, without one. It runs nothing: a pod "starts" by
 * its state saying Running.
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const recorded = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/podman-4.3/pod-state.json'), 'utf8')) as Record<string, Json>;
const clone = <T>(value: T): T => structuredClone(value);
const newId = () => randomBytes(32).toString('hex');

export interface FakePodman {
  engine: PodEngine;
  /** Every request, as "METHOD /path" (libpod prefix and query left out), in order. */
  calls: string[];
  pods: Map<string, Json>;
  containers: Map<string, Json>;
  images: Map<string, Json>;
  networks: Map<string, Json>;
  secrets: Map<string, Buffer>;
  /** Answers the next request whose "METHOD /path" matches with this failure, once. */
  failNext(match: RegExp, status: number, message: string): void;
  /** Adds an image under `reference` (the recorded probe image's inspect, its labels replaced). */
  addImage(reference: string, labels?: Record<string, string>): void;
  close(): Promise<void>;
}

export async function startFakePodman(): Promise<FakePodman> {
  const dir = mkdtempSync(join(tmpdir(), 'dhp-fake-podman-'));
  const socketPath = join(dir, 'podman.sock');
  const pods = new Map<string, Json>();
  const containers = new Map<string, Json>();
  const images = new Map<string, Json>();
  const networks = new Map<string, Json>();
  const secrets = new Map<string, Buffer>();
  const calls: string[] = [];
  const failures: { match: RegExp; status: number; message: string }[] = [];
  let nextAddress = 2;

  const podJson = (pod: Json): Json => ({
    ...pod,
    Containers: [...containers.values()].filter((c) => c.Pod === pod.Id).map((c) => ({ Id: c.Id, Name: c.Name, State: c.State.Status })),
    NumContainers: [...containers.values()].filter((c) => c.Pod === pod.Id).length,
  });
  const byLabels = (labels: Json, filters: string | null) => {
    const wanted = filters ? (JSON.parse(filters) as { label?: string[] }).label ?? [] : [];
    return wanted.every((pair) => {
      const eq = pair.indexOf('=');
      return labels?.[pair.slice(0, eq)] === pair.slice(eq + 1);
    });
  };
  const container = (nameOrId: string) => containers.get(nameOrId) ?? [...containers.values()].find((c) => c.Id === nameOrId);

  const routes: [string, RegExp, (match: string[], query: URLSearchParams, body: Buffer) => [number, unknown]][] = [
    ['GET', /^\/images\/(.+)\/exists$/, ([ref]) => (images.has(ref!) ? [204, ''] : missing('image', ref!))],
    ['GET', /^\/images\/(.+)\/json$/, ([ref]) => (images.has(ref!) ? [200, images.get(ref!)] : missing('image', ref!))],
    ['GET', /^\/pods\/json$/, (_, query) => [200, [...pods.values()].filter((p) => byLabels(p.Labels, query.get('filters'))).map((p) => ({ Name: p.Name, Id: p.Id, Labels: p.Labels, Status: p.State }))]],
    ['GET', /^\/pods\/([^/]+)\/json$/, ([name]) => (pods.has(name!) ? [200, podJson(pods.get(name!)!)] : missing('pod', name!))],
    [
      'POST',
      /^\/pods\/create$/,
      (_, __, body) => {
        const spec = JSON.parse(body.toString()) as Json;
        if (pods.has(spec.name)) return [409, { cause: 'pod already exists', message: `${spec.name}: pod already exists`, response: 409 }];
        const [network, attach] = Object.entries(spec.Networks as Record<string, Json>)[0]!;
        const pod = clone(recorded.podInspect!);
        const infra = clone(recorded.infraInspect!);
        Object.assign(pod, { Id: newId(), Name: spec.name, Hostname: spec.hostname, Labels: spec.labels, State: 'Created', InfraContainerID: '' });
        Object.assign(infra, { Id: newId(), Name: `${pod.Id.slice(0, 12)}-infra`, Pod: pod.Id });
        pod.InfraContainerID = infra.Id;
        infra.State.Status = 'created';
        pod.InfraConfig.Networks = [network];
        pod.InfraConfig.PortBindings = Object.fromEntries(
          (spec.portmappings as Json[]).map((p) => [`${p.container_port}/tcp`, [{ HostIp: p.host_ip ?? '', HostPort: String(p.host_port) }]]),
        );
        const ip = attach.static_ips?.[0] ?? `10.89.9.${nextAddress++}`;
        infra.NetworkSettings.Networks = { [network]: { ...recorded.infraInspect!.NetworkSettings.Networks['dh-plan-try'], NetworkID: network, IPAddress: ip, Aliases: [...attach.aliases, infra.Id.slice(0, 12)] } };
        pods.set(pod.Name, pod);
        containers.set(infra.Name, infra);
        return [201, { Id: pod.Id }];
      },
    ],
    [
      'POST',
      /^\/pods\/([^/]+)\/start$/,
      ([name]) => {
        const pod = pods.get(name!);
        if (!pod) return missing('pod', name!);
        pod.State = 'Running';
        for (const member of containers.values()) if (member.Pod === pod.Id) member.State.Status = 'running';
        return [200, { Errs: [], Id: pod.Id }];
      },
    ],
    [
      'DELETE',
      /^\/pods\/([^/]+)$/,
      ([name]) => {
        const pod = pods.get(name!);
        if (!pod) return missing('pod', name!);
        for (const [key, member] of containers) if (member.Pod === pod.Id) containers.delete(key);
        pods.delete(name!);
        return [200, { Err: null, Id: pod.Id, RemovedCtrs: {} }];
      },
    ],
    [
      'POST',
      /^\/containers\/create$/,
      (_, __, body) => {
        const spec = JSON.parse(body.toString()) as Json;
        if (containers.has(spec.name)) return [500, { cause: 'that name is already in use', message: `creating container storage: the container name "${spec.name}" is already in use`, response: 500 }];
        const image = images.get(spec.image) ?? [...images.values()].find((i) => i.Id === spec.image);
        if (!image) return [500, { cause: 'image not known', message: `${spec.image}: image not known`, response: 500 }];
        const pod = [...pods.values()].find((p) => p.Name === spec.pod || p.Id === spec.pod);
        const member = clone(recorded.memberInspect!);
        Object.assign(member, { Id: newId(), Name: spec.name, Image: image.Id, ImageName: spec.image, Pod: pod?.Id ?? '' });
        member.State.Status = 'created';
        Object.assign(member.Config, {
          Env: Object.entries((spec.env ?? {}) as Record<string, string>).map(([key, value]) => `${key}=${value}`),
          Labels: spec.labels ?? {},
          User: spec.user ?? '',
          Cmd: spec.command ?? recorded.memberInspect!.Config.Cmd,
        });
        member.Mounts = ((spec.mounts ?? []) as Json[]).map((m) => ({ Type: 'bind', Source: m.source, Destination: m.destination, RW: !m.options.includes('ro') }));
        containers.set(member.Name, member);
        return [201, { Id: member.Id }];
      },
    ],
    [
      'POST',
      /^\/containers\/([^/]+)\/start$/,
      ([name]) => {
        const found = container(name!);
        if (!found) return missing('container', name!);
        found.State.Status = 'running';
        return [204, ''];
      },
    ],
    ['GET', /^\/containers\/([^/]+)\/json$/, ([name]) => (container(name!) ? [200, container(name!)] : missing('container', name!))],
    [
      'DELETE',
      /^\/containers\/([^/]+)$/,
      ([name]) => {
        const found = container(name!);
        if (!found) return missing('container', name!);
        containers.delete(found.Name);
        return [200, [{ Id: found.Id, Err: null }]];
      },
    ],
    ['GET', /^\/networks\/json$/, (_, query) => [200, [...networks.values()].filter((n) => byLabels(n.labels, query.get('filters')))]],
    ['GET', /^\/networks\/([^/]+)\/json$/, ([name]) => (networks.has(name!) ? [200, networks.get(name!)] : missing('network', name!))],
    [
      'POST',
      /^\/networks\/create$/,
      (_, __, body) => {
        const spec = JSON.parse(body.toString()) as Json;
        // As Podman does, a network made with a subnet keeps the one it was asked for.
        networks.set(spec.name, { ...clone(recorded.networkInspect!), name: spec.name, id: newId(), labels: spec.labels, ...(spec.subnets ? { subnets: spec.subnets } : {}) });
        return [200, networks.get(spec.name)];
      },
    ],
    ['DELETE', /^\/networks\/([^/]+)$/, ([name]) => (networks.delete(name!) ? [200, [{ Name: name }]] : missing('network', name!))],
    ['GET', /^\/secrets\/json$/, () => [200, [...secrets.keys()].map((name) => ({ ...clone(recorded.secretListEntry!), ID: newId().slice(0, 25), Spec: { ...recorded.secretListEntry!.Spec, Name: name } }))]],
    ['GET', /^\/secrets\/([^/]+)\/json$/, ([name]) => (secrets.has(name!) ? [200, { Spec: { Name: name } }] : missing('secret', name!))],
    [
      'POST',
      /^\/secrets\/create$/,
      (_, query, body) => {
        const name = query.get('name')!;
        if (secrets.has(name)) return [409, { cause: 'secret name in use', message: `${name}: secret name in use`, response: 409 }];
        secrets.set(name, body);
        return [200, { ID: newId().slice(0, 25) }];
      },
    ],
    ['DELETE', /^\/secrets\/([^/]+)$/, ([name]) => (secrets.delete(name!) ? [204, ''] : missing('secret', name!))],
  ];

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://d');
      const path = decodeURIComponent(url.pathname.replace(/^\/v4\.0\.0\/libpod/, ''));
      const call = `${req.method} ${path}`;
      calls.push(call);
      const failure = failures.findIndex((f) => f.match.test(call));
      let answer: [number, unknown];
      if (failure >= 0) {
        const { status, message } = failures.splice(failure, 1)[0]!;
        answer = [status, { cause: message, message, response: status }];
      } else {
        const route = routes.find(([method, pattern]) => method === req.method && pattern.test(path));
        answer = route ? route[2](path.match(route[1])!.slice(1), url.searchParams, Buffer.concat(chunks)) : [404, { cause: 'no such route', message: `fake Podman has no ${call}`, response: 404 }];
      }
      const [status, body] = answer;
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(status === 204 ? undefined : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  const api = new LibpodApi(socketPath);
  const noCompat = () => Promise.reject(new Error('fake Podman has no Docker-compatible API'));
  const engine: PodEngine = { images: new Images(api, noCompat), pods: new Pods(api), containers: new Containers(api), networks: new Networks(api), secrets: new Secrets(api), releaseStalePortRules: async () => [] };
  return {
    engine,
    calls,
    pods,
    containers,
    images,
    networks,
    secrets,
    failNext: (match, status, message) => void failures.push({ match, status, message }),
    addImage: (reference, labels) => {
      const image = clone(recorded.imageInspect!);
      images.set(reference, { ...image, Id: newId(), Labels: labels ?? image.Labels, Config: { ...image.Config, Labels: labels ?? image.Config?.Labels } });
    },
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function missing(what: string, name: string): [number, unknown] {
  return [404, { cause: `no such ${what}`, message: `no ${what} with name or ID ${name} found: no such ${what}`, response: 404 }];
}

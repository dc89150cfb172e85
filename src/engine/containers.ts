import { libpod, type LibpodApi } from './api.js';
import type { PortMapping } from './pods.js';
import { fromPortBindings, portMappingsBody } from './port-mappings.js';
import type { SecretMount } from './secrets.js';

/**
 * Podman 4.3's inspect names a container's secrets but not where they are mounted, so the
 * container carries its secret mounts (names and paths, never contents) in this label too: a
 * container made again from its inspect (a pod put back) gets them where they were.
 */
const LABEL_SECRET_MOUNTS = 'io.dh-podman.secret-mounts';

/** Podman 4.3's words (HTTP 500) when a container's name is taken. */
const NAME_IN_USE = /name .* is already in use|that name is already in use/;

export interface Mount {
  source: string;
  destination: string;
  readOnly: boolean;
}

export interface ContainerSpec {
  name: string;
  image: string;
  /** The pod it joins (and whose network it shares); without one, `network` applies. */
  pod?: string;
  env: Record<string, string>;
  mounts: Mount[];
  labels: Record<string, string>;
  command?: string[];
  /** Outside a pod: no network at all, or a user network on which `aliases` name it. */
  network?: 'none' | { name: string; aliases: string[] };
  /** Outside a pod: ports published on the host (hostPort 0: Podman picks a free one). */
  ports?: PortMapping[];
  /** Podman secrets copied into the container at their absolute target paths. */
  secrets?: SecretMount[];
  /** The uid (or uid:gid) it runs as, instead of the image's USER. */
  user?: string;
}

export interface ContainerInfo {
  name: string;
  image: string;
  /** The image it was made from, by id: the name may point at another image since. */
  imageId: string;
  /** What it runs (the image's command unless one was given). */
  command: string[];
  state: string;
  env: Record<string, string>;
  mounts: Mount[];
  secrets: SecretMount[];
  labels: Record<string, string>;
  /** Set when it was created to run as a given user (empty: the image's USER). */
  user: string;
}

/** Containers go through libpod: pod members (`pod` places them), or standalone ones for short checks. */
export class Containers {
  constructor(private readonly api: LibpodApi) {}

  async create(spec: ContainerSpec): Promise<string> {
    const result = await libpod<{ Id: string }>(this.api, 'POST', '/containers/create', {
      body: {
        name: spec.name,
        image: spec.image,
        ...(spec.pod ? { pod: spec.pod } : {}),
        ...networkBody(spec),
        env: spec.env,
        labels: spec.secrets?.length ? { ...spec.labels, [LABEL_SECRET_MOUNTS]: JSON.stringify(spec.secrets) } : spec.labels,
        ...(spec.secrets?.length ? { secrets: spec.secrets } : {}),
        ...(spec.user ? { user: spec.user } : {}),
        ...(spec.command ? { command: spec.command } : {}),
        mounts: spec.mounts.map((mount) => ({
          type: 'bind',
          source: mount.source,
          destination: mount.destination,
          options: [mount.readOnly ? 'ro' : 'rw'],
        })),
      },
    });
    return result.Id;
  }

  async inspect(name: string): Promise<ContainerInfo | undefined> {
    try {
      const data = await libpod<RawContainer>(this.api, 'GET', `/containers/${encodeURIComponent(name)}/json`);
      const env: Record<string, string> = {};
      for (const entry of data.Config?.Env ?? []) {
        const eq = entry.indexOf('=');
        if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
      }
      return {
        name: data.Name,
        image: data.ImageName ?? data.Config?.Image ?? '',
        imageId: data.Image ?? '',
        command: data.Config?.Cmd ?? [],
        state: data.State?.Status ?? 'unknown',
        env,
        ...labelsAndSecrets(data.Config?.Labels ?? {}),
        user: data.Config?.User ?? '',
        mounts: (data.Mounts ?? []).map((m) => ({ source: m.Source, destination: m.Destination, readOnly: m.RW === false })),
      };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  /** The container's output so far (stdout and stderr, interleaved as Podman kept them). */
  async logs(name: string, tail?: number): Promise<string> {
    const raw = await libpod<unknown>(this.api, 'GET', `/containers/${encodeURIComponent(name)}/logs`, {
      query: { stdout: true, stderr: true, ...(tail ? { tail } : {}) },
    });
    return demultiplex(raw);
  }

  async start(name: string): Promise<void> {
    await libpod(this.api, 'POST', `/containers/${encodeURIComponent(name)}/start`);
  }

  /** Waits until the container has exited and resolves to its exit code. */
  async wait(name: string): Promise<number> {
    return Number(await libpod<number | string>(this.api, 'POST', `/containers/${encodeURIComponent(name)}/wait`, { query: { condition: 'exited' } }));
  }

  /** The host ports Podman published for the container (the ones it picked for hostPort 0 too). */
  async publishedPorts(name: string): Promise<PortMapping[]> {
    const data = await libpod<{ NetworkSettings?: { Ports?: Parameters<typeof fromPortBindings>[0] } }>(this.api, 'GET', `/containers/${encodeURIComponent(name)}/json`);
    return fromPortBindings(data.NetworkSettings?.Ports);
  }

  /** The container's address on `network` (a pod's infra container holds the pod's); undefined when it has none there. */
  async addressOn(name: string, network: string): Promise<string | undefined> {
    const data = await libpod<{ NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> } }>(this.api, 'GET', `/containers/${encodeURIComponent(name)}/json`);
    return data.NetworkSettings?.Networks?.[network]?.IPAddress || undefined;
  }

  /**
   * A path of the container's file system as a tar (entries named from the path's last part),
   * or undefined when the path does not exist. Works on a container never started: Podman
   * mounts its storage for the copy.
   */
  async archive(name: string, path: string): Promise<Buffer | undefined> {
    try {
      const tar = await libpod<Buffer>(this.api, 'GET', `/containers/${encodeURIComponent(name)}/archive`, { query: { path } });
      return Buffer.isBuffer(tar) ? tar : Buffer.from(JSON.stringify(tar));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  /**
   * Removes the container, killing it at once if it runs; with `stopSeconds`, a running one is
   * first asked to stop (its stop signal) and killed only if it has not within that time.
   */
  async remove(name: string, stopSeconds = 0): Promise<void> {
    await libpod(this.api, 'DELETE', `/containers/${encodeURIComponent(name)}`, { query: { force: true, timeout: stopSeconds } });
  }

  /**
   * Creates the container; when its name is taken (a create interrupted half way, the service
   * killed, leaves a container that exists only in Podman's storage), removes that one and
   * creates it again. The usual create needs no removal first, and so no extra round trip.
   */
  async createReplacing(spec: ContainerSpec): Promise<string> {
    try {
      return await this.create(spec);
    } catch (error) {
      if (!NAME_IN_USE.test((error as Error).message)) throw error;
      await this.removeIfPresent(spec.name);
      return this.create(spec);
    }
  }

  /**
   * Removes a container by this name if there is one, also one that exists only in Podman's
   * storage: a create interrupted half way (the service killed) leaves such a container, whose
   * name a new create is then refused ("the container name … is already in use").
   */
  async removeIfPresent(name: string): Promise<void> {
    try {
      await this.remove(name);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  }
}

/** The labels as the container's creator gave them, and the secret mounts recorded beside them. */
function labelsAndSecrets(all: Record<string, string>): { labels: Record<string, string>; secrets: SecretMount[] } {
  const { [LABEL_SECRET_MOUNTS]: recorded, ...labels } = all;
  return { labels, secrets: recorded ? (JSON.parse(recorded) as SecretMount[]) : [] };
}

function networkBody(spec: ContainerSpec): object {
  if (spec.network === 'none') return { netns: { nsmode: 'none' } };
  return {
    ...(spec.network ? { netns: { nsmode: 'bridge' }, Networks: { [spec.network.name]: { aliases: spec.network.aliases } } } : {}),
    ...(spec.ports ? { portmappings: portMappingsBody(spec.ports) } : {}),
  };
}

interface RawContainer {
  Name: string;
  ImageName?: string;
  Image?: string;
  State?: { Status?: string };
  Config?: { Env?: string[] | null; Labels?: Record<string, string> | null; Image?: string; Cmd?: string[] | null; User?: string };
  Mounts?: { Source: string; Destination: string; RW: boolean }[] | null;
}

/** Log streams come framed (8-byte headers per chunk) as in Docker's API; strip the frames. */
export function demultiplex(raw: unknown): string {
  const buffer = Buffer.isBuffer(raw) ? raw : Buffer.from(typeof raw === 'string' ? raw : JSON.stringify(raw ?? ''), 'binary');
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length && buffer[offset]! <= 2 && buffer[offset + 1] === 0) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return offset === 0 ? buffer.toString('utf8') : Buffer.concat(parts).toString('utf8');
}

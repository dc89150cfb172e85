import { libpod, type LibpodApi } from './api.js';
import { labelFilter } from './labels.js';
import { fromPortBindings, portMappingsBody } from './port-mappings.js';
import { retryTransient } from './transient.js';

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  hostIp?: string;
}

export interface PodSpec {
  name: string;
  hostname: string;
  network: string;
  /** Names other pods on the network resolve to this pod (its FQDN). */
  aliases: string[];
  ports: PortMapping[];
  labels: Record<string, string>;
  /** Keep this address on the network: a replaced pod must not move under its peers' DNS caches. */
  staticIp?: string | undefined;
  /**
   * With staticIp, keep the hardware address too: the host and the peers hold the address's MAC
   * in their neighbour caches for up to a minute, and Podman 4.3's netavark announces no new one,
   * so a new MAC behind the old address leaves the pod unreachable from them until those expire.
   */
  staticMac?: string | undefined;
}

export interface PodInfo {
  name: string;
  id: string;
  state: string;
  hostname: string;
  labels: Record<string, string>;
  ports: PortMapping[];
  networks: string[];
  /** The pod's members, its infra container left out: what dh-podman put in it. */
  containers: { name: string; state: string }[];
}

/** How a pod sits on one network: its address and the names it answers to there. */
export interface NetworkAttachment {
  ip: string | undefined;
  mac?: string | undefined;
  aliases: string[];
}

/** Pods exist only in Podman's own API, so every call here goes through libpod. */
export class Pods {
  constructor(private readonly api: LibpodApi) {}

  async create(spec: PodSpec): Promise<string> {
    const result = await libpod<{ Id: string }>(this.api, 'POST', '/pods/create', {
      body: {
        name: spec.name,
        hostname: spec.hostname,
        labels: spec.labels,
        netns: { nsmode: 'bridge' },
        Networks: { [spec.network]: { aliases: spec.aliases, ...(spec.staticIp ? { static_ips: [spec.staticIp] } : {}), ...(spec.staticMac ? { static_mac: spec.staticMac } : {}) } },
        portmappings: portMappingsBody(spec.ports),
      },
    });
    return result.Id;
  }

  async inspect(name: string): Promise<PodInfo | undefined> {
    try {
      const data = await libpod<RawPod>(this.api, 'GET', `/pods/${encodeURIComponent(name)}/json`);
      return toPodInfo(data);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  /**
   * The pod's address on one of its networks (its infra container holds the network namespace).
   * Rootful Podman routes the host to it; that is how a pod without published ports is reached.
   */
  async address(name: string, network: string): Promise<string | undefined> {
    return (await this.attachment(name, network))?.ip;
  }

  /** The pod's address and aliases on `network`; undefined when it has no infra container there. */
  async attachment(name: string, network: string): Promise<NetworkAttachment | undefined> {
    const pod = await libpod<RawPod>(this.api, 'GET', `/pods/${encodeURIComponent(name)}/json`);
    if (!pod.InfraContainerID) return undefined;
    const infra = await libpod<{ NetworkSettings?: { Networks?: Record<string, { IPAddress?: string; MacAddress?: string; Aliases?: string[] | null }> } }>(
      this.api,
      'GET',
      `/containers/${encodeURIComponent(pod.InfraContainerID)}/json`,
    );
    const attached = infra.NetworkSettings?.Networks?.[network];
    if (!attached) return undefined;
    // Podman adds the infra container's short id as an alias of its own; it is not ours to keep.
    const aliases = (attached.Aliases ?? []).filter((alias) => !pod.InfraContainerID!.startsWith(alias));
    return { ip: attached.IPAddress || undefined, mac: attached.MacAddress || undefined, aliases };
  }

  async list(labels: Record<string, string>): Promise<string[]> {
    const data = await libpod<{ Name: string }[]>(this.api, 'GET', '/pods/json', { query: { filters: labelFilter(labels) } });
    return data.map((pod) => pod.Name).sort();
  }

  async start(name: string): Promise<void> {
    await libpod(this.api, 'POST', `/pods/${encodeURIComponent(name)}/start`);
  }

  async stop(name: string, timeoutSeconds = 10): Promise<void> {
    await libpod(this.api, 'POST', `/pods/${encodeURIComponent(name)}/stop`, { query: { t: timeoutSeconds } });
  }

  /** Removes the pod and its containers, running ones killed; Podman's passing "busy" is waited out (transient.ts). */
  async remove(name: string): Promise<void> {
    await retryTransient(() => libpod(this.api, 'DELETE', `/pods/${encodeURIComponent(name)}`, { query: { force: true } }));
  }
}

interface RawPod {
  Name: string;
  Id: string;
  State: string;
  Hostname: string;
  InfraContainerID?: string;
  Labels?: Record<string, string> | null;
  InfraConfig?: { PortBindings?: Record<string, { HostIp: string; HostPort: string }[]> | null; Networks?: string[] | null };
  Containers?: { Id: string; Name: string; State: string }[] | null;
}

function toPodInfo(data: RawPod): PodInfo {
  return {
    name: data.Name,
    id: data.Id,
    state: data.State,
    hostname: data.Hostname,
    labels: data.Labels ?? {},
    ports: fromPortBindings(data.InfraConfig?.PortBindings),
    networks: data.InfraConfig?.Networks ?? [],
    containers: (data.Containers ?? []).filter((c) => c.Id !== data.InfraContainerID).map((c) => ({ name: c.Name, state: c.State })),
  };
}

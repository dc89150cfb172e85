import { libpod, type LibpodApi } from './api.js';
import { labelFilter } from './labels.js';

export interface NetworkInfo {
  name: string;
  labels: Record<string, string>;
  /** Its subnets in CIDR form (Podman picks one when none was asked for). */
  subnets: string[];
}

interface RawNetwork {
  name: string;
  labels?: Record<string, string> | null;
  subnets?: { subnet: string }[] | null;
}

function toNetworkInfo(n: RawNetwork): NetworkInfo {
  return { name: n.name, labels: n.labels ?? {}, subnets: (n.subnets ?? []).map((s) => s.subnet) };
}

/** Podman networks with DNS on, so pods find each other by their FQDN aliases. */
export class Networks {
  constructor(private readonly api: LibpodApi) {}

  async exists(name: string): Promise<boolean> {
    return (await this.inspect(name)) !== undefined;
  }

  async inspect(name: string): Promise<NetworkInfo | undefined> {
    try {
      return toNetworkInfo(await libpod<RawNetwork>(this.api, 'GET', `/networks/${encodeURIComponent(name)}/json`));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  /** With a subnet, pods on it may be given fixed addresses in it (static_ips). */
  async create(name: string, labels: Record<string, string>, options: { subnet?: string | undefined } = {}): Promise<void> {
    const subnets = options.subnet ? { subnets: [{ subnet: options.subnet }] } : {};
    await libpod(this.api, 'POST', '/networks/create', { body: { name, labels, dns_enabled: true, driver: 'bridge', ...subnets } });
  }

  async list(labels: Record<string, string>): Promise<NetworkInfo[]> {
    const data = await libpod<RawNetwork[]>(this.api, 'GET', '/networks/json', {
      query: { filters: labelFilter(labels) },
    });
    return data.map(toNetworkInfo);
  }

  async remove(name: string): Promise<void> {
    await libpod(this.api, 'DELETE', `/networks/${encodeURIComponent(name)}`, { query: { force: true } });
  }
}

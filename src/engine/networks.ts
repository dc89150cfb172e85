import type Dockerode from 'dockerode';
import { libpod } from './api.js';
import { labelFilter } from './labels.js';

export interface NetworkInfo {
  name: string;
  labels: Record<string, string>;
}

/** Podman networks with DNS on, so pods find each other by their FQDN aliases. */
export class Networks {
  constructor(private readonly docker: Dockerode) {}

  async exists(name: string): Promise<boolean> {
    return (await this.inspect(name)) !== undefined;
  }

  async inspect(name: string): Promise<NetworkInfo | undefined> {
    try {
      const data = await libpod<{ name: string; labels?: Record<string, string> | null }>(this.docker, 'GET', `/networks/${encodeURIComponent(name)}/json`);
      return { name: data.name, labels: data.labels ?? {} };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  async create(name: string, labels: Record<string, string>): Promise<void> {
    await libpod(this.docker, 'POST', '/networks/create', { body: { name, labels, dns_enabled: true, driver: 'bridge' } });
  }

  async list(labels: Record<string, string>): Promise<NetworkInfo[]> {
    const data = await libpod<{ name: string; labels?: Record<string, string> | null }[]>(this.docker, 'GET', '/networks/json', {
      query: { filters: labelFilter(labels) },
    });
    return data.map((n) => ({ name: n.name, labels: n.labels ?? {} }));
  }

  async remove(name: string): Promise<void> {
    await libpod(this.docker, 'DELETE', `/networks/${encodeURIComponent(name)}`, { query: { force: true } });
  }
}

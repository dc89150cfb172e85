import { Readable } from 'node:stream';
import { libpod, type LibpodApi } from './api.js';

/**
 * Podman secrets: the engine keeps their bytes in its own root-only store (0700 directories,
 * 0600 files) and copies each into a container at create time with the owner and mode asked
 * for. That is how a service account reads its keystore without any host file being owned by
 * the container's uid, which on the host may belong to somebody else.
 */
export interface SecretMount {
  /** The secret's name in Podman's store. */
  source: string;
  /** The file name under /run/secrets in the container. */
  target: string;
  uid: number;
  gid: number;
  mode: number;
}

export class Secrets {
  constructor(private readonly api: LibpodApi) {}

  /** Stores `data` under `name`; the bytes travel in the request body only, never in a path or query. */
  async create(name: string, data: Buffer): Promise<void> {
    await libpod(this.api, 'POST', '/secrets/create', {
      query: { name },
      file: Readable.from([data]),
      headers: { 'Content-Type': 'application/octet-stream' },
    });
  }

  /**
   * Stores `data` under `name` unless a secret of that name exists; says whether it stored it.
   * One round trip where asking first took two. Podman 4.3 answers a taken name with HTTP 500
   * and these words (other versions with 409).
   */
  async createIfAbsent(name: string, data: Buffer): Promise<boolean> {
    try {
      await this.create(name, data);
      return true;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 409 || /secret name in use/.test((error as Error).message)) return false;
      throw error;
    }
  }

  async exists(name: string): Promise<boolean> {
    try {
      await libpod(this.api, 'GET', `/secrets/${encodeURIComponent(name)}/json`);
      return true;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return false;
      throw error;
    }
  }

  /** Names of the secrets whose name starts with `prefix` (Podman 4.3 has no label filter for secrets). */
  async list(prefix: string): Promise<string[]> {
    const data = await libpod<{ Spec?: { Name?: string } }[]>(this.api, 'GET', '/secrets/json');
    return data.map((secret) => secret.Spec?.Name ?? '').filter((name) => name.startsWith(prefix)).sort();
  }

  async remove(name: string): Promise<void> {
    try {
      await libpod(this.api, 'DELETE', `/secrets/${encodeURIComponent(name)}`);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  }
}

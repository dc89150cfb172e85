import { libpod, type LibpodApi } from './api.js';

/** What the engine says about itself (libpod GET /info), in the few fields dh-podman reads. */
export interface EngineInfo {
  version: string;
  apiVersion: string;
  /** The OCI runtime containers run with (runc, crun) and its version's first line. */
  ociRuntime: { name: string; path: string; version: string };
  /** netavark or cni: only netavark (with aardvark-dns) resolves network aliases here. */
  networkBackend: string;
  rootless: boolean;
}

interface RawInfo {
  version?: { Version?: string; APIVersion?: string };
  host?: {
    ociRuntime?: { name?: string; path?: string; version?: string };
    networkBackend?: string;
    security?: { rootless?: boolean };
  };
}

export async function readInfo(api: LibpodApi): Promise<EngineInfo> {
  const data = await libpod<RawInfo>(api, 'GET', '/info');
  const runtime = data.host?.ociRuntime ?? {};
  return {
    version: data.version?.Version ?? 'unknown',
    apiVersion: data.version?.APIVersion ?? 'unknown',
    ociRuntime: { name: runtime.name ?? 'unknown', path: runtime.path ?? '', version: (runtime.version ?? '').split('\n')[0]!.trim() },
    networkBackend: data.host?.networkBackend ?? 'unknown',
    rootless: data.host?.security?.rootless === true,
  };
}

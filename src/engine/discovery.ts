import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { runtimeError } from '../base/errors.js';
import { pingSocket } from './ping.js';
import { startPrivateService } from './private-service.js';

export interface EngineEndpoint {
  socketPath: string;
  /** Which strategy found it, for status output and debugging. */
  source: string;
  /** Stops what we started (the private service); a no-op for a service we found. */
  release(): Promise<void>;
}

export interface DiscoveryOptions {
  env?: NodeJS.ProcessEnv;
  uid?: number;
  /** Where skipped strategies say why (debug output). */
  debug?: (line: string) => void;
  /** Off in tests that must prove no service gets started. */
  allowPrivateService?: boolean;
  /** Where the rootful service listens: /run/podman/podman.sock, as Podman's systemd socket has it. */
  rootfulSocket?: string;
}

/**
 * Finds a Podman API socket, in order: CONTAINER_HOST, DOCKER_HOST, the rootless socket, the
 * rootful socket; failing all, a private `podman system service` for this command. A socket
 * named explicitly in the environment that does not answer is an error, not a reason to look
 * elsewhere: the operator asked for that engine.
 */
export async function discoverEngine(options: DiscoveryOptions = {}): Promise<EngineEndpoint> {
  const env = options.env ?? process.env;
  const debug = options.debug ?? (() => undefined);
  const uid = options.uid ?? process.getuid?.() ?? 0;

  for (const variable of ['CONTAINER_HOST', 'DOCKER_HOST'] as const) {
    const value = env[variable];
    if (!value) {
      debug(`engine: ${variable} is not set`);
      continue;
    }
    const socketPath = unixSocketPath(value);
    if (!socketPath) {
      throw runtimeError('ENGINE_UNSUPPORTED_HOST', `${variable}=${value} is not a unix:// socket`, {
        subject: variable,
        fix: 'point it at a local socket, e.g. unix:///run/podman/podman.sock',
      });
    }
    const ping = await pingSocket(socketPath);
    if (ping.ok) return found(socketPath, variable);
    throw runtimeError('ENGINE_UNREACHABLE', `${variable}=${value}: ${ping.reason}`, {
      subject: variable,
      fix: `start the service (podman system service --time=0 ${value} &) or unset ${variable}`,
    });
  }

  const candidates: [string, string][] = [];
  if (uid !== 0 && env.XDG_RUNTIME_DIR) candidates.push([join(env.XDG_RUNTIME_DIR, 'podman', 'podman.sock'), 'rootless socket']);
  candidates.push([options.rootfulSocket ?? '/run/podman/podman.sock', 'rootful socket']);
  for (const [socketPath, source] of candidates) {
    const ping = await pingSocket(socketPath);
    if (ping.ok) return found(socketPath, source);
    debug(`engine: skipped ${source} ${socketPath}: ${ping.reason}`);
  }

  const podman = options.allowPrivateService === false ? undefined : await findOnPath('podman', env);
  if (podman) {
    debug(`engine: starting a private service with ${podman}`);
    const service = await startPrivateService(podman);
    return { socketPath: service.socketPath, source: 'private service', release: service.stop };
  }
  throw runtimeError('ENGINE_NOT_FOUND', 'no Podman API socket answers and the podman command is not installed', {
    fix: uid === 0
      ? 'install Podman (apt-get install podman runc) and run: systemctl enable --now podman.socket'
      : 'install Podman and run: systemctl --user enable --now podman.socket',
  });
}

function found(socketPath: string, source: string): EngineEndpoint {
  return { socketPath, source, release: async () => undefined };
}

function unixSocketPath(value: string): string | undefined {
  if (value.startsWith('unix://')) return value.slice('unix://'.length);
  if (value.startsWith('/')) return value;
  return undefined;
}

async function findOnPath(command: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

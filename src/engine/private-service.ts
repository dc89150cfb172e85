import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProcessPromise } from 'zx';
import { runtimeError } from '../base/errors.js';
import { pingSocket } from './ping.js';

export interface PrivateService {
  socketPath: string;
  stop(): Promise<void>;
}

/**
 * Starts `podman system service` on a socket of our own for the life of one command, for hosts
 * where no service runs (CI, a fresh machine). It inherits CONTAINERS_CONF, so a project-owned
 * containers.conf applies to it.
 */
export async function startPrivateService(podmanBinary: string, waitMs = 15_000): Promise<PrivateService> {
  const { $ } = await import('zx');
  const dir = await mkdtemp(join(tmpdir(), 'dh-podman-engine-'));
  const socketPath = join(dir, 'podman.sock');
  // Podman reads CONTAINER_HOST itself (even an empty one) and would act as a remote client.
  const { CONTAINER_HOST: _host, DOCKER_HOST: _docker, ...env } = process.env;
  const service: ProcessPromise = $({ quiet: true, nothrow: true, env })`${podmanBinary} system service --time=0 unix://${socketPath}`;
  // zx's exitCode is a promise; a plain flag tells whether the service is still running.
  let running = true;
  const exited = service.then((result) => {
    running = false;
    return result;
  });

  const stop = async () => {
    if (running) {
      await service.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline && running) {
    if ((await pingSocket(socketPath, 500)).ok) return { socketPath, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const result = running ? undefined : await exited;
  await stop();
  throw runtimeError('ENGINE_START_FAILED', `could not start "${podmanBinary} system service"${result ? `: ${result.stderr.trim().split('\n').pop()}` : ' in time'}`, {
    fix: 'run "podman info" to see what is wrong with Podman on this host',
  });
}

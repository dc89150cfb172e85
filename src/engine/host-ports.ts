import { createServer } from 'node:net';
import type { PortMapping } from './pods.js';

export type HostPortState = 'free' | 'in-use' | 'no-such-address';

/**
 * Whether Podman could publish `port` now, found by binding what it would bind (the host IP, or
 * every IPv4 address) for a moment. Podman itself finds out only when the pod starts, which for
 * a replaced pod is after the old one is gone. Other failures (a privileged port, say) are left
 * for Podman to report: 'free' means only that nobody else holds it.
 */
export function hostPortState(port: PortMapping): Promise<HostPortState> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code === 'EADDRINUSE' ? 'in-use' : error.code === 'EADDRNOTAVAIL' ? 'no-such-address' : 'free');
    });
    server.listen({ port: port.hostPort, host: port.hostIp || '0.0.0.0', exclusive: true }, () => server.close(() => resolve('free')));
  });
}

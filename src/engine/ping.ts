import { request } from 'node:http';
import { unixSocketTarget } from './api.js';

/** Asks a socket whether a Podman (or Docker-compatible) API answers, within `timeoutMs`. */
export function pingSocket(socketPath: string, timeoutMs = 2000): Promise<{ ok: true } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    const req = request({ ...unixSocketTarget(socketPath), path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? { ok: true } : { ok: false, reason: `answered HTTP ${res.statusCode}` });
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      const reasons: Record<string, string> = {
        ENOENT: 'no such socket',
        ECONNREFUSED: 'nothing listens on it',
        EACCES: 'permission denied',
      };
      resolve({ ok: false, reason: reasons[error.code ?? ''] ?? error.message });
    });
    req.end();
  });
}

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'node:https';
import { runtimeError } from '../base/errors.js';
import { ETCD_CLIENT_PORT, type EtcdMember } from './etcd-spec.js';

/**
 * Waits until a member answers etcd's GET /health with {"health":"true"}: it is in a cluster
 * with a leader, which is what replacing the next member may rely on. Asked the way etcdctl
 * asks: at the member's address, verified against the etcd CA (its IP SAN), with the operator's
 * client certificate. From the host: rootful Podman routes it to the cluster network.
 */
export async function waitForMember(member: EtcdMember, caFile: string, clientDir: string, timeoutMs = 90_000): Promise<void> {
  const tls = { ca: await readFile(caFile), cert: await readFile(join(clientDir, 'tls.crt')), key: await readFile(join(clientDir, 'tls.key')) };
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    last = await probeOnce(member.ip, tls);
    if (last === 'ok') return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw runtimeError('ETCD_MEMBER_UNHEALTHY', `etcd member ${member.name} (https://${member.ip}:${ETCD_CLIENT_PORT}/health) was not healthy within ${timeoutMs / 1000} s (${last}); the members after it were left as they were`, {
    subject: member.pod,
    fix: `see "podman logs ${member.pod}-etcd"; run "dh-podman up -f" again once it is healthy`,
  });
}

function probeOnce(address: string, tls: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<string> {
  return new Promise((resolve) => {
    // No servername: SNI carries no IP address; the certificate is checked against `host`, the IP.
    const req = request({ host: address, port: ETCD_CLIENT_PORT, path: '/health', ...tls, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk.slice(0, 1000)));
      res.on('end', () => resolve(res.statusCode === 200 && /"health"\s*:\s*"true"/.test(body) ? 'ok' : `HTTP ${res.statusCode} ${body.trim().slice(0, 200)}`));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => resolve(error.message));
    req.end();
  });
}

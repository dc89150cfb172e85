import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { runtimeError } from '../base/errors.js';
import { ETCD_CLIENT_PORT, type EtcdMember } from './etcd-spec.js';

/**
 * Waits until a member answers etcd's GET /health with {"health":"true"}: it is in a cluster
 * with a leader, which is what replacing the next member may rely on. Asked the way etcdctl
 * asks: at the member's address, verified against the etcd CA (its IP SAN), with the operator's
 * client certificate. From the host: rootful Podman routes it to the cluster network.
 */
export async function waitForMember(member: EtcdMember, caFile: string, clientDir: string, timeoutMs = 90_000): Promise<void> {
  await waitForMembers([member], caFile, clientDir, timeoutMs);
}

/**
 * Waits until every member answers healthy, within one deadline: the whole cluster, as a
 * rolling renewal needs it before the next member goes. `presents` maps a member's name to the
 * SHA-256 fingerprint (as node prints it) of the certificate it must serve: a member renewed
 * only counts once it answers with its new certificate.
 */
export async function waitForMembers(members: EtcdMember[], caFile: string, clientDir: string, timeoutMs = 90_000, presents: Map<string, string> = new Map()): Promise<void> {
  const tls = { ca: await readFile(caFile), cert: await readFile(join(clientDir, 'tls.crt')), key: await readFile(join(clientDir, 'tls.key')) };
  const deadline = Date.now() + timeoutMs;
  for (const member of members) {
    let last = 'no answer yet';
    for (;;) {
      last = await probeOnce(member.ip, tls, presents.get(member.name));
      if (last === 'ok') break;
      if (Date.now() >= deadline) {
        throw runtimeError('ETCD_MEMBER_UNHEALTHY', `etcd member ${member.name} (https://${member.ip}:${ETCD_CLIENT_PORT}/health) was not healthy within ${timeoutMs / 1000} s (${last}); the members after it were left as they were`, {
          subject: member.pod,
          fix: `see "podman logs ${member.pod}-etcd"; run "dh-podman up -f" again once it is healthy`,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/**
 * One GET /health at a member's client address, verified against `caFile` with the client
 * certificate and key in `clientDir`: 'ok', or what went wrong in Node's words.
 */
export async function probeMember(address: string, caFile: string, clientDir: string): Promise<string> {
  const tls = { ca: await readFile(caFile), cert: await readFile(join(clientDir, 'tls.crt')), key: await readFile(join(clientDir, 'tls.key')) };
  return probeOnce(address, tls, undefined);
}

function probeOnce(address: string, tls: { ca: Buffer; cert: Buffer; key: Buffer }, fingerprint: string | undefined): Promise<string> {
  return new Promise((resolve) => {
    // No servername: SNI carries no IP address; the certificate is checked against `host`, the IP.
    // No agent: a kept-alive connection to a member's previous self would say nothing of the new one.
    const req = request({ host: address, port: ETCD_CLIENT_PORT, path: '/health', ...tls, agent: false, timeout: 5000 }, (res) => {
      const served = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk.slice(0, 1000)));
      res.on('end', () => {
        if (fingerprint !== undefined && served !== fingerprint) resolve(`it still serves its previous certificate (${served})`);
        else resolve(res.statusCode === 200 && /"health"\s*:\s*"true"/.test(body) ? 'ok' : `HTTP ${res.statusCode} ${body.trim().slice(0, 200)}`);
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => resolve(error.message));
    req.end();
  });
}

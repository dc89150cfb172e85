import { request } from 'node:https';
import { checkServerIdentity } from 'node:tls';
import { backoffDelays } from '../base/backoff.js';
import { defaultClientCas } from '../base/default-client-cas.js';
import { runtimeError } from '../base/errors.js';
import { recordTiming, sinceStart, timingOn } from '../base/timing.js';
import type { ClientIdentity } from './client-identity.js';

export interface HealthTarget {
  /** The name the certificate must carry. */
  hostname: string;
  /** Where to connect: 127.0.0.1 for a published port (the default), or the pod's address. */
  address?: string;
  port: number;
  /** What to GET: /health unless the service answers elsewhere (see HEALTH_PATHS). */
  path?: string;
  /** The CAs to verify against; undefined means the system's. */
  caPem: string | undefined;
  /** Under mutual TLS, what is presented: the machine's own certificate, as its peers present theirs. */
  client?: ClientIdentity | undefined;
}

/** The first pause between two attempts; they grow from there (base/backoff.ts). */
const FIRST_PAUSE_MS = 20;
/**
 * The longest pause. The service a rotation restarts listens about 1 to 2 s after its container
 * starts, by when the pauses have reached this; half of it is lost on average once it listens.
 * At 100 ms a wait of a minute makes some 600 attempts, each a refused loopback connect or one
 * TLS handshake: nothing a JVM notices.
 */
const MAX_PAUSE_MS = 100;

/**
 * Waits until a machine answers GET /health (or target.path) with 200 over TLS, verified against `caPem` for its own
 * hostname, as a client would. A service needs a JVM start before it listens. Attempts come
 * quickly at first and then at most every `maxPauseMs`: a refused connection on loopback costs
 * a millisecond or two, and every pause after the service is up is time the caller waits.
 */
export async function waitForHealth(target: HealthTarget, timeoutMs = 60_000, maxPauseMs = MAX_PAUSE_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pauses = backoffDelays(FIRST_PAUSE_MS, maxPauseMs);
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const started = sinceStart();
    const result = await probeOnce(target);
    if (timingOn()) recordTiming(`health GET https://${target.hostname}:${target.port}${target.path ?? '/health'}: ${result}`, sinceStart() - started);
    if (result === 'ok') return;
    last = result;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(pauses.next().value, deadline - Date.now()))));
  }
  throw runtimeError('NOT_HEALTHY', `https://${target.hostname}:${target.port}${target.path ?? '/health'} (at ${target.address ?? '127.0.0.1'}) did not answer within ${timeoutMs / 1000} s (${last})`, {
    fix: `see "dh-podman logs ${target.hostname.replace(/\./g, '-')}"`,
  });
}

async function probeOnce(target: HealthTarget): Promise<string> {
  const answer = await getOnce(target);
  if ('error' in answer) return answer.error;
  return answer.status === 200 ? 'ok' : `HTTP ${answer.status}`;
}

/** One GET over TLS, verified as waitForHealth verifies: the status and body, or why there was none. */
export function getOnce(target: HealthTarget, timeoutMs = 3000): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: target.address ?? '127.0.0.1',
        port: target.port,
        path: target.path ?? '/health',
        servername: target.hostname,
        // The name a client asks for, not the address dialled: Jetty (Deephaven) answers 400
        // to a Host that is not the SNI name.
        headers: { host: `${target.hostname}:${target.port}` },
        ...caOption(target.caPem),
        ...(target.client ? { cert: target.client.certPem, key: target.client.keyPem } : {}),
        timeout: timeoutMs,
        // A fresh connection each time: a kept-alive one may lead to the pod a restart replaced.
        agent: false,
        // Hostname verification against the machine's name, not the loopback address we dial.
        checkServerIdentity: (_host, cert) => checkServerIdentity(target.hostname, cert),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (error) => resolve({ error: error.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => resolve({ error: error.message }));
    req.end();
  });
}

/** The machine's CA when the target names one; otherwise Node's default CAs (defaultClientCas). */
function caOption(caPem: string | undefined): { ca?: string | string[] } {
  if (caPem) return { ca: caPem };
  const ca = defaultClientCas();
  return ca ? { ca } : {};
}

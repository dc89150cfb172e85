import type { PodEngine } from '../engine/pod-engine.js';
import { machineIdentity, type ClientIdentity } from './client-identity.js';
import { getOnce } from './health.js';
import { SERVICE_PORT } from './layout.js';
import type { MachinePlan } from './machine-plan.js';

/** One machine → machine call, made by the calling machine's service (the probe's /call). */
export interface CallCheck {
  from: string;
  to: string;
  /** ok: the call reached the other machine's /health; failed: it did not; no-call: the caller's image has no /call. */
  state: 'ok' | 'failed' | 'no-call';
  detail: string;
}

/**
 * Asks every machine to call every other one, as the services call each other: through the
 * caller's /call, which makes the call with the caller's own truststore and certificate. Each
 * request to the caller presents the caller's certificate, so it passes a caller asking for one.
 */
export async function checkCalls(engine: PodEngine, machines: MachinePlan[], caPem: string | undefined): Promise<CallCheck[]> {
  const checks: CallCheck[] = [];
  for (const from of machines) {
    const target = await reachOf(engine, from);
    const client = await machineIdentity(from.request.tlsVolume, from.pod.hostname).catch(() => undefined);
    for (const to of machines.filter((other) => other !== from)) {
      checks.push({ from: from.pod.name, to: to.pod.name, ...(await callOnce(target, to.pod.hostname, caPem, client)) });
    }
  }
  return checks;
}

/** The calls that worked in `before` and do not in `after`: what a change broke. */
export function brokenCalls(before: CallCheck[], after: CallCheck[]): CallCheck[] {
  return after.filter((call) => call.state === 'failed' && before.some((was) => was.from === call.from && was.to === call.to && was.state === 'ok'));
}

async function reachOf(engine: PodEngine, plan: MachinePlan): Promise<{ hostname: string; address: string | undefined; port: number }> {
  const published = plan.pod.ports.find((port) => port.containerPort === SERVICE_PORT);
  if (published) return { hostname: plan.pod.hostname, address: '127.0.0.1', port: published.hostPort };
  return { hostname: plan.pod.hostname, address: await engine.pods.address(plan.pod.name, plan.network.name).catch(() => undefined), port: SERVICE_PORT };
}

async function callOnce(
  from: { hostname: string; address: string | undefined; port: number },
  to: string,
  caPem: string | undefined,
  client: ClientIdentity | undefined,
): Promise<Omit<CallCheck, 'from' | 'to'>> {
  if (from.address === undefined) return { state: 'failed', detail: `${from.hostname} has no address (not running?)` };
  const path = `/call?url=${encodeURIComponent(`https://${to}:${SERVICE_PORT}/health`)}`;
  const answer = await getOnce({ hostname: from.hostname, address: from.address, port: from.port, path, caPem, client }, 20_000);
  if ('error' in answer) return { state: 'failed', detail: `asking ${from.hostname}: ${answer.error}` };
  if (answer.status === 404) return { state: 'no-call', detail: `${from.hostname} has no /call` };
  const body = parseJson(answer.body);
  if (answer.status === 200 && body?.status === 'ok' && body.upstreamStatus === 200) return { state: 'ok', detail: 'ok' };
  return { state: 'failed', detail: typeof body?.error === 'string' ? body.error : `HTTP ${answer.status}` };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

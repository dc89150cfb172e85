import { debugAsks } from './debug.js';

/**
 * DH_PODMAN_DEBUG=timing: one line on stderr per engine call and per slow step (crypto,
 * keystores, file writes, health waits), each with its duration and its moment since the
 * process started, then the total. Off, `timed` is one branch and a call: nothing is measured.
 *
 * The sink is process-wide on purpose: the steps worth timing sit in every layer, and passing a
 * timer through each of them would change every signature for a debugging aid.
 */

/** Where timing lines go; undefined when timing is off. */
let sink: ((line: string) => void) | undefined;

/** Whether DH_PODMAN_DEBUG asks for timing: `timing`, alone or in a comma list (`1,timing`). */
export function timingRequested(env: NodeJS.ProcessEnv): boolean {
  return debugAsks(env, 'timing');
}

/** Turns timing on, writing to `write`; the returned function prints the total and turns it off. */
export function startTiming(write: (line: string) => void): () => void {
  sink = write;
  return () => {
    timingLine(`total ${formatMs(sinceStart())} since the process started`);
    sink = undefined;
  };
}

export function timingOn(): boolean {
  return sink !== undefined;
}

/** Records one finished step: what it was, how long it took. Nothing when timing is off. */
export function recordTiming(label: string, ms: number): void {
  if (sink) timingLine(`${label} ${formatMs(ms)}`);
}

/** Runs `work`, recording how long it took (failed or not) under `label`. */
export async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  if (!sink) return work();
  const started = sinceStart();
  try {
    return await work();
  } finally {
    recordTiming(label, sinceStart() - started);
  }
}

/** `timed` for synchronous work (forge's PKCS#12 encoding, say). */
export function timedSync<T>(label: string, work: () => T): T {
  if (!sink) return work();
  const started = sinceStart();
  try {
    return work();
  } finally {
    recordTiming(label, sinceStart() - started);
  }
}

/** Each line starts with when it was written, so gaps between steps (module loading) show. */
function timingLine(text: string): void {
  sink?.(`timing: @${sinceStart().toFixed(0).padStart(5)} ms ${text}`);
}

/**
 * Milliseconds since the process started. process.uptime, not performance.now: node:perf_hooks
 * loads a dozen of node's modules, for every command, whether or not timing is on.
 */
export function sinceStart(): number {
  return process.uptime() * 1000;
}

function formatMs(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}

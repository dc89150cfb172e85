import diagnostics from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { recordTiming, sinceStart } from '../base/timing.js';

/**
 * Every call to the engine's socket, timed from the request to the end of its answer: method,
 * path (without its query, which can carry names a log need not hold), status and duration.
 * Node's own HTTP diagnostics channels see each request whichever client made it (dockerode's
 * calls, the libpod ones, streams), so nothing in those clients changes; with no subscriber the
 * channels cost nothing.
 */
export function timeEngineCalls(socketPath: string): () => void {
  const started = new WeakMap<ClientRequest, number>();
  const ours = (request: ClientRequest) => (request as ClientRequest & { socketPath?: string }).socketPath === socketPath;
  const label = (request: ClientRequest) => `engine ${request.method} ${request.path.split('?')[0]}`;

  const onStart = ({ request }: { request: ClientRequest }) => {
    if (ours(request)) started.set(request, sinceStart());
  };
  const onResponse = ({ request, response }: { request: ClientRequest; response: IncomingMessage }) => {
    const since = started.get(request);
    if (since === undefined) return;
    // Headers have arrived; the call is done when its body has (a stream's, when it closes).
    response.once('close', () => recordTiming(`${label(request)} ${response.statusCode}`, sinceStart() - since));
  };
  const onError = ({ request, error }: { request: ClientRequest; error: Error }) => {
    const since = started.get(request);
    if (since !== undefined) recordTiming(`${label(request)} failed (${error.message})`, sinceStart() - since);
  };

  const channels = [
    ['http.client.request.start', onStart],
    ['http.client.response.finish', onResponse],
    ['http.client.request.error', onError],
  ] as const;
  for (const [name, listener] of channels) diagnostics.subscribe(name, listener as (message: unknown) => void);
  return () => {
    for (const [name, listener] of channels) diagnostics.unsubscribe(name, listener as (message: unknown) => void);
  };
}

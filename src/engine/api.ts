import { request, type RequestOptions } from 'node:http';
import { stringify } from 'node:querystring';
import type { ConnectionOptions } from 'node:tls';
import { reportErrors, toEngineError, type EngineFailure } from './engine-error.js';

/** Podman's own API, beside the Docker-compatible one dockerode speaks (pods live only here). */
const LIBPOD = '/v4.0.0/libpod';

export interface CallOptions {
  query?: Record<string, string | number | boolean | string[]>;
  body?: unknown;
  file?: NodeJS.ReadableStream;
  headers?: Record<string, string>;
}

/**
 * The engine's socket, spoken to with Node's own HTTP client. Every libpod call is a plain
 * request and answer, so dockerode is not needed for them: loading it (with the gRPC and ssh2
 * it brings) took longer than all the engine calls of a `start` together. dockerode stays for
 * what is more than a request (the compat build stream, exec's hijacked stream; see engine.ts).
 */
export class LibpodApi {
  constructor(readonly socketPath: string) {}
}

/**
 * Where a request to the engine goes: its Unix socket. The server name is given (none): node's
 * HTTP agent otherwise works one out for every request, testing whether the host is an IP
 * address, and the first such test in a process compiles node's IPv6 pattern, 7 ms of every
 * command that calls the engine. A Unix socket has no server name to work out.
 */
export function unixSocketTarget(socketPath: string): RequestOptions & Pick<ConnectionOptions, 'servername'> {
  return { socketPath, servername: '' };
}

/**
 * One libpod call. Answers other than 2xx and 304 are failures carrying Podman's status and
 * body, as toEngineError reads them; a 2xx report whose errors are listed is a failure too.
 * The body is the parsed JSON, or the raw bytes when it is not JSON (logs).
 */
export function libpod<T>(api: LibpodApi, method: 'GET' | 'POST' | 'DELETE', path: string, options: CallOptions = {}): Promise<T> {
  const what = `${method} ${path}`;
  const query = options.query && Object.keys(options.query).length > 0 ? `?${stringify(options.query)}` : '';
  const json = options.body !== undefined && !options.file ? JSON.stringify(options.body) : undefined;
  const headers: Record<string, string | number> = {
    ...(options.file ? { 'Content-Type': 'application/tar' } : {}),
    ...(json !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) } : {}),
    ...options.headers,
  };
  return new Promise<T>((resolve, reject) => {
    const call = request({ ...unixSocketTarget(api.socketPath), method, path: `${LIBPOD}${path}${query}`, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) => reject(toEngineError(error, what)));
      response.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = parseBody(raw);
        const status = response.statusCode ?? 0;
        if (!((status >= 200 && status < 300) || status === 304)) {
          const failure: EngineFailure = { statusCode: status, json: body, message: `HTTP ${status}` };
          return reject(toEngineError(failure, what));
        }
        // Pod start/stop/kill/remove can answer with a report whose errors are the failure.
        if (reportErrors(body)) return reject(toEngineError({ json: body }, what));
        resolve(body as T);
      });
    });
    call.on('error', (error) => reject(toEngineError(error, what)));
    if (options.file) {
      options.file.on('error', (error: Error) => call.destroy(error));
      options.file.pipe(call);
    } else {
      call.end(json);
    }
  });
}

/** JSON when the body is JSON, else its bytes (an empty body included). */
function parseBody(raw: Buffer): unknown {
  if (raw.length === 0) return raw;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return raw;
  }
}

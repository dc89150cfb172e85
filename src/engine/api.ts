import type Dockerode from 'dockerode';
import { reportErrors, toEngineError } from './engine-error.js';

/** Podman's own API, beside the Docker-compatible one dockerode speaks (pods live only here). */
const LIBPOD = '/v4.0.0/libpod';

export interface CallOptions {
  query?: Record<string, string | number | boolean | string[]>;
  body?: unknown;
  /** Status codes that are not failures, with what they mean; 2xx are always fine. */
  statusCodes?: Record<number, string | boolean>;
  file?: NodeJS.ReadableStream;
  headers?: Record<string, string>;
}

/**
 * One libpod call through dockerode's modem. docker-modem builds the query string from
 * `options._query` only when the path contains '?', and sends `_body` as JSON on POST.
 */
export function libpod<T>(docker: Dockerode, method: 'GET' | 'POST' | 'DELETE', path: string, options: CallOptions = {}): Promise<T> {
  const statusCodes = {
    200: true,
    201: true,
    204: true,
    304: true,
    400: 'bad request',
    404: 'no such object',
    409: 'conflict',
    500: 'server error',
    ...options.statusCodes,
  };
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      {
        path: `${LIBPOD}${path}?`,
        method,
        options: { _query: options.query ?? {}, _body: options.body ?? {} },
        statusCodes,
        ...(options.file ? { file: options.file } : {}),
        ...(options.headers ? { headers: options.headers } : {}),
      } as never,
      (error: (Error & { statusCode?: number; json?: unknown }) | null, data: unknown) => {
        if (error) return reject(toEngineError(error, `${method} ${path}`));
        // Pod start/stop/kill/remove can answer with a report whose errors are the failure.
        const reported = reportErrors(data);
        if (reported) return reject(toEngineError({ json: data }, `${method} ${path}`));
        resolve(data as T);
      },
    );
  });
}

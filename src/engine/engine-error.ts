import { runtimeError, type DhError } from '../base/errors.js';

/**
 * Podman says why it refused in several shapes, and every one of them must reach the user:
 * error JSON (`message`, `cause`), the reports of pod start/stop/kill (`Errs`, a list of strings)
 * and pod removal (`Err`), other JSON, or a body that is not JSON at all (a proxy, a crash).
 * Nothing here may produce "[object Object]" or an empty message.
 */
export function podmanWords(body: unknown, statusCode?: number): string {
  const words = wordsOf(body)?.replace(/\s+/g, ' ').trim();
  if (words) return words.length > MAX_WORDS ? `${words.slice(0, MAX_WORDS)}…` : words;
  return statusCode === undefined ? 'no answer' : `HTTP ${statusCode} with an empty body`;
}

/** A report body that is not an error by status can still say that its work failed. */
export function reportErrors(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const listed = [...asList(body.Errs), ...asList(body.Err)].map(wordsOf).filter((text): text is string => !!text);
  return listed.length > 0 ? listed.join('; ') : undefined;
}

export interface EngineFailure {
  statusCode?: number;
  /** What docker-modem parsed: JSON, or a Buffer when the body was not JSON. */
  json?: unknown;
  message?: string;
}

/**
 * The one place an engine answer becomes a DhError: the request in the subject, Podman's own
 * words in the message, and a fix where the words point at a known host problem.
 */
export function toEngineError(error: EngineFailure, what: string): DhError & { statusCode?: number } {
  const words = error.json !== undefined && error.json !== null ? podmanWords(error.json, error.statusCode) : modemWords(error);
  const code = error.statusCode === 404 ? 'ENGINE_NOT_FOUND_OBJECT' : error.statusCode === 409 ? 'ENGINE_CONFLICT' : 'ENGINE_REQUEST_FAILED';
  const fix = fixFor(words);
  return Object.assign(runtimeError(code, `Podman: ${words}`, { subject: what, cause: error, ...(fix ? { fix } : {}) }), {
    statusCode: error.statusCode,
  });
}

const MAX_WORDS = 600;

/** Causes a user can fix on the host, recognised by Podman's wording (4.3). */
const KNOWN_CAUSES: [RegExp, string][] = [
  [/netavark: (No such file or directory|iptables)|executable file `iptables` not found/i, 'install iptables (apt-get install iptables), which netavark needs, and run again'],
  [/address already in use/i, 'free that host port or publish another one, and run again'],
  [/image not known|no such image/i, 'build or import the image first (dh-podman build), and run again'],
  [/setrlimit/i, 'lower default_ulimits in containers.conf below the host limits (scripts/podman-env.sh writes such a file)'],
  [/cgroups in hybrid mode/i, 'use runc as the OCI runtime (engine.runtime = "runc" in containers.conf)'],
];

function fixFor(words: string): string | undefined {
  return KNOWN_CAUSES.find(([pattern]) => pattern.test(words))?.[1];
}

/** docker-modem's own message when it had no body to parse: "(HTTP code 409) conflict - … ". */
function modemWords(error: EngineFailure): string {
  const text = (error.message ?? '').replace(/\[object Object\]/g, '').replace(/\s*-\s*$/, '').trim();
  return text || podmanWords(undefined, error.statusCode);
}

function wordsOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value.trim() || undefined;
  if (Buffer.isBuffer(value)) return value.toString('utf8').trim() || undefined;
  if (Array.isArray(value)) return value.map(wordsOf).filter(Boolean).join('; ') || undefined;
  if (!isObject(value)) return String(value);
  const reported = reportErrors(value);
  if (reported) return reported;
  const message = wordsOf(value.message);
  const cause = wordsOf(value.cause);
  if (message) return cause && !message.includes(cause) ? `${message} (${cause})` : message;
  if (cause) return cause;
  const json = JSON.stringify(value);
  return json === '{}' ? undefined : json;
}

function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

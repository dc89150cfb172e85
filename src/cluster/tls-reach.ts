import { readFile } from 'node:fs/promises';
import { checkServerIdentity, connect } from 'node:tls';
import { defaultClientCas } from '../base/default-client-cas.js';

/** One live TLS handshake: it verified, or it failed before TLS (unreachable) or in it. */
export type Reach = { ok: true } | { ok: false; unreachable: boolean; detail: string };

const TIMEOUT_SECONDS = 10;

/** Errors that mean no TLS conversation took place: nothing about certificates can be said. */
const UNREACHABLE = /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|timed out|connect:errno|Connection refused|No route to host|Name or service not known|Temporary failure in name resolution|BIO_lookup|BIO_connect|unexpected eof/i;

/**
 * A handshake from this host, as a client given `caFile` (Node's default CAs without one) would
 * make it: to `address:port`, asking for and verifying `hostname`, never the address dialled.
 */
export async function handshakeFromHost(target: { address: string; port: number; hostname: string; caFile: string | undefined }): Promise<Reach> {
  const ca = target.caFile === undefined ? defaultClientCas() : await readFile(target.caFile, 'utf8');
  return new Promise((resolve) => {
    const socket = connect({
      host: target.address,
      port: target.port,
      servername: target.hostname,
      ...(ca ? { ca } : {}),
      timeout: TIMEOUT_SECONDS * 1000,
      checkServerIdentity: (_host, cert) => checkServerIdentity(target.hostname, cert),
    });
    const done = (reach: Reach) => {
      socket.destroy();
      resolve(reach);
    };
    socket.once('secureConnect', () => done({ ok: true }));
    socket.once('timeout', () => done({ ok: false, unreachable: true, detail: `timed out after ${TIMEOUT_SECONDS} s` }));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const detail = error.code && !error.message.includes(error.code) ? `${error.code}: ${error.message}` : error.message;
      done({ ok: false, unreachable: UNREACHABLE.test(detail), detail });
    });
  });
}

/**
 * The same handshake made inside a container with OpenSSL, which every dh-podman image has:
 * `hostname:port` verified for `hostname` against `caFile` as the container sees it (the
 * system's CAs without one). stdin is closed so s_client ends after the handshake.
 */
export function opensslCommand(hostname: string, port: number, caFile: string | undefined): string[] {
  const args = ['timeout', String(TIMEOUT_SECONDS), 'openssl', 's_client', '-brief', '-connect', `${hostname}:${port}`, '-servername', hostname, '-verify_hostname', hostname, '-verify_return_error'];
  args.push(...(caFile ? ['-CAfile', caFile] : ['-CApath', '/etc/ssl/certs']));
  // "$@" keeps every argument as given; no shell quoting of names or paths is needed.
  return ['sh', '-c', 'exec "$@" </dev/null 2>&1', 'sh', ...args];
}

/** Reads s_client's outcome: exit 0 with "Verification: OK", or the line that says what failed. */
export function fromOpenssl(exitCode: number, output: string): Reach {
  if (exitCode === 0 && /Verification( error)?: OK|Verify return code: 0/.test(output)) return { ok: true };
  if (exitCode === 124) return { ok: false, unreachable: true, detail: `timed out after ${TIMEOUT_SECONDS} s` };
  if (exitCode === 127 || /openssl: not found|No such file/.test(output)) return { ok: false, unreachable: false, detail: 'openssl is not in the image' };
  const lines = output.split('\n').map((line) => line.trim()).filter(Boolean);
  const verify = lines.find((line) => /verify error:/.test(line)) ?? lines.find((line) => /Verification error:/.test(line));
  const detail = verify ?? lines.find((line) => UNREACHABLE.test(line)) ?? lines.find((line) => /error/i.test(line)) ?? lines.at(-1) ?? `openssl exited with ${exitCode}`;
  return { ok: false, unreachable: verify === undefined && UNREACHABLE.test(output), detail };
}

import { checkServerIdentity, connect, createServer, type PeerCertificate } from 'node:tls';
import { isIP } from './hostname.js';

/**
 * A real TLS handshake as the last word of `cert check`: an in-process server on loopback
 * presents the volume's chain and key, and a client that trusts only the CA file connects with
 * SNI and hostname verification. It catches what a rule table can miss (a key the TLS stack
 * cannot sign with, a chain OpenSSL will not build). OpenSSL is not the JVM, so it only ever adds
 * a refusal; the JVM rules are checked separately.
 */

const LENIENT = 'DEFAULT:@SECLEVEL=0';

export type HandshakeResult = { ok: true; protocol: string } | { ok: false; reason: string };

export interface HandshakeInput {
  /** PEM: the certificates the server presents, leaf first (the path order the keystore gets). */
  chainPem: string;
  keyPem: string;
  caPem: string;
  /** In A-labels (or an IP address). */
  hostname: string;
  timeoutMs?: number;
}

export async function tryHandshake(input: HandshakeInput): Promise<HandshakeResult> {
  let server;
  try {
    // OpenSSL's security level would refuse what the JVM accepts (SHA-1 under a private CA, RSA-1024);
    // the JVM's own limits are rules of their own, so the handshake uses the lowest level.
    server = createServer({ cert: input.chainPem, key: input.keyPem, ciphers: LENIENT }, (socket) => socket.end());
  } catch (error) {
    return { ok: false, reason: `the TLS server cannot use this key and chain: ${(error as Error).message}` };
  }
  server.on('tlsClientError', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as { port: number };
    return await new Promise<HandshakeResult>((resolve) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        ca: input.caPem,
        ciphers: LENIENT,
        ...(isIP(input.hostname) ? {} : { servername: input.hostname }),
        checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(input.hostname, cert),
      });
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ ok: false, reason: `no handshake within ${input.timeoutMs ?? 15_000} ms` });
      }, input.timeoutMs ?? 15_000);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        const protocol = socket.getProtocol() ?? 'TLS';
        socket.destroy();
        resolve({ ok: true, protocol });
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ ok: false, reason: error.message });
      });
    });
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  } finally {
    server.close();
  }
}

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Test inputs made by OpenSSL's CLI, never by our own issuer, so what we check or consume is
 * not graded by its twin.
 */
export function openssl(args: string[], cwd: string): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A self-signed root CA (EC P-256), valid for `days` (default 30): dir/NAME.crt and dir/NAME.key. */
export function makeCa(dir: string, name: string, subject = `/CN=${name}`, days = 30): { cert: string; key: string } {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-subj', subject, '-days', String(days),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

/**
 * A server leaf for `hostnames` signed by the CA: dir/NAME.crt (leaf only) and dir/NAME.key.
 * Valid from now for `days` (default 30); a negative number makes one that has already expired.
 */
export function makeLeaf(dir: string, name: string, ca: { cert: string; key: string }, hostnames: string[], extraExt: string[] = [], options: { days?: number } = {}): { cert: string; key: string } {
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${hostnames[0]}`], dir);
  const ext = [
    `subjectAltName=${hostnames.map((h) => `DNS:${h}`).join(',')}`,
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth,clientAuth',
    ...extraExt,
  ];
  writeFileSync(join(dir, `${name}.ext`), `${ext.join('\n')}\n`);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', String(options.days ?? 30), '-extfile', `${name}.ext`, '-out', `${name}.crt`], dir);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

/** A TLS volume directory: tls.crt (leaf, then `chain`), tls.key, and any extra files. */
export function makeVolume(dir: string, name: string, leaf: { cert: string; key: string }, chain: string[] = [], extra: Record<string, string> = {}): string {
  const path = join(dir, name);
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'tls.crt'), [leaf.cert, ...chain].map((file) => readFileSync(file, 'utf8')).join(''));
  // Key files as `cert issue` and OpenSSL write them: 0600, or start refuses them (KEY_FILE_EXPOSED).
  writeFileSync(join(path, 'tls.key'), readFileSync(leaf.key), { mode: 0o600 });
  for (const [file, content] of Object.entries(extra)) writeFileSync(join(path, file), content, { mode: file === 'envoy.pem' ? 0o600 : 0o644 });
  return path;
}

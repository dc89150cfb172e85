import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

/**
 * The CAs for a TLS connection that has no CA of its own: what Node would trust by default, its
 * bundled roots plus the file NODE_EXTRA_CA_CERTS names, read now rather than at start-up.
 * Undefined when the variable is unset (Node's default is then the same). An unreadable file is
 * left out, as Node leaves it out with a warning.
 */
export function defaultClientCas(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const file = env.NODE_EXTRA_CA_CERTS;
  if (!file) return undefined;
  // Read once per file, as Node reads it once: a health wait asks again every 100 ms.
  let cas = readByFile.get(file);
  if (!cas) {
    try {
      cas = [...rootCertificates, readFileSync(file, 'utf8')];
    } catch {
      cas = [...rootCertificates];
    }
    readByFile.set(file, cas);
  }
  return cas;
}

const readByFile = new Map<string, string[]>();

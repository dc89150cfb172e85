import { access } from 'node:fs/promises';
import type { Certificate } from '../pki/certificate.js';
import { errorFinding, type Finding } from '../pki/findings.js';
import { loadPemFile, decodePemText } from '../pki/material.js';
import type { TrustCode } from './codes.js';

/**
 * Where trust comes from, as in trust-manager: the host's CA bundle, files, or inline PEM.
 * A source only reads; pooling, checking and encoding happen after all sources are read.
 */
export type TrustSource =
  | { kind: 'system' }
  /** acceptDer: false where the consumer needs PEM (the OS trust tools of an image). */
  | { kind: 'file'; path: string; acceptDer?: boolean }
  | { kind: 'inline'; pem: string; index: number };

export interface SourceContents {
  /** How the source is named in reports: "system (/etc/ssl/...)", a path, "inline #1". */
  name: string;
  certificates: Certificate[];
  holdsPrivateKey: boolean;
}

export interface SourceResult {
  contents: SourceContents | undefined;
  findings: Finding<TrustCode>[];
}

/** The first that exists is the host's bundle: Debian/Ubuntu, RHEL/Fedora, Alpine, SUSE. */
export const SYSTEM_BUNDLE_PATHS = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/cert.pem',
  '/etc/ssl/ca-bundle.pem',
];

export async function findSystemBundle(candidates = SYSTEM_BUNDLE_PATHS): Promise<string | undefined> {
  for (const path of candidates) {
    try {
      await access(path);
      return path;
    } catch {
      // try the next distribution's path
    }
  }
  return undefined;
}

export async function readSource(source: TrustSource): Promise<SourceResult> {
  if (source.kind === 'inline') {
    const name = `inline #${source.index + 1}`;
    return fromLoaded(name, decodePemText(source.pem, name));
  }
  if (source.kind === 'system') {
    const path = await findSystemBundle();
    if (!path) {
      return {
        contents: undefined,
        findings: [
          errorFinding<TrustCode>('TRUST_NO_SYSTEM_BUNDLE', 'system', `none of ${SYSTEM_BUNDLE_PATHS.join(', ')} exists`, 'install the ca-certificates package, or pass the bundle with --from FILE'),
        ],
      };
    }
    return fromLoaded(`system (${path})`, await loadPemFile(path, path, { acceptDer: true }));
  }
  return fromLoaded(source.path, await loadPemFile(source.path, source.path, { acceptDer: source.acceptDer ?? true }));
}

function fromLoaded(name: string, loaded: Awaited<ReturnType<typeof loadPemFile>>): SourceResult {
  if (!loaded.material) return { contents: undefined, findings: loaded.findings };
  return {
    contents: { name, certificates: loaded.material.certificates, holdsPrivateKey: loaded.material.keyBlocks.length > 0 },
    findings: loaded.findings,
  };
}

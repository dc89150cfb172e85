import type { Certificate } from '../pki/certificate.js';
import { verifyToBundle } from '../pki/chain.js';

/**
 * During a CA rollover the bundle holds the old and the new CA. A renewed CA keeps its name and
 * gets a new key, so a CA is on its way out when the bundle also holds a CA of the same subject
 * issued after it. Returns each leaving CA with the one that replaces it.
 */
export function leavingCas(bundle: Certificate[]): Map<Certificate, Certificate> {
  const leaving = new Map<Certificate, Certificate>();
  for (const ca of bundle) {
    const successor = bundle
      .filter((other) => other.sha256 !== ca.sha256 && other.x509.subject === ca.x509.subject && other.notBefore > ca.notBefore)
      .sort((a, b) => b.notBefore.getTime() - a.notBefore.getTime())[0];
    if (successor) leaving.set(ca, successor);
  }
  return leaving;
}

/** The leaving CA a chain still depends on, if any: its leaf must be reissued before the CA goes. */
export function dependsOnLeavingCa(chain: Certificate[], bundle: Certificate[]): Certificate | undefined {
  const leaving = leavingCas(bundle);
  if (leaving.size === 0) return undefined;
  const result = verifyToBundle(chain, bundle);
  if (result.status !== 'trusted') return undefined;
  return [...leaving.keys()].find((ca) => ca.sha256 === result.anchor.sha256);
}

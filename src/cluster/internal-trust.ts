import { inputError } from '../base/errors.js';
import { isCA, type Certificate } from '../pki/certificate.js';
import { isIssuedBy } from '../pki/chain.js';

/**
 * The CAs an Envoy-fronted cluster's services trust among themselves: only those that issue the
 * machines' own certificates. Each leaf's direct issuer is taken from its chain (tls.crt carries
 * the intermediates) or, for a leaf-only chain, looked up among `candidates` (the CA files the
 * operator gave). Java accepts any trusted certificate as an anchor, so the direct issuer is
 * enough, and narrower than its root, which may sign far more than this cluster.
 */
export function internalIssuers(chains: { file: string; chain: Certificate[] }[], candidates: Certificate[] = []): Certificate[] {
  const issuers = new Map<string, Certificate>();
  for (const { file, chain } of chains) {
    const leaf = chain[0];
    if (!leaf) continue;
    const issuer = chain.find((cert, index) => index > 0 && isCA(cert) && isIssuedBy(leaf, cert)) ?? candidates.find((ca) => isCA(ca) && isIssuedBy(leaf, ca));
    if (!issuer) {
      throw inputError('INTERNAL_CA_UNKNOWN', `the issuer of the leaf ("${leaf.issuer}") is neither in the chain nor in the CA files given`, {
        subject: file,
        fix: 'append the issuing CA to tls.crt, or pass it with --internal-ca-cert-file',
      });
    }
    issuers.set(issuer.sha256, issuer);
  }
  return [...issuers.values()].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
}

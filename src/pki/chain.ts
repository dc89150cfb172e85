import type { Certificate } from './certificate.js';
import { isCA } from './certificate.js';

/** True when `parent`'s name and key issued `child` (names, key identifiers and signature). */
export function isIssuedBy(child: Certificate, parent: Certificate): boolean {
  return child.x509.checkIssued(parent.x509) && child.x509.verify(parent.x509.publicKey);
}

export type ChainOrder =
  | { status: 'in-order'; chain: Certificate[] }
  /** Every certificate fits in one chain, just not in the order given. */
  | { status: 'reordered'; chain: Certificate[] }
  /** Position `index` is not issued by `index + 1`, and no reordering fixes it. */
  | { status: 'broken'; chain: Certificate[]; index: number };

/**
 * Checks that each certificate is issued by the next. When it is not, tries to find the order
 * the operator meant (starting from `leafHint`, the certificate the private key belongs to), so
 * the report can say "reorder" rather than reporting a key mismatch for a chain given backwards.
 */
export function orderChain(certs: Certificate[], leafHint?: Certificate): ChainOrder {
  const firstBreak = certs.findIndex((cert, i) => i + 1 < certs.length && !isIssuedBy(cert, certs[i + 1]!));
  if (firstBreak < 0) return { status: 'in-order', chain: certs };

  const leaf = leafHint ?? certs.find((candidate) => !certs.some((other) => other !== candidate && isIssuedBy(other, candidate)));
  if (leaf) {
    const chain = [leaf];
    const remaining = new Set(certs.filter((cert) => cert !== leaf));
    for (;;) {
      const current = chain[chain.length - 1]!;
      const parent = [...remaining].find((candidate) => isIssuedBy(current, candidate));
      if (!parent) break;
      chain.push(parent);
      remaining.delete(parent);
    }
    if (remaining.size === 0) return { status: 'reordered', chain };
  }
  return { status: 'broken', chain: certs, index: firstBreak };
}

export type TrustResult =
  | { status: 'trusted'; anchor: Certificate }
  /** The chain holds only the leaf, whose issuer is neither given nor in the bundle. */
  | { status: 'missing-intermediate'; issuer: string }
  | { status: 'untrusted'; top: Certificate };

/**
 * Whether an (ordered) chain leads to a certificate of the CA bundle. A bundle certificate may
 * appear in the chain itself (a root appended to tls.crt) or issue the chain's last certificate.
 */
export function verifyToBundle(chain: Certificate[], bundle: Certificate[]): TrustResult {
  const inBundle = new Set(bundle.map((cert) => cert.sha256));
  for (const cert of chain) {
    if (inBundle.has(cert.sha256)) return { status: 'trusted', anchor: cert };
  }
  const top = chain[chain.length - 1]!;
  const anchor = bundle.find((candidate) => isIssuedBy(top, candidate));
  if (anchor) return { status: 'trusted', anchor };
  const issuerKnown = bundle.some((candidate) => candidate.subject === top.issuer);
  // With no CA at all in tls.crt, an unknown issuer is most likely the intermediate nobody
  // appended; once an intermediate is there, what is missing is the root, i.e. trust.
  if (!issuerKnown && !top.selfIssued && !chain.some(isCA)) {
    return { status: 'missing-intermediate', issuer: top.issuer };
  }
  return { status: 'untrusted', top };
}

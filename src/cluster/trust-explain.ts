import { basename } from 'node:path';
import { verifyToBundle } from '../pki/chain.js';
import type { Certificate } from '../pki/certificate.js';
import { matchHostname } from '../pki/hostname.js';
import { loadFromVolume, loadPemFile } from '../pki/material.js';

/** Why one TLS path fails, in the terms of the files dh-podman derived, and what to do. */
export interface Explanation {
  reason: string;
  fix: string;
}

/** The side that verifies: who it is, and the PEM truststore it really uses (undefined: the image's system trust). */
export interface Verifier {
  who: string;
  truststore: string | undefined;
  /** Where its CAs come from in the cluster file, for the fix. */
  source: string;
}

/** The side that presents a certificate: the name dialled and the TLS volume behind it. */
export interface Presenter {
  who: string;
  hostname: string;
  tlsVolume: string;
  /** The chain file in the volume: tls.crt, or envoy.pem for a front. */
  chainFile?: string;
}

/**
 * Reads the presented chain and the verifier's truststore and names the first rule the path
 * breaks: a certificate out of its validity window, the dialled name missing from the SAN, or
 * no CA of the truststore issuing the chain (naming the issuer that is missing). Undefined when
 * the files show no problem (the failure is then the network's or the service's).
 */
export async function explainFailure(verifier: Verifier, presenter: Presenter, options: { now?: Date; rotate?: string } = {}): Promise<Explanation | undefined> {
  const now = options.now ?? new Date();
  // The command that picks new material up: with the cluster file when the caller knows it.
  const rotate = options.rotate ?? 'dh-podman rotate';
  const chainFile = presenter.chainFile ?? 'tls.crt';
  const presented = await loadFromVolume(presenter.tlsVolume, chainFile, true);
  const chain = presented.material?.certificates ?? [];
  const leaf = chain[0];
  if (!leaf) {
    return { reason: `${presenter.who}'s ${chainFile} cannot be read (${presented.findings[0]?.message ?? 'no certificate'})`, fix: `dh-podman cert check --hostname ${presenter.hostname} --tls-volume ${presenter.tlsVolume}` };
  }
  for (const cert of chain) {
    const which = cert === leaf ? `${presenter.who}'s certificate` : `the intermediate ${cert.subject} in ${presenter.who}'s ${chainFile}`;
    if (cert.notAfter < now) return { reason: `${which} expired on ${cert.notAfter.toISOString()}`, fix: `issue a new one into ${presenter.tlsVolume}, then ${rotate}` };
    if (cert.notBefore > now) return { reason: `${which} is not valid before ${cert.notBefore.toISOString()}`, fix: "check this host's clock, or wait" };
  }
  if (!matchHostname(presenter.hostname, { dns: leaf.san?.dns ?? [], ip: leaf.san?.ip ?? [] }).matched) {
    return {
      reason: `${presenter.hostname} is not in the SAN of ${presenter.who}'s certificate (${sanText(leaf)})`,
      fix: `issue ${presenter.who}'s certificate with DNS:${presenter.hostname}, then ${rotate}`,
    };
  }
  if (verifier.truststore === undefined) return undefined;
  const store = await loadPemFile(verifier.truststore);
  const anchors = store.material?.certificates ?? [];
  const trust = verifyToBundle(chain, anchors);
  if (trust.status === 'trusted') return undefined;
  const missing = trust.status === 'missing-intermediate' ? trust.issuer : trust.top.selfIssued ? trust.top.subject : trust.top.issuer;
  return {
    reason: `${verifier.who}'s ${basename(verifier.truststore)} lacks the CA "${missing}" that issued ${presenter.who}'s certificate (it holds ${anchors.length === 0 ? 'no CA' : anchors.map((cert) => `"${cert.subject}"`).join(', ')})`,
    fix: `add that CA to ${verifier.source}, then ${rotate}`,
  };
}

function sanText(cert: Certificate): string {
  const names = [...(cert.san?.dns ?? []).map((name) => `DNS:${name}`), ...(cert.san?.ip ?? []).map((ip) => `IP:${ip}`)];
  return names.length === 0 ? 'no SAN' : `SAN ${names.join(', ')}`;
}

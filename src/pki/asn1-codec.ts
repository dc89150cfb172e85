import { createRequire } from 'node:module';
import type forge from 'node-forge';

/**
 * node-forge's ASN.1 codec on its own (lib/asn1.js, which brings forge's util and oids). The
 * package's index loads the whole of forge (ciphers, RSA, TLS, PKCS#7, SSH): about six times as
 * long as the codec, paid by every command that checks a certificate, for nothing the ASN.1
 * readers and writers here use.
 */
export const asn1 = createRequire(import.meta.url)('node-forge/lib/asn1.js') as typeof forge.asn1;

export type Asn1 = forge.asn1.Asn1;

/** forge's byte helpers, which the codec loads anyway (bytesToIP, createBuffer). */
export const forgeUtil = createRequire(import.meta.url)('node-forge/lib/util.js') as typeof forge.util & {
  /** Dotted IPv4 for 4 bytes, IPv6 for 16, null otherwise. */
  bytesToIP(bytes: string): string | null;
};

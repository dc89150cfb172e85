import { createRequire } from 'node:module';
import type forge from 'node-forge';

/**
 * node-forge's ASN.1 codec on its own (lib/asn1.js, which brings forge's util and oids). The
 * package's index loads the whole of forge (ciphers, RSA, TLS, PKCS#7, SSH): about six times as
 * long as the codec, paid by every command that checks a certificate, for nothing the ASN.1
 * readers and writers here use.
 *
 * Even the codec is loaded on first use, not on import: its four CommonJS files take 6 to 9 ms
 * to load, and `trust bundle` reads every certificate it needs from the DER walk of
 * certificate-skeleton.ts without it.
 */
let codec: typeof forge.asn1 | undefined;
let util: ForgeUtil | undefined;

type ForgeUtil = typeof forge.util & {
  /** Dotted IPv4 for 4 bytes, IPv6 for 16, null otherwise. */
  bytesToIP(bytes: string): string | null;
};

/** A module's exports, required when one of them is first read. */
function onFirstUse<T extends object>(get: () => T): T {
  return new Proxy({} as T, { get: (_target, key) => Reflect.get(get(), key) });
}

/*
 * Each file is named in a plain require() call where there is a require: in the bundles, which
 * then carry forge's files (and V8's code cache of the one-command files covers them: 3 to 4 ms
 * of `start` went to loading them from node_modules). In dist/src, ES modules have no require,
 * and createRequire loads them.
 */
const esModuleRequire = () => createRequire(import.meta.url);

export const asn1 = onFirstUse(
  () => (codec ??= (typeof require === 'function' ? require('node-forge/lib/asn1.js') : esModuleRequire()('node-forge/lib/asn1.js')) as typeof forge.asn1),
);

export type Asn1 = forge.asn1.Asn1;

/** How strictly fromDer reads: forge's options object, which its typings know only as a boolean. */
export interface DerReading {
  strict: boolean;
  parseAllBytes?: boolean;
  decodeBitStrings: boolean;
}

/** forge's DER decoder with its options object. */
export function fromDer(bytes: string, options: DerReading): Asn1 {
  return (asn1.fromDer as unknown as (bytes: string, options: DerReading) => Asn1)(bytes, options);
}

/** forge's byte helpers, which the codec loads anyway (bytesToIP, createBuffer). */
export const forgeUtil = onFirstUse(
  () => (util ??= (typeof require === 'function' ? require('node-forge/lib/util.js') : esModuleRequire()('node-forge/lib/util.js')) as ForgeUtil),
);

import type { RuleCode } from '../pki/findings.js';

/**
 * Codes of `trust bundle` and `trust keystore` findings, besides the file codes they share with
 * `cert check` (FILE_MISSING, FILE_EMPTY, FILE_NOT_PEM, ...). Listed in docs/trust.md.
 */
export const TRUST_CODES = {
  TRUST_PRIVATE_KEY: 'a source holds a private key; a trust bundle never may',
  TRUST_LEAF: 'a source holds a certificate that is not a CA (refused unless --allow-leaf)',
  TRUST_INTERMEDIATE: 'warning: a CA that is not self-signed (an intermediate) is trusted as an anchor',
  TRUST_EXPIRED: 'warning: a CA has expired and will not verify anything',
  TRUST_EMPTY: 'the sources hold no certificate at all',
  TRUST_NO_SYSTEM_BUNDLE: "no system CA bundle was found at the usual Debian, RHEL or Alpine paths",
} as const;

export type TrustCode = keyof typeof TRUST_CODES | RuleCode;

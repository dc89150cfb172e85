import type { Certificate } from './certificate.js';

const DAY_MS = 86_400_000;

/**
 * Whole days until notAfter, rounded down, so "0" means it expires within a day and any negative
 * number means it has expired. The caller passes `now` so one run judges every certificate
 * against the same instant.
 */
export function daysLeft(cert: Certificate, now: Date): number {
  return Math.floor((cert.notAfter.getTime() - now.getTime()) / DAY_MS);
}

/**
 * Within `warnDays` days, the way `cert check --warn-days` counts: with whole-number days,
 * floor(x) < n exactly when x < n, so 0 flags only what has already expired.
 */
export function expiresWithin(days: number, warnDays: number): boolean {
  return days < warnDays;
}

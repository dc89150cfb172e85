import { usageError } from '../base/errors.js';

/**
 * Certificate lifetimes in days: the defaults and the check behind --days. Apart from
 * issue.ts so that a command's options (and --help) do not load the certificate builder.
 */

export const DEFAULT_CA_DAYS = 3650;
/** 397 days stays under the 398-day ceiling browsers enforce on publicly trusted leaves. */
export const DEFAULT_LEAF_DAYS = 397;
export const MAX_DAYS = 36500;

/** For commander: a whole number of days in 1..MAX_DAYS. */
export function checkDays(value: number | string): number {
  const days = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw usageError('DAYS_INVALID', `${JSON.stringify(String(value))} is not a number of days`, {
      subject: '--days',
      fix: `give a whole number from 1 to ${MAX_DAYS}`,
    });
  }
  return days;
}

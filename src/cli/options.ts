import { InvalidArgumentError } from 'commander';
import { isValidHostname, normaliseHost } from '../pki/hostname.js';

/** Option parsers shared by commands; commander turns their errors into usage errors (exit 2). */

export function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0) throw new InvalidArgumentError('expected a whole number greater than 0');
  return Number(value);
}

export function parseNonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}

export function parseHostname(value: string): string {
  if (!isValidHostname(value)) {
    throw new InvalidArgumentError(`"${value}" is not a hostname (letters, digits, hyphens and dots, or Unicode labels IDNA converts) or IP address`);
  }
  return normaliseHost(value);
}

/** For repeatable options: `--hostname a --hostname b` → ['a', 'b']. */
export function collect<T>(parse: (value: string) => T) {
  return (value: string, previous: T[] | undefined): T[] => [...(previous ?? []), parse(value)];
}

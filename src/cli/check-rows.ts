import type { Output } from './output.js';

/** One line of a doctor's report: a name, ok or not, what was found, and the fix when not. */
export interface CheckRow {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string | undefined;
}

/**
 * Prints `ok    NAME  detail` or `FAIL  NAME  detail; fix: …`, names aligned. Failures stay
 * with --quiet, as errors do.
 */
export function printCheckRows(output: Output, rows: CheckRow[]): void {
  const width = Math.max(0, ...rows.map((row) => row.name.length));
  for (const row of rows) {
    const fix = row.fix ? `; fix: ${row.fix}` : '';
    const line = `${row.ok ? output.style('green', 'ok  ') : output.style('red', 'FAIL')}  ${row.name.padEnd(width)}  ${row.detail}${fix}`;
    if (row.ok) output.result(line);
    else output.essential(line);
  }
}

import type { Finding } from '../pki/findings.js';
import type { Output } from './output.js';

/** Renders findings for people: one block per finding, errors first, then a count. */
export function renderFindings(findings: Finding<string>[], output: Output): string {
  const sorted = [...findings].sort((a, b) => rank(a) - rank(b));
  const lines: string[] = [];
  for (const finding of sorted) {
    const label = finding.severity === 'error' ? output.style('red', 'error  ') : output.style('yellow', 'warning');
    lines.push(`${label} ${output.style('bold', finding.code)} ${finding.file}: ${finding.message}`);
    lines.push(`        fix: ${finding.fix}`);
  }
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  lines.push(`${errors} error(s), ${warnings} warning(s)`);
  return lines.join('\n');
}

function rank(finding: Finding<string>): number {
  return finding.severity === 'error' ? 0 : 1;
}

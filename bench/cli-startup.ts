import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { median, repoRoot } from './support.js';

/**
 * How long the CLI takes to answer --help and --version, against `node -e 0` (a Node process
 * that loads nothing) in the same run, interleaved so both see the same load on the machine.
 * Neither answer names a command, so neither loads a command module (the top-level help comes
 * from src/cli/command-summaries.ts): what is left is Node's ESM loader, commander and the CLI
 * shell. Target: ≤ 2× node -e 0.
 */

export const name = 'cli-startup';

const ROUNDS = 15;

export async function run(log: (line: string) => void): Promise<void> {
  const cli = join(repoRoot, 'dist/src/cli/main.js');
  const cases: [string, string[]][] = [
    ['node -e 0', ['-e', '0']],
    ['dh-podman --help', [cli, '--help']],
    ['dh-podman --version', [cli, '--version']],
  ];
  const times = new Map<string, number[]>(cases.map(([label]) => [label, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, args] of cases) {
      const started = performance.now();
      execFileSync(process.execPath, args, { stdio: 'ignore' });
      times.get(label)!.push(performance.now() - started);
    }
  }
  const baseline = median(times.get('node -e 0')!);
  log(`node -e 0: ${baseline.toFixed(0)} ms (median of ${ROUNDS})`);
  for (const [label] of cases.slice(1)) {
    const ours = median(times.get(label)!);
    const ratio = ours / baseline;
    log(`${label}: ${ours.toFixed(0)} ms, ratio to node -e 0: ${ratio.toFixed(2)}× (target ≤ 2×: ${ratio <= 2 ? 'met' : 'MISSED'})`);
  }
}

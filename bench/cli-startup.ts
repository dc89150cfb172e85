import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { launcher, median, withoutExtraCaCerts } from './support.js';

/**
 * How long the CLI takes to answer --help and --version, against `node -e 0` (a Node process
 * that loads nothing) in the same run, interleaved so both see the same load on the machine.
 * Neither answer names a command, so neither loads a command module (the top-level help comes
 * from src/cli/command-summaries.ts): what is left is Node's ESM loader, commander and the CLI
 * shell. Target: ≤ 2× node -e 0.
 *
 * The CLI runs as users run it, through scripts/dh-podman, which keeps NODE_EXTRA_CA_CERTS from
 * Node's start-up. When that variable is set, a bare `node -e 0` pays for it (Node builds its
 * root store before running anything) and the CLI does not; so the ratio is also given against
 * `node -e 0` started without it, the stricter of the two.
 */

export const name = 'cli-startup';

const ROUNDS = 15;

export async function run(log: (line: string) => void): Promise<void> {
  const plain = withoutExtraCaCerts();
  const cases: [string, string, string[], NodeJS.ProcessEnv][] = [
    ['node -e 0', process.execPath, ['-e', '0'], process.env],
    ['node -e 0 without NODE_EXTRA_CA_CERTS', process.execPath, ['-e', '0'], plain],
    ['dh-podman --help', launcher, ['--help'], process.env],
    ['dh-podman --version', launcher, ['--version'], process.env],
  ];
  const times = new Map<string, number[]>(cases.map(([label]) => [label, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, file, args, env] of cases) {
      const started = performance.now();
      execFileSync(file, args, { stdio: 'ignore', env });
      times.get(label)!.push(performance.now() - started);
    }
  }
  const baseline = median(times.get('node -e 0')!);
  const strict = median(times.get('node -e 0 without NODE_EXTRA_CA_CERTS')!);
  log(`node -e 0: ${baseline.toFixed(0)} ms; without NODE_EXTRA_CA_CERTS: ${strict.toFixed(0)} ms (medians of ${ROUNDS}; the variable is ${process.env.NODE_EXTRA_CA_CERTS ? 'set' : 'unset'} here)`);
  for (const [label] of cases.slice(2)) {
    const ours = median(times.get(label)!);
    const ratio = ours / baseline;
    const strictRatio = ours / strict;
    log(`${label}: ${ours.toFixed(0)} ms, ratio to node -e 0: ${ratio.toFixed(2)}×, to node -e 0 without the variable: ${strictRatio.toFixed(2)}× (target ≤ 2× of the stricter: ${strictRatio <= 2 ? 'met' : 'MISSED'})`);
  }
}

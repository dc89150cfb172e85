// Runs once before all test files (see .taprc). Shared fixtures are made here.
import { execFileSync } from 'node:child_process';
import { corpusDir, repoRoot } from '../support/corpus.js';
import { setUpPodman } from './podman.js';

makeCorpus();
setUpPodman();

/**
 * The certificate corpus goes first: it takes seconds and needs only openssl, while the Podman
 * setup may take minutes. A failure is reported, not thrown, so the Podman setup and the tests
 * that do not need the corpus still run; the script leaves no corpus behind when it fails, and
 * the corpus tests say so.
 */
function makeCorpus(): void {
  try {
    execFileSync('bash', ['test/fixtures/make-corpus.sh', corpusDir], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (error) {
    process.stderr.write(`\n*** certificate corpus not made: ${(error as Error).message.split('\n')[0]}\n\n`);
  }
}

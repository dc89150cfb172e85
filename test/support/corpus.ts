import { join } from 'node:path';
import { repoRoot } from './cli.js';

// One way to run the CLI for every test: the corpus tests use the same runner as the rest.
export { repoRoot, runCli, type CliResult } from './cli.js';

/** The OpenSSL-made certificate corpus, written by test/fixtures/make-corpus.sh before the run. */
export const corpusDir = join(repoRoot, '.test-work', 'corpus');

/** The TLS volume of one corpus case (a directory under cases/). */
export function caseDir(name: string): string {
  return join(corpusDir, 'cases', name);
}

import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../support/cli.js';

/**
 * The cluster file's validator is the schema compiled ahead of time; it must be what compiling
 * the schema now gives, or a schema change would not reach the CLI.
 */
t.test('the compiled validator is the schema as it is now', async (t) => {
  const generator = (await import(pathToFileURL(join(repoRoot, 'scripts/generate-schema-validator.mjs')).href)) as { validatorSource(): string; VALIDATOR_FILE: string };
  t.equal(readFileSync(generator.VALIDATOR_FILE, 'utf8'), generator.validatorSource(), 'run: node scripts/generate-schema-validator.mjs');
});

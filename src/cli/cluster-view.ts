import { relative } from 'node:path';
import { ExitCode } from '../base/errors.js';
import { loadClusterFile, type ClusterSpec } from '../cluster/cluster-file.js';
import type { Output } from './output.js';
import type { CommandContext } from './program.js';

/** Loads a cluster file, or prints every problem (file:line:col path: message; fix) and sets exit 3. */
export async function loadOrReport(file: string, output: Output, context: CommandContext): Promise<ClusterSpec | undefined> {
  const { spec, issues } = await loadClusterFile(file);
  if (spec) return spec;
  output.data({ ok: false, file, issues });
  const where = relative(process.cwd(), file) || file;
  output.essential(
    [...issues.map((i) => `${where}:${i.line ?? '?'}:${i.column ?? '?'} ${i.path}: ${i.message}; ${i.fix} [${i.code}]`), `${issues.length} problem(s); nothing was created or changed`].join('\n'),
  );
  context.exit(ExitCode.invalidInput);
  return undefined;
}

import type { Command } from 'commander';
import { printClusterPlan } from '../cluster-dry-run.js';
import { loadOrReport } from '../cluster-view.js';
import type { CommandContext } from '../program.js';
import { CLUSTER_STATE_DIR_HELP, clusterStateDir, STATE_DIR_FLAG } from '../state-dir-option.js';
import { COMMAND_SUMMARIES } from '../command-summaries.js';

export function registerPlan(program: Command, context: CommandContext): void {
  program
    .command('plan')
    .description(COMMAND_SUMMARIES.plan.description)
    .requiredOption('-f, --file <file>', 'the cluster file (YAML or JSON, schema: schema/cluster.schema.json)')
    .option(STATE_DIR_FLAG, CLUSTER_STATE_DIR_HELP)
    .addHelpText(
      'after',
      [
        '',
        'Every problem in the file is reported at once, with its JSON path and line:column; exit 3.',
        'The plan lists the certificates up would issue, the files it would write (with their sha256)',
        'and each pod\'s action; nothing is written.',
        '',
        'Example:',
        '  dh-podman plan -f dh-podman.yaml --json',
      ].join('\n'),
    )
    .action(async (flags: { file: string; stateDir?: string }, command: Command) => {
      const output = context.output(command);
      const spec = await loadOrReport(flags.file, output, context);
      if (!spec) return;
      const stateDir = (await clusterStateDir(context, output, spec, flags.file, flags.stateDir)).dir;
      await printClusterPlan(context, output, flags.file, spec, stateDir);
    });
}

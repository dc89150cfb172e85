import { Option, type Command } from 'commander';
import { usageError } from '../../base/errors.js';
import { printClusterPlan } from '../cluster-dry-run.js';
import { loadOrReport } from '../cluster-view.js';
import { parseHostname, parsePositiveInt } from '../options.js';
import type { CommandContext } from '../program.js';
import { clusterStateDir, machineStateDir, STATE_DIR_FLAG } from '../state-dir-option.js';

interface UpFlags {
  hostname: string;
  port: number;
  stateDir?: string;
  file?: string;
  dryRun?: boolean;
}

export function registerUp(program: Command, context: CommandContext): void {
  program
    .command('up')
    .description('for developers: CA, certificate, base image, images and a running pod, in one command')
    .addOption(new Option('-h, --hostname <fqdn>', 'the machine name; *.localhost resolves to this host in curl and browsers').default('dh.localhost').argParser(parseHostname))
    .addOption(new Option('--port <n>', 'host port (on 127.0.0.1) for the service').default(8123).argParser(parsePositiveInt))
    .option(STATE_DIR_FLAG, 'where the dev CA, certificates and derived files are kept; with -f, the cluster\'s state, recorded so later commands on the file find it')
    .option('-f, --file <file>', 'bring up the cluster this file describes (see "dh-podman plan -f")')
    .option('--dry-run', 'with -f: print the plan (what would be issued, written, created, replaced) and change nothing; the same as "plan -f"')
    .addHelpText('after', '\nEach step is skipped when already done; run it again any time.\n\nExample:\n  dh-podman up && curl --cacert "$(dh-podman up --json | jq -r .caFile)" https://dh.localhost:8123/health')
    .action(async (flags: UpFlags, command: Command) => {
      const { clusterUp } = await import('../../cluster/cluster-up.js');
      const { devUp } = await import('../../cluster/dev-up.js');
      const { rememberStateDir } = await import('../../cluster/state-dir.js');
      const { withEngine } = await import('../engine-options.js');
      const output = context.output(command);
      if (flags.dryRun && !flags.file) {
        throw usageError('DRY_RUN_NEEDS_FILE', 'has nothing to plan without a cluster file', { subject: '--dry-run', fix: 'add -f FILE, or use "dh-podman start --dry-run" for one machine' });
      }
      if (flags.file) {
        const spec = await loadOrReport(flags.file, output, context);
        if (!spec) return;
        const state = await clusterStateDir(context, output, spec, flags.file, flags.stateDir);
        if (flags.dryRun) return printClusterPlan(context, output, flags.file, spec, state.dir);
        await rememberStateDir(state);
        const { inClusterFile } = await import('../error-subjects.js');
        const cluster = await inClusterFile(flags.file, spec, () => withEngine(context, output, (engine) => clusterUp(engine, spec, state.dir, (line) => output.info(line))));
        output.data({ ok: true, cluster: spec.cluster, stateDir: state.dir, ...cluster });
        output.result(
          cluster.changed
            ? cluster.pods.map((pod) => `${pod.name} (${pod.hostname}): ${pod.action}`).join('\n')
            : `cluster ${spec.cluster}: nothing to change`,
        );
        return;
      }
      const stateDir = await machineStateDir(context, flags.stateDir);
      const result = await withEngine(context, output, (engine) =>
        devUp(engine, { hostname: flags.hostname, port: flags.port, stateDir, onStep: (line) => output.info(line) }),
      );
      output.data({ ok: true, ...result });
      output.result(`${result.url}\ntrust this CA: ${result.caFile}\n  curl --cacert ${result.caFile} ${result.url}`);
    });
}

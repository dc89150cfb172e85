import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { DEFAULT_DEV_SERVICE, DEV_SERVICES, type DevService } from '../../cluster/layout.js';
import { usageError } from '../../base/errors.js';
import { printClusterPlan } from '../cluster-dry-run.js';
import { loadOrReport } from '../cluster-view.js';
import { parseHostname, parsePositiveInt } from '../options.js';
import type { CommandContext } from '../program.js';
import { clusterStateDir, machineStateDir, STATE_DIR_FLAG } from '../state-dir-option.js';
import { COMMAND_SUMMARIES } from '../command-summaries.js';

interface UpFlags {
  hostname: string;
  port: number;
  image: DevService;
  cacheDir?: string;
  stateDir?: string;
  file?: string;
  dryRun?: boolean;
}

export function registerUp(program: Command, context: CommandContext): void {
  program
    .command('up')
    .description(COMMAND_SUMMARIES.up.description)
    .addOption(new Option('-h, --hostname <fqdn>', 'the machine name; *.localhost resolves to this host in curl and browsers').default('dh.localhost').argParser(parseHostname))
    .addOption(new Option('--port <n>', 'host port (on 127.0.0.1) for the service').default(8123).argParser(parsePositiveInt))
    .addOption(
      new Option('--image <name>', 'what the pod runs: the Deephaven server, or the probe (a TLS endpoint in seconds, for tests)')
        .choices(Object.keys(DEV_SERVICES))
        .default(DEFAULT_DEV_SERVICE),
    )
    .option('--cache-dir <dir>', 'where downloaded wheels are kept, by content (default /var/cache/dh-podman as root, else the XDG cache dir)')
    .option(STATE_DIR_FLAG, 'where the dev CA, certificates and derived files are kept; with -f, the cluster\'s state, recorded so later commands on the file find it')
    .option('-f, --file <file>', 'bring up the cluster this file describes (see "dh-podman plan -f")')
    .option('--dry-run', 'with -f: print the plan (what would be issued, written, created, replaced) and change nothing; the same as "plan -f"')
    .addHelpText(
      'after',
      `
Each step is skipped when already done; run it again any time. The first run builds the Deephaven
image (its wheels are downloaded once and cached) and waits for the server's JVM: minutes. It
prints the IDE's URL, the CA to trust and a line of Python that queries the server over TLS.

Example:
  dh-podman up && curl --cacert "$(dh-podman up --json | jq -r .caFile)" https://dh.localhost:8123/ide/`,
    )
    .action(async (flags: UpFlags, command: Command) => {
      const { clusterUp } = await import('../../cluster/cluster-up.js');
      const { devUp, DEV_UP_STEPS } = await import('../../cluster/dev-up.js');
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
            ? [
                ...(cluster.etcd?.members ?? []).map((member) => `${member.pod} (etcd ${member.name}, ${member.ip}): ${member.action}`),
                ...cluster.pods.map((pod) => `${pod.name} (${pod.hostname}): ${pod.action}`),
              ].join('\n')
            : `cluster ${spec.cluster}: nothing to change`,
        );
        return;
      }
      const stateDir = await machineStateDir(context, flags.stateDir);
      const { defaultCacheDir } = await import('../../cluster/wheelhouse.js');
      const { progressView } = await import('../progress-view.js');
      const progress = progressView(output, DEV_UP_STEPS);
      const result = await withEngine(context, output, (engine) =>
        devUp(engine, {
          hostname: flags.hostname,
          port: flags.port,
          stateDir,
          service: flags.image,
          cacheDir: resolve(flags.cacheDir ?? defaultCacheDir(context.io.env)),
          progress,
        }),
      ).finally(() => progress.abandon());
      output.data({ ok: true, ...result });
      const lines = [
        flags.image === 'deephaven' ? `Deephaven IDE: ${result.url}` : result.url,
        `trust this CA: ${result.caFile}`,
        `  curl --cacert ${result.caFile} ${result.url}`,
      ];
      // Single-quoted for a POSIX shell, so the line pastes as it is whatever the CA's path holds.
      if (result.pythonExample) lines.push(`Python client (pip install ${result.pythonClient}):`, `  python3 -c '${result.pythonExample.replaceAll("'", "'\\''")}'`);
      output.result(lines.join('\n'));
    });
}

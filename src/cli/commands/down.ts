import type { Command } from 'commander';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { clusterDown } from '../../cluster/cluster-up.js';
import { defaultStateDir, podStatePaths } from '../../cluster/layout.js';
import { loadOrReport } from '../cluster-view.js';
import { withEngine } from '../engine-options.js';
import type { CommandContext } from '../program.js';

export function registerDown(program: Command, context: CommandContext): void {
  program
    .command('down')
    .description('remove the pods and network "up -f" made for a cluster, and nothing else')
    .requiredOption('-f, --file <file>', 'the cluster file')
    .option('--volumes', 'also delete the derived files and the certificates dh-podman generated (never your TLS volumes)')
    .action(async (flags: { file: string; volumes?: boolean }, command: Command) => {
      const output = context.output(command);
      // A cluster whose certificate has expired must still come down.
      const spec = await loadOrReport(flags.file, output, context, { checkCertificates: false });
      if (!spec) return;
      const removed = await withEngine(context, output, (engine) => clusterDown(engine, spec, (line) => output.info(line)));
      if (flags.volumes) {
        const stateDir = spec.stateDir ?? defaultStateDir(context.io.env);
        for (const pod of spec.pods) await rm(podStatePaths(stateDir, pod.name).root, { recursive: true, force: true });
        await rm(join(stateDir, 'clusters', spec.cluster), { recursive: true, force: true });
      }
      output.data({ ok: true, cluster: spec.cluster, ...removed, volumes: flags.volumes === true });
      output.result(`removed ${removed.pods.length} pod(s) and ${removed.networks.length} network(s) of cluster ${spec.cluster}`);
    });
}

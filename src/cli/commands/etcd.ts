import type { Command } from 'commander';
import { loadOrReport } from '../cluster-view.js';
import type { CommandContext } from '../program.js';
import { CLUSTER_STATE_DIR_HELP, clusterStateDir, STATE_DIR_FLAG } from '../state-dir-option.js';
import { COMMAND_SUMMARIES } from '../command-summaries.js';

export function registerEtcdCommands(program: Command, context: CommandContext): void {
  const etcd = program.command('etcd').description(COMMAND_SUMMARIES.etcd.description);
  etcd
    .command('endpoints')
    .description('the client URLs of the etcd members, and the CA, client certificate and key to reach them with etcdctl')
    .requiredOption('-f, --file <file>', 'the cluster file')
    .option(STATE_DIR_FLAG, CLUSTER_STATE_DIR_HELP)
    .addHelpText('after', '\nThe key is the operator\'s own etcd client key (mode 0600), never a machine\'s.\n\nExample:\n  dh-podman etcd endpoints -f dh-podman.yaml --json')
    .action(async (flags: { file: string; stateDir?: string }, command: Command) => {
      const { etcdEndpoints } = await import('../../cluster/etcd-endpoints.js');
      const output = context.output(command);
      // Endpoints are wanted most when something is wrong, a certificate included.
      const spec = await loadOrReport(flags.file, output, context, { checkCertificates: false });
      if (!spec) return;
      const state = await clusterStateDir(context, output, spec, flags.file, flags.stateDir);
      const found = await etcdEndpoints(spec, state.dir);
      output.data({ ok: true, cluster: spec.cluster, ...found });
      output.result(
        [
          ...found.members.map((member) => `${member.name}  ${member.url}  (pod ${member.pod})`),
          `cacert  ${found.cacert}`,
          `cert    ${found.cert}`,
          `key     ${found.key}`,
          `  etcdctl --endpoints ${found.endpoints.join(',')} --cacert ${found.cacert} --cert ${found.cert} --key ${found.key} endpoint health`,
        ].join('\n'),
      );
    });
}

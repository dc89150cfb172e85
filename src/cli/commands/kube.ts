import type { Command } from 'commander';
import { join } from 'node:path';
import { loadOrReport } from '../cluster-view.js';
import type { CommandContext } from '../program.js';
import { CLUSTER_STATE_DIR_HELP, clusterStateDir, STATE_DIR_FLAG } from '../state-dir-option.js';
import { COMMAND_SUMMARIES } from '../command-summaries.js';

export function registerKubeCommands(program: Command, context: CommandContext): void {
  const kube = program.command('kube').description(COMMAND_SUMMARIES.kube.description);
  kube
    .command('generate')
    .description('write the cluster as one multi-document YAML (Secrets, ConfigMaps, Pods) and a systemd unit')
    .requiredOption('-f, --file <file>', 'the cluster file')
    .requiredOption('--out <dir>', 'where to write CLUSTER.yaml (0600: it holds Secrets) and dh-podman-CLUSTER.service')
    .option(STATE_DIR_FLAG, CLUSTER_STATE_DIR_HELP)
    .option('--without-etcd', "export the machines of a cluster with an etcd section and leave its members out (etcd in Kubernetes needs its own chart and CA)")
    .option('--trust-manager', 'write the trust bundle as a cert-manager trust-manager Bundle (trust.cert-manager.io/v1alpha1, the cluster CAs inline) instead of a plain ConfigMap')
    .addHelpText(
      'after',
      [
        '',
        'Keys, keystores and passphrases are only ever in Secrets; the trust bundle PEM and the properties',
        'are in ConfigMaps. Every object is validated against the Kubernetes API schema first.',
        'With --trust-manager the trust bundle is a trust-manager Bundle (cluster scoped; trust-manager',
        'writes its ConfigMap, key ca.crt, into every namespace) instead of a ConfigMap.',
        '',
        'Example:',
        '  dh-podman kube generate -f dh-podman.yaml --out /etc/dh-podman/kube',
        '  podman kube play /etc/dh-podman/kube/CLUSTER.yaml',
      ].join('\n'),
    )
    .action(async (flags: { file: string; out: string; stateDir?: string; trustManager?: boolean; withoutEtcd?: boolean }, command: Command) => {
      const { writeFileAtomic } = await import('../../base/atomic-write.js');
      const output = context.output(command);
      const spec = await loadOrReport(flags.file, output, context);
      if (!spec) return;
      const stateDir = (await clusterStateDir(context, output, spec, flags.file, flags.stateDir)).dir;
      const yamlPath = join(flags.out, `${spec.cluster}.yaml`);
      // Loaded here, not at the top: the Kubernetes schemas take longer to load than most commands
      // take to run, and only this command needs them.
      const { kubeExport } = await import('../../cluster/kube-export.js');
      const { withEngine } = await import('../engine-options.js');
      const { profileOfImage } = await import('../../cluster/tls-profile.js');
      const warnings: string[] = [];
      // The engine is asked only for the images' TLS profiles, which decide the files each pod reads.
      const exported = await withEngine(context, output, (engine) =>
        kubeExport(
          spec,
          stateDir,
          yamlPath,
          (image) => profileOfImage(engine, image, (line) => output.info(line)),
          (line) => output.info(line),
          (line) => {
            warnings.push(line);
            output.warn(line);
          },
          { trustManager: flags.trustManager === true, withoutEtcd: flags.withoutEtcd === true },
        ),
      );
      await writeFileAtomic(yamlPath, exported.yaml, { mode: 0o600, overwrite: true });
      const unitPath = join(flags.out, exported.unit.name);
      await writeFileAtomic(unitPath, exported.unit.text, { mode: 0o644, overwrite: true });
      const objects = exported.objects.map((object) => ({ kind: object.kind, name: object.metadata?.name }));
      output.data({ ok: true, cluster: spec.cluster, yaml: yamlPath, unit: unitPath, objects, warnings });
      output.result(
        [
          `wrote ${yamlPath} (${objects.length} objects) and ${unitPath}`,
          `  podman kube play ${yamlPath}`,
          `  cp ${unitPath} /etc/systemd/system/ && systemctl daemon-reload && systemctl enable --now ${exported.unit.name}`,
        ].join('\n'),
      );
    });
}

import type { Command } from 'commander';
import { relative } from 'node:path';
import { ExitCode } from '../../base/errors.js';
import { loadClusterFile, type ClusterSpec, type PodSpecEntry } from '../../cluster/cluster-file.js';
import { DEFAULT_IMAGE, defaultStateDir, SERVICE_PORT } from '../../cluster/layout.js';
import { checkMachine, planMachine, type MachineRequest } from '../../cluster/machine-plan.js';
import { withEngine } from '../engine-options.js';
import { planData } from '../plan-view.js';
import type { CommandContext } from '../program.js';

export function registerPlan(program: Command, context: CommandContext): void {
  program
    .command('plan')
    .description('check a cluster file and show what bringing it up would do, pod by pod')
    .requiredOption('-f, --file <file>', 'the cluster file (YAML or JSON, schema: schema/cluster.schema.json)')
    .addHelpText('after', '\nEvery problem in the file is reported at once, with its JSON path and line:column; exit 3.\n\nExample:\n  dh-podman plan -f dh-podman.yaml --json')
    .action(async (flags: { file: string }, command: Command) => {
      const output = context.output(command);
      const { spec, issues } = await loadClusterFile(flags.file);
      if (!spec) {
        output.data({ ok: false, file: flags.file, issues });
        const where = relative(process.cwd(), flags.file) || flags.file;
        output.essential(
          [...issues.map((i) => `${where}:${i.line ?? '?'}:${i.column ?? '?'} ${i.path}: ${i.message}; ${i.fix} [${i.code}]`), `${issues.length} problem(s); nothing was created`].join('\n'),
        );
        context.exit(ExitCode.invalidInput);
        return;
      }
      const pods = await withEngine(context, output, async (engine) => {
        const plans = [];
        for (const pod of spec.pods) {
          if (pod.certificate.mode !== 'existing') {
            plans.push({ name: pod.name, hostname: pod.hostname, certificate: `to be issued (${pod.certificate.mode} mode)` });
            continue;
          }
          const plan = await planMachine(engine, await checkMachine(machineRequest(spec, pod, context.io.env)));
          plans.push({ name: pod.name, hostname: pod.hostname, certificate: 'existing', plan: planData(plan) });
        }
        return plans;
      });
      output.data({ ok: true, cluster: spec.cluster, network: networkOf(spec), pods });
      output.result(
        [
          `cluster ${spec.cluster}, network ${networkOf(spec)}:`,
          ...pods.map((pod) =>
            'plan' in pod && pod.plan
              ? `  ${pod.name} (${pod.hostname}): ${pod.plan.pod.action} — ${pod.plan.pod.reason}; ${pod.plan.files.filter((f) => f.action !== 'unchanged').length} file(s) to write`
              : `  ${pod.name} (${pod.hostname}): certificate ${pod.certificate}`,
          ),
        ].join('\n'),
      );
    });
}

function networkOf(spec: ClusterSpec): string {
  return spec.network ?? `dh-${spec.cluster}`;
}

/** A pod of the cluster file as the request `start` would make for it. */
export function machineRequest(spec: ClusterSpec, pod: PodSpecEntry, env: NodeJS.ProcessEnv): MachineRequest {
  return {
    hostname: pod.hostname,
    tlsVolume: pod.certificate.tlsVolume!,
    caCertFile: spec.trust?.caCertFile,
    name: pod.name,
    image: pod.image ?? DEFAULT_IMAGE,
    ports: (pod.publish ?? []).map((port) => ({ hostPort: port, containerPort: SERVICE_PORT })),
    network: networkOf(spec),
    stateDir: spec.stateDir ?? defaultStateDir(env),
    ...(spec.envoy ? { envoy: { hostname: spec.envoy.hostname, port: spec.envoy.port, image: spec.envoy.image } } : {}),
    internalCaCertFile: spec.trust?.internalCaCertFile,
  };
}

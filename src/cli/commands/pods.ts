import type { Command } from 'commander';
import { runtimeError } from '../../base/errors.js';
import { LABEL_TOOL } from '../../engine/labels.js';
import type { Engine } from '../../engine/engine.js';
import type { CommandContext } from '../program.js';
import { COMMAND_SUMMARIES } from '../command-summaries.js';

const OURS = { [LABEL_TOOL]: 'dh-podman' };

export function registerPodCommands(program: Command, context: CommandContext): void {
  program
    .command('status')
    .description(COMMAND_SUMMARIES.status.description)
    .action(async (_flags: object, command: Command) => {
      const { LABEL_CERT_NOT_AFTER, LABEL_HOSTNAME, LABEL_TRUST, runningLabels, serviceContainerName } = await import('../../cluster/machine-plan.js');
      const { LABEL_TLS_PROFILE } = await import('../../cluster/tls-profile.js');
      const { withEngine } = await import('../engine-options.js');
      const output = context.output(command);
      const pods = await withEngine(context, output, async (engine) => {
        const rows = [];
        for (const name of await engine.pods.list(OURS)) {
          // A pod removed between the list and its inspect (another run's down or replace) may
          // answer with an error other than 404 while it goes: it is simply no longer there.
          const pod = await engine.pods.inspect(name).catch(async (error: unknown) => {
            if (!(await engine.pods.list(OURS)).includes(name)) return undefined;
            throw error;
          });
          if (!pod) continue;
          // The service container's labels are current after its containers alone were replaced (a rotate).
          const service = pod.containers.some((member) => member.name === serviceContainerName(name)) ? await engine.containers.inspect(serviceContainerName(name)) : undefined;
          const labels = runningLabels(pod.labels, service?.labels);
          const notAfter = labels[LABEL_CERT_NOT_AFTER];
          rows.push({
            name,
            hostname: labels[LABEL_HOSTNAME] ?? pod.hostname,
            state: pod.state.toLowerCase(),
            ports: pod.ports,
            trust: labels[LABEL_TRUST] ?? 'unknown',
            // Pods started before profiles existed are all enterprise.
            tlsProfile: labels[LABEL_TLS_PROFILE] ?? 'enterprise',
            certificateDaysLeft: notAfter ? Math.floor((Date.parse(notAfter) - Date.now()) / 86_400_000) : null,
          });
        }
        return rows;
      });
      output.data({ ok: true, pods });
      if (pods.length === 0) {
        output.result('no pods started by dh-podman');
        return;
      }
      const header = ['POD', 'HOSTNAME', 'STATE', 'PORTS', 'TLS PROFILE', 'TRUST', 'CERT DAYS LEFT'];
      const table = pods.map((p) => [
        p.name,
        p.hostname,
        p.state,
        p.ports.map((port) => `${port.hostPort}→${port.containerPort}`).join(',') || '-',
        p.tlsProfile,
        p.trust,
        p.certificateDaysLeft === null ? '?' : String(p.certificateDaysLeft),
      ]);
      const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
      output.result([header, ...table].map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n'));
    });

  program
    .command('stop')
    .description(COMMAND_SUMMARIES.stop.description)
    .argument('[pod...]', 'pod names')
    .action(async (names: string[], _flags: object, command: Command) => {
      const { withEngine } = await import('../engine-options.js');
      const output = context.output(command);
      const stopped = await withEngine(context, output, async (engine) => {
        const targets = names.length > 0 ? names : await engine.pods.list(OURS);
        for (const name of targets) {
          await ensureOurs(engine, name);
          output.info(`stopping ${name}`);
          await engine.pods.stop(name);
        }
        return targets;
      });
      output.data({ ok: true, stopped });
      output.result(stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'no pods started by dh-podman');
    });

  program
    .command('logs')
    .description(COMMAND_SUMMARIES.logs.description)
    .argument('<pod>', 'pod name')
    .option('--tail <n>', 'only the last n lines')
    .action(async (name: string, flags: { tail?: string }, command: Command) => {
      const { withEngine } = await import('../engine-options.js');
      const output = context.output(command);
      const logs = await withEngine(context, output, async (engine) => {
        await ensureOurs(engine, name);
        return engine.containers.logs(`${name}-svc`, flags.tail ? Number(flags.tail) : undefined);
      });
      output.data({ ok: true, pod: name, logs });
      if (!output.json) context.io.stdout.write(logs);
    });
}

async function ensureOurs(engine: Engine, name: string): Promise<void> {
  const pod = await engine.pods.inspect(name);
  if (!pod || pod.labels[LABEL_TOOL] !== 'dh-podman') {
    throw runtimeError('POD_UNKNOWN', pod ? 'was not started by dh-podman' : 'no such pod', { subject: name, fix: "see 'dh-podman status' for the pods dh-podman started" });
  }
}

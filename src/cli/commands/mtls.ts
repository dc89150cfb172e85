import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_CLUSTER_FILE, openClusterFile, rollOutOptions } from '../cluster-view.js';
import { parsePositiveInt } from '../options.js';
import type { CommandContext } from '../program.js';
import { CLUSTER_STATE_DIR_HELP, STATE_DIR_FLAG } from '../state-dir-option.js';
import { COMMAND_SUMMARIES } from '../command-summaries.js';

interface RolloutFlags {
  file?: string;
  stateDir?: string;
  to: 'want' | 'need';
  healthTimeout: number;
  dryRun?: boolean;
}

export function registerMtlsCommands(program: Command, context: CommandContext): void {
  const mtls = program.command('mtls').description(COMMAND_SUMMARIES.mtls.description);
  mtls
    .command('rollout')
    .description('move a running cluster to mutual TLS want or need, one machine at a time, checking every call after each')
    .option('-f, --file <file>', `the cluster file (default: ./${DEFAULT_CLUSTER_FILE})`)
    .option(STATE_DIR_FLAG, CLUSTER_STATE_DIR_HELP)
    .addOption(new Option('--to <level>', '"want": ask for client certificates and verify those offered; "need": refuse callers without one').makeOptionMandatory().argParser(parseLevel))
    .option('--dry-run', 'check every machine\'s certificate for clientAuth and print the plan; change nothing')
    .addOption(new Option('--health-timeout <seconds>', 'how long each restarted machine has to answer /health over TLS').default(90).argParser(parsePositiveInt))
    .addHelpText(
      'after',
      [
        '',
        'Every machine\'s certificate must allow clientAuth: that is checked for all of them before the first',
        'restarts (EKU_NO_CLIENT_AUTH names the pod, exit 3). Then each machine restarts at the new level,',
        'answers /health, and every machine → machine call that worked before must still work. When one does',
        'not, that machine and the ones before it are put back, and the rollout stops (exit 4).',
        '',
        'Roll out want first, then need once every caller presents a certificate. Afterwards set mtls: in',
        'the cluster file to the same level, or the next up -f or rotate puts the old level back.',
        '',
        'Example:',
        '  dh-podman mtls rollout -f dh-podman.yaml --to want',
      ].join('\n'),
    )
    .action(async (flags: RolloutFlags, command: Command) => {
      const { applyMtlsRollout, planMtlsRollout } = await import('../../cluster/mtls-rollout.js');
      const { withEngine } = await import('../engine-options.js');
      const output = context.output(command);
      const opened = await openClusterFile(context, output, flags);
      if (!opened) return;
      const { file, spec, stateDir } = opened;
      const options = rollOutOptions(output, [], flags.healthTimeout);
      const { inClusterFile } = await import('../error-subjects.js');
      const result = await inClusterFile(file, spec, () => withEngine(context, output, async (engine) => {
        const rollout = await planMtlsRollout(engine, spec, stateDir, flags.to);
        if (!flags.dryRun) return applyMtlsRollout(engine, spec, rollout, options);
        const { clusterPlanData, renderClusterPlan } = await import('../cluster-plan-view.js');
        output.data({ ok: true, dryRun: true, to: flags.to, ...clusterPlanData(rollout.rotation.plan) });
        output.result(renderClusterPlan(rollout.rotation.plan));
        return undefined;
      }));
      if (!result) return;
      output.data({ ok: true, cluster: spec.cluster, ...result });
      const keep = spec.mtls === flags.to ? '' : `\nset "mtls: ${flags.to}" in ${file}, or the next up -f or rotate puts mutual TLS ${spec.mtls ?? 'off'} back`;
      output.result(
        [
          ...result.pods.map((pod) => `${pod.name} (${pod.hostname}): ${pod.action}`),
          ...result.calls.map((call) => `${call.from} → ${call.to}: ${call.state === 'ok' ? 'ok' : `${call.state} (${call.detail})`}`),
        ].join('\n') + keep,
      );
    });
}

function parseLevel(value: string): 'want' | 'need' {
  if (value !== 'want' && value !== 'need') throw new InvalidArgumentError('expected want or need');
  return value;
}

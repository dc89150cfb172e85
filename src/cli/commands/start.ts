import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_ENVOY_IMAGE, DEFAULT_IMAGE, DEFAULT_NETWORK, ENVOY_PORT, podNameFor, SERVICE_PORT } from '../../cluster/layout.js';
import type { Engine } from '../../engine/engine.js';
import type { PortMapping } from '../../engine/pods.js';
import { collect, parseHostname, parsePositiveInt } from '../options.js';
import type { CommandContext } from '../program.js';
import { CLIENT_AUTH_OF, type ClientAuth } from '../../cluster/tls-profile.js';
import { machineStateDir, MACHINE_STATE_DIR_HELP, STATE_DIR_FLAG } from '../state-dir-option.js';
import { COMMAND_SUMMARIES } from '../command-summaries.js';
import type { PodAction } from '../../cluster/machine-plan.js';

/** What the result line says a changing start did to the pod. */
const STARTED_AS: Record<PodAction, string> = {
  create: 'started',
  replace: 'replaced and started',
  'replace-containers': 'restarted with new containers',
  start: 'started',
  unchanged: 'started',
};

interface StartFlags {
  hostname: string;
  tlsVolume: string;
  caCertFile?: string;
  name?: string;
  image: string;
  publish?: PortMapping[];
  network: string;
  stateDir?: string;
  dryRun?: boolean;
  envoy?: boolean;
  envoyHostname?: string;
  envoyPort: number;
  envoyImage: string;
  internalCaCertFile?: string;
  mtls?: ClientAuth;
}

export function registerStart(program: Command, context: CommandContext): void {
  program
    .command('start')
    .description(COMMAND_SUMMARIES.start.description)
    .requiredOption('-h, --hostname <fqdn>', "the machine's FQDN: the pod's hostname and its name on the network", parseHostname)
    .requiredOption('--tls-volume <dir>', 'host directory with tls.crt, tls.key (and envoy.pem), mounted read-only')
    .option('--ca-cert-file <file>', 'trust exactly these CAs (truststore-iris.p12, tls.truststore); default: system trust')
    .option('--name <pod>', 'pod name (default: the hostname with dots as dashes)')
    .addOption(new Option('--image <image>', 'image of the service container').default(DEFAULT_IMAGE))
    .option('--publish <[ip:]hostport[:port]>', `publish a port on the host (container port default ${SERVICE_PORT}); repeatable`, collect(parsePublish))
    .addOption(new Option('--network <name>', 'Podman network the machines share').default(DEFAULT_NETWORK))
    .option(STATE_DIR_FLAG, MACHINE_STATE_DIR_HELP)
    .option('--envoy', "Envoy fronts this machine: generate truststore-internal.p12 (the CAs of the machines' own certificates) and set internal.tls.truststore")
    .option('--envoy-hostname <fqdn>', 'the name Envoy answers on; envoy.pem (or tls.crt) must cover it (default: the hostname)', parseHostname)
    .addOption(new Option('--envoy-port <n>', 'with --envoy: the port the front listens on in the pod').default(ENVOY_PORT).argParser(parsePositiveInt))
    .addOption(new Option('--envoy-image <image>', 'with --envoy: the front image (localhost/dh-podman/front:latest is the stand-in built from images/front)').default(DEFAULT_ENVOY_IMAGE))
    .option('--internal-ca-cert-file <file>', "with --envoy: the internal CAs, instead of the issuer found from the machine's chain")
    .addOption(new Option('--mtls <mode>', 'mutual TLS: "want" verifies a client certificate when offered, "need" refuses clients without one; needs --ca-cert-file').argParser(parseMtls))
    .option('--dry-run', 'print the plan and change nothing')
    .addHelpText(
      'after',
      `
The certificate checks of "cert check" run first; any error stops everything, nothing is created.
Running the same command again changes nothing; a changed certificate, CA file or image replaces
the pod with freshly derived files.

Example:
  dh-podman start -h dh1.example.com --tls-volume /etc/dh/tls/dh1 --ca-cert-file corp-ca.pem --publish 8123`,
    )
    .action(async (flags: StartFlags, command: Command) => {
      const { applyMachinePlan } = await import('../../cluster/machine-apply.js');
      const { checkMachine, planMachine, readMachineState } = await import('../../cluster/machine-plan.js');
      const { withEngineMeanwhile } = await import('../engine-options.js');
      const { planData, renderPlan } = await import('../plan-view.js');
      const output = context.output(command);
      const request = {
        hostname: flags.hostname,
        tlsVolume: flags.tlsVolume,
        caCertFile: flags.caCertFile,
        name: flags.name ?? podNameFor(flags.hostname),
        image: flags.image,
        ports: flags.publish ?? [],
        network: flags.network,
        stateDir: await machineStateDir(context, flags.stateDir),
        envoy: flags.envoy ? { hostname: flags.envoyHostname ?? flags.hostname, port: flags.envoyPort, image: flags.envoyImage } : undefined,
        internalCaCertFile: flags.internalCaCertFile,
        clientAuth: flags.mtls,
      };
      const { inStartFlags } = await import('../error-subjects.js');
      const meanwhile = { checks: () => inStartFlags(() => checkMachine(request)), reads: (engine: Engine) => readMachineState(engine, request) };
      await withEngineMeanwhile(context, output, meanwhile, async (engine, checked, state) => {
        const plan = await inStartFlags(() => planMachine(engine, checked, state));
        for (const warning of plan.check.findings.filter((f) => f.severity === 'warning')) output.warn(`${warning.code} ${warning.file}: ${warning.message}`);
        if (flags.dryRun) {
          output.data({ ok: true, dryRun: true, plan: planData(plan) });
          output.result(renderPlan(plan));
          return;
        }
        const result = await applyMachinePlan(engine, plan, (line) => output.info(line));
        const port = plan.pod.ports.find((p) => p.containerPort === SERVICE_PORT);
        const url = port ? `https://${plan.pod.hostname}:${port.hostPort}/health` : undefined;
        output.data({ ok: true, changed: plan.changes, action: result.action, plan: planData(plan), ...(url ? { url } : {}) });
        output.result(
          plan.changes
            ? `pod ${plan.pod.name} ${STARTED_AS[result.action]} as ${plan.pod.hostname}${url ? `: ${url}` : ''}`
            : `pod ${plan.pod.name} is already running with these settings; nothing changed`,
        );
      });
    });
}

function parseMtls(value: string): ClientAuth {
  const mode = (CLIENT_AUTH_OF as Record<string, ClientAuth | undefined>)[value];
  if (!mode) throw new InvalidArgumentError('expected want or need');
  return mode;
}

function parsePublish(value: string): PortMapping {
  const parts = value.split(':');
  const numbers = parts.filter((part) => /^\d+$/.test(part)).map(Number);
  const hostIp = parts.length > 1 && !/^\d+$/.test(parts[0]!) ? parts[0] : undefined;
  if (numbers.length === 0 || numbers.length > 2 || numbers.length + (hostIp ? 1 : 0) !== parts.length || numbers.some((p) => p < 1 || p > 65535)) {
    throw new InvalidArgumentError('expected [ip:]hostport[:containerport], e.g. 8123 or 127.0.0.1:9443:8123');
  }
  return { hostPort: numbers[0]!, containerPort: numbers[1] ?? SERVICE_PORT, ...(hostIp ? { hostIp } : {}) };
}

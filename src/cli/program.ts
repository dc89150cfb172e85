import { Command, CommanderError, Help } from 'commander';
import type { Writable } from 'node:stream';
import { DhError, ExitCode, isDhError } from '../base/errors.js';
import { debugAsks } from '../base/debug.js';
import { startTiming, timed, timingRequested } from '../base/timing.js';
import { VERSION } from '../base/version.js';
import { COMMAND_SUMMARIES } from './command-summaries.js';
import { Output } from './output.js';

export interface Io {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** What every command's action gets: its Output and a way to set the exit status. */
export interface CommandContext {
  io: Io;
  output(command: Command): Output;
  exit(code: ExitCode): void;
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

type Register = (program: Command, context: CommandContext) => void;

/**
 * The top-level commands, in help order, with the module that registers them. A module is
 * imported only when its command is the one on the command line (or for the whole tree: help,
 * an unknown command): loading every command's module was a third of a quick command's run.
 * `module` names the file `load` imports: scripts/bundle-cli.mjs makes one bundle per module.
 */
export const COMMAND_MODULES: { names: string[]; module: string; load: () => Promise<Register> }[] = [
  { names: ['cert'], module: 'cert', load: async () => (await import('./commands/cert.js')).registerCertCommands },
  { names: ['trust'], module: 'trust', load: async () => (await import('./commands/trust.js')).registerTrustCommands },
  { names: ['base'], module: 'base', load: async () => (await import('./commands/base.js')).registerBaseCommands },
  { names: ['build'], module: 'build', load: async () => (await import('./commands/build.js')).registerBuild },
  { names: ['start'], module: 'start', load: async () => (await import('./commands/start.js')).registerStart },
  { names: ['status', 'stop', 'logs'], module: 'pods', load: async () => (await import('./commands/pods.js')).registerPodCommands },
  { names: ['up'], module: 'up', load: async () => (await import('./commands/up.js')).registerUp },
  { names: ['plan'], module: 'plan', load: async () => (await import('./commands/plan.js')).registerPlan },
  { names: ['down'], module: 'down', load: async () => (await import('./commands/down.js')).registerDown },
  { names: ['rotate'], module: 'rotate', load: async () => (await import('./commands/rotate.js')).registerRotate },
  { names: ['mtls'], module: 'mtls', load: async () => (await import('./commands/mtls.js')).registerMtlsCommands },
  { names: ['kube'], module: 'kube', load: async () => (await import('./commands/kube.js')).registerKubeCommands },
  { names: ['doctor'], module: 'doctor', load: async () => (await import('./commands/doctor.js')).registerDoctor },
  { names: ['etcd'], module: 'etcd', load: async () => (await import('./commands/etcd.js')).registerEtcdCommands },
];

/**
 * The command tree for a command line. When argv names a command (global options take no
 * value, so the first word that is not an option is the command), only that command's module
 * is loaded. When it names none (`--help`, `--version`, nothing), the top level is made of
 * stand-ins from COMMAND_SUMMARIES, which print the same help without loading any command
 * module (loading them all, node-forge with them, was more than half of `--help`). Any other
 * word (`help trust`, a misspelt command) and no argv at all get the whole tree.
 */
export async function buildProgram(context: CommandContext, argv?: string[]): Promise<Command> {
  const program = new Command('dh-podman')
    .description('Run Deephaven-style clusters on Podman with TLS done right.')
    .version(VERSION, '-V, --version', 'print the version and exit')
    .option('--json', 'machine-readable output on stdout (nothing else is printed there)')
    .option('-q, --quiet', 'print only errors and warnings')
    .helpOption('--help', 'show help for a command')
    .showSuggestionAfterError(true)
    .addHelpText('after', EXIT_CODE_HELP);
  const word = argv?.find((arg) => !arg.startsWith('-'));
  if (argv !== undefined && word === undefined) {
    addSummaries(program);
    return program;
  }
  const named = COMMAND_MODULES.filter((module) => word !== undefined && module.names.includes(word));
  const registers = await Promise.all((named.length > 0 ? named : COMMAND_MODULES).map((module) => module.load()));
  for (const register of registers) register(program, context);
  return program;
}

/** The top-level commands as stand-ins that only describe themselves, in help order. */
function addSummaries(program: Command): void {
  const summaries: Record<string, { term: string; description: string }> = COMMAND_SUMMARIES;
  for (const name of COMMAND_MODULES.flatMap((module) => module.names)) {
    const summary = summaries[name];
    if (!summary) throw new Error(`command-summaries.ts has no line for ${name}`);
    program.addCommand(new Command(name).description(summary.description));
  }
  // A stand-in has no options or arguments of its own; the table says what the real one takes.
  program.configureHelp({
    subcommandTerm(this: Help, command: Command): string {
      return summaries[command.name()]?.term ?? Help.prototype.subcommandTerm.call(this, command);
    },
  });
}

const EXIT_CODE_HELP = `
Exit codes: 0 ok, 1 internal error, 2 usage error, 3 invalid input or certificate,
4 engine or runtime failure. Set DH_PODMAN_DEBUG=1 for stack traces.`;

/** Runs the CLI on argv (without node and script) and resolves to the exit code. */
export async function run(argv: string[], io: Io = processIo()): Promise<number> {
  const finishTiming = timingRequested(io.env) ? startTiming((line) => io.stderr.write(`${line}\n`)) : undefined;
  try {
    return await runProgram(argv, io);
  } finally {
    finishTiming?.();
  }
}

async function runProgram(argv: string[], io: Io): Promise<number> {
  let exitCode: ExitCode = ExitCode.ok;
  const jsonRequested = argv.includes('--json');
  const quietRequested = argv.includes('--quiet') || argv.includes('-q');
  const context: CommandContext = {
    io,
    output: (command) => {
      const globals = command.optsWithGlobals<{ json?: boolean; quiet?: boolean }>();
      return new Output({ json: globals.json === true, quiet: globals.quiet === true, ...io });
    },
    exit: (code) => {
      exitCode = code;
    },
  };
  const program = await timed('loading the command', () => buildProgram(context, argv));
  applyToAll(program, (command) =>
    command
      // Remember which command failed, so the usage error can point at its --help.
      .exitOverride((error) => {
        throw Object.assign(error, { commandPath: commandPath(command) });
      })
      .configureOutput({
        writeOut: (text) => io.stdout.write(text),
        writeErr: (text) => io.stderr.write(text),
        // Usage errors are printed by us in the one-line form below.
        outputError: () => undefined,
      }),
  );
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    const output = new Output({ json: jsonRequested, quiet: quietRequested, ...io });
    return report(error, output, io);
  }
}

function report(error: unknown, output: Output, io: Io): number {
  const debug = debugAsks(io.env, '1');
  if (error instanceof CommanderError) {
    if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code)) return ExitCode.ok;
    const message = error.message.replace(/^error:\s*/, '');
    const path = (error as CommanderError & { commandPath?: string }).commandPath ?? 'dh-podman';
    error = new DhError('USAGE', ExitCode.usage, message, { fix: `see '${path} --help'` });
  }
  if (!isDhError(error)) {
    const internal = new DhError('INTERNAL', ExitCode.internal, `internal error: ${(error as Error)?.message ?? String(error)}`, {
      fix: 'run again with DH_PODMAN_DEBUG=1 and report the stack trace',
    });
    if (debug) io.stderr.write(`${(error as Error)?.stack ?? error}\n`);
    error = internal;
  } else if (debug) {
    io.stderr.write(`${error.stack}\n`);
  }
  const dhError = error as DhError;
  output.error(dhError);
  output.data({ ok: false, error: dhError.toJSON() });
  return dhError.exitCode;
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current; current = current.parent) names.unshift(current.name());
  return names.join(' ');
}

function applyToAll(command: Command, apply: (command: Command) => void): void {
  apply(command);
  for (const sub of command.commands) applyToAll(sub, apply);
}

import { Command, CommanderError } from 'commander';
import type { Writable } from 'node:stream';
import { DhError, ExitCode, isDhError } from '../base/errors.js';
import { VERSION } from '../base/version.js';
import { Output } from './output.js';
import { registerCertCommands } from './commands/cert.js';
import { registerTrustCommands } from './commands/trust.js';
import { registerBaseCommands } from './commands/base.js';
import { registerBuild } from './commands/build.js';
import { registerStart } from './commands/start.js';
import { registerPodCommands } from './commands/pods.js';
import { registerUp } from './commands/up.js';
import { registerPlan } from './commands/plan.js';
import { registerDown } from './commands/down.js';
import { registerRotate } from './commands/rotate.js';
import { registerKubeCommands } from './commands/kube.js';
import { registerDoctor } from './commands/doctor.js';
import { registerEtcdCommands } from './commands/etcd.js';

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

export function buildProgram(context: CommandContext): Command {
  const program = new Command('dh-podman')
    .description('Run Deephaven-style clusters on Podman with TLS done right.')
    .version(VERSION, '-V, --version', 'print the version and exit')
    .option('--json', 'machine-readable output on stdout (nothing else is printed there)')
    .option('-q, --quiet', 'print only errors and warnings')
    .helpOption('--help', 'show help for a command')
    .showSuggestionAfterError(true)
    .addHelpText('after', EXIT_CODE_HELP);
  registerCertCommands(program, context);
  registerTrustCommands(program, context);
  registerBaseCommands(program, context);
  registerBuild(program, context);
  registerStart(program, context);
  registerPodCommands(program, context);
  registerUp(program, context);
  registerPlan(program, context);
  registerDown(program, context);
  registerRotate(program, context);
  registerKubeCommands(program, context);
  registerDoctor(program, context);
  registerEtcdCommands(program, context);
  return program;
}

const EXIT_CODE_HELP = `
Exit codes: 0 ok, 1 internal error, 2 usage error, 3 invalid input or certificate,
4 engine or runtime failure. Set DH_PODMAN_DEBUG=1 for stack traces.`;

/** Runs the CLI on argv (without node and script) and resolves to the exit code. */
export async function run(argv: string[], io: Io = processIo()): Promise<number> {
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
  const program = buildProgram(context);
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
  const debug = io.env.DH_PODMAN_DEBUG === '1';
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

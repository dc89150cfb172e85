import t from 'tap';
import type { Command } from 'commander';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DhError, ExitCode } from '../../src/base/errors.js';
import { Output } from '../../src/cli/output.js';
import { buildProgram, COMMAND_MODULES, run, type CommandContext, type Io } from '../../src/cli/program.js';
import { spawn } from 'node:child_process';
import { cliPath, runCli, withoutTapLoader } from '../support/cli.js';

/** A stream that keeps what is written and says whether it is a terminal. */
class Sink extends Writable {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    done();
  }
}

const ANSI = /\x1b\[/;

t.test('--version prints the package version', async (t) => {
  const { code, stdout } = await runCli(['--version']);
  t.equal(code, 0);
  t.match(stdout.trim(), /^\d+\.\d+\.\d+$/);
});

/** Every command path in the tree buildProgram makes, so a new command is covered without a list. */
async function commandPaths(): Promise<string[][]> {
  const context: CommandContext = {
    io: { stdout: new Sink(false), stderr: new Sink(false), env: {} },
    output: () => {
      throw new Error('no action runs while the tree is only walked');
    },
    exit: () => undefined,
  };
  const paths: string[][] = [];
  const walk = (command: Command, path: string[]): void => {
    paths.push(path);
    for (const sub of command.commands) walk(sub, [...path, sub.name()]);
  };
  walk(await buildProgram(context), []);
  return paths;
}

t.test('every command and sub-command has --help: usage on stdout, exit 0, nothing on stderr', async (t) => {
  const paths = await commandPaths();
  // A floor, so an empty walk cannot pass: the tree has at least the commands the README lists.
  for (const known of ['cert inspect', 'cert expiry', 'trust bundle', 'trust keystore', 'base bootstrap', 'build', 'start', 'status', 'stop', 'logs', 'up', 'plan', 'down', 'rotate', 'kube generate']) {
    t.ok(paths.some((path) => path.join(' ') === known), `the walk finds ${known}`);
  }
  const results = await Promise.all(paths.map((path) => runCli([...path, '--help'])));
  paths.forEach((path, index) => {
    const name = ['dh-podman', ...path].join(' ');
    const { code, stdout, stderr } = results[index]!;
    t.equal(code, 0, `${name} --help exits 0`);
    t.ok(stdout.startsWith(`Usage: ${name} `), `${name} --help starts with its usage line: ${stdout.split('\n')[0]}`);
    t.equal(stderr, '', `${name} --help prints nothing on stderr`);
  });

  // The walk and the help agree: a group's help lists exactly the sub-commands walked.
  const groups = paths.filter((path) => paths.some((other) => other.length === path.length + 1 && path.every((part, i) => other[i] === part)));
  for (const group of groups) {
    const children = paths.filter((other) => other.length === group.length + 1 && group.every((part, i) => other[i] === part)).map((p) => p.at(-1));
    const help = results[paths.indexOf(group)]!.stdout;
    const listed = [...(help.split(/^Commands:$/m)[1] ?? '').matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]).filter((name) => name !== 'help');
    t.same(listed.sort(), children.sort(), `${['dh-podman', ...group].join(' ')} --help lists its sub-commands`);
  }
});

t.test('a command line naming a command loads only that command, and the same command', async (t) => {
  const context: CommandContext = {
    io: { stdout: new Sink(false), stderr: new Sink(false), env: {} },
    output: () => {
      throw new Error('no action runs while the tree is only walked');
    },
    exit: () => undefined,
  };
  const whole = (await buildProgram(context)).commands.map((command) => command.name());
  t.same(COMMAND_MODULES.flatMap((module) => module.names).sort(), [...whole].sort(), 'the module table names every top-level command once');
  for (const name of whole) {
    const only = await buildProgram(context, ['--json', name, '--help']);
    const module = COMMAND_MODULES.find((m) => m.names.includes(name))!;
    t.same(only.commands.map((command) => command.name()), module.names, `${name}: only its module's commands`);
  }
  t.equal((await buildProgram(context, ['no-such-command'])).commands.length, whole.length, 'an unknown command gets the whole tree, for suggestions');

  // --help, --version and nothing at all: stand-ins from command-summaries.ts, which must print
  // exactly the help the real commands would.
  const wholeHelp = (await buildProgram(context)).helpInformation();
  for (const argv of [['--help'], ['--version'], [], ['--json']]) {
    const summaries = await buildProgram(context, argv);
    t.same(summaries.commands.map((command) => command.name()), whole, `${argv.join(' ') || '(no argument)'}: every command, in order`);
    t.equal(summaries.helpInformation(), wholeHelp, `${argv.join(' ') || '(no argument)'}: the same top-level help as the whole tree`);
  }
});

t.test('--help and --version load no command module', async (t) => {
  // A module hook that lists every file the CLI imports, on stderr.
  const hooks = `export async function load(url, context, next) { if (url.includes('/dist/src/')) console.error('LOADED ' + url); return next(url, context); }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  for (const flag of ['--help', '--version']) {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(...withoutTapLoader(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, cliPath, flag]), { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.on('close', (exit) => resolve({ code: exit, stdout: out, stderr: err }));
    });
    t.equal(code, 0, `${flag} exits 0`);
    t.ok(stdout.length > 0, `${flag} prints its answer`);
    const loaded = [...stderr.matchAll(/^LOADED .*\/dist\/src\/(\S+)$/gm)].map((m) => m[1]!);
    t.ok(loaded.includes('cli/program.js'), `${flag}: the hook saw the CLI load (${loaded.length} files)`);
    t.same(loaded.filter((file) => !/^(cli\/(main|program|output|command-summaries)|base\/(errors|version|debug|timing|extra-ca-certs-variable))\.js$/.test(file)), [], `${flag}: nothing beyond the CLI shell`);
  }
});

t.test('usage errors exit 2 with one line naming the flag', async (t) => {
  const unknown = await runCli(['cert', 'inspect', '--bogus', 'x.pem']);
  t.equal(unknown.code, 2);
  t.equal(unknown.stderr.trim().split('\n').length, 1, 'one line');
  t.match(unknown.stderr, /^error: .*--bogus.*see 'dh-podman cert inspect --help' \[USAGE\]$/m);

  const missing = await runCli(['cert', 'check', '--tls-volume', '/tmp']);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /--hostname/);

  const badHost = await runCli(['cert', 'check', '--hostname', 'not a host', '--tls-volume', '/tmp']);
  t.equal(badHost.code, 2);
  t.match(badHost.stderr, /not a hostname/);
});

t.test('--json puts one JSON document on stdout, errors included', async (t) => {
  const result = await runCli(['cert', 'check', '--hostname', 'a.example.test', '--tls-volume', '/nonexistent', '--json']);
  t.equal(result.code, 3);
  const parsed = JSON.parse(result.stdout);
  t.equal(parsed.ok, false);
  t.equal(parsed.findings[0].code, 'TLS_VOLUME_MISSING');

  const usage = await runCli(['cert', 'inspect', '--json']);
  t.equal(usage.code, 2);
  t.same(JSON.parse(usage.stdout).error.code, 'USAGE');
});

t.test('no stack trace unless DH_PODMAN_DEBUG=1', async (t) => {
  const plain = await runCli(['cert', 'inspect', '/nonexistent']);
  t.equal(plain.code, 3);
  t.notMatch(plain.stderr, /\n\s+at /);
  t.notMatch(plain.stdout + plain.stderr, /\x1b\[/, 'no colour when not on a terminal');
});

t.test('--quiet keeps errors and drops the rest', async (t) => {
  const result = await runCli(['--quiet', 'cert', 'inspect', '/nonexistent']);
  t.equal(result.code, 3);
  t.match(result.stdout, /FILE_MISSING/);
});

t.test('--quiet drops the result and the notes, and keeps the exit code', async (t) => {
  const dir = t.testdir();
  const loud = await runCli(['cert', 'ca', '--out', join(dir, 'loud')]);
  t.equal(loud.code, 0, loud.stderr);
  t.match(loud.stdout, /^wrote .*ca\.crt/m, 'without --quiet: the result line');
  t.match(loud.stderr, /trust anchor: /, 'without --quiet: the note');
  for (const argv of [['--quiet', 'cert', 'ca', '--out', join(dir, 'before')], ['cert', 'ca', '-q', '--out', join(dir, 'after')]]) {
    const quiet = await runCli(argv);
    t.equal(quiet.code, loud.code, `${argv.join(' ')}: same exit code`);
    t.equal(quiet.stdout, '', `${argv.join(' ')}: nothing on stdout`);
    t.equal(quiet.stderr, '', `${argv.join(' ')}: nothing on stderr`);
  }

  const ca = join(dir, 'loud', 'ca.crt');
  const bundle = await runCli(['trust', 'bundle', '--from', ca, '--out-pem', join(dir, 'loud.pem'), '--out-p12', join(dir, 'loud.p12')]);
  t.equal(bundle.code, 0, bundle.stderr);
  t.match(bundle.stdout, /1 certificate\(s\) from 1 source\(s\)/);
  t.match(bundle.stdout, /truststore: password-less/);
  const quietBundle = await runCli(['trust', 'bundle', '--quiet', '--from', ca, '--out-pem', join(dir, 'quiet.pem'), '--out-p12', join(dir, 'quiet.p12')]);
  t.equal(quietBundle.code, bundle.code);
  t.equal(quietBundle.stdout + quietBundle.stderr, '', 'trust bundle --quiet prints nothing when all is well');
});

t.test('colour only on a terminal, and never with NO_COLOR', async (t) => {
  const cases: { name: string; tty: boolean; env: NodeJS.ProcessEnv; colour: boolean }[] = [
    { name: 'terminal', tty: true, env: {}, colour: true },
    // no-color.org: an empty NO_COLOR does not count.
    { name: 'terminal, NO_COLOR empty', tty: true, env: { NO_COLOR: '' }, colour: true },
    { name: 'terminal, NO_COLOR=1', tty: true, env: { NO_COLOR: '1' }, colour: false },
    { name: 'not a terminal', tty: false, env: {}, colour: false },
  ];
  for (const { name, tty, env, colour } of cases) {
    const stdout = new Sink(tty);
    const stderr = new Sink(tty);
    const output = new Output({ json: false, quiet: false, stdout, stderr, env });
    output.warn('the CA expires soon');
    output.error(new DhError('SOME_CODE', ExitCode.invalidInput, 'is broken', { subject: 'x.pem', fix: 'replace it' }));
    output.essential(output.style('red', 'error  '));
    t.match(stderr.text, /warning:.*the CA expires soon/, `${name}: the warning is printed`);
    t.match(stderr.text, /error:.*x\.pem: is broken; replace it \[SOME_CODE\]/, `${name}: the error is printed`);
    t.equal(ANSI.test(stderr.text), colour, `${name}: stderr ${colour ? 'has' : 'has no'} colour`);
    t.equal(ANSI.test(stdout.text), colour, `${name}: stdout ${colour ? 'has' : 'has no'} colour`);

    // The same through the whole CLI, with a usage error.
    const io: Io = { stdout: new Sink(tty), stderr: new Sink(tty), env };
    t.equal(await run(['cert', 'inspect', '--bogus', 'x.pem'], io), ExitCode.usage);
    const text = (io.stderr as Sink).text;
    t.match(text, /error:.*--bogus/);
    t.equal(ANSI.test(text), colour, `${name}: run() ${colour ? 'colours' : 'does not colour'} the error`);
  }
  // Only the stream that is a terminal gets colour.
  const stdout = new Sink(false);
  const stderr = new Sink(true);
  const mixed = new Output({ json: false, quiet: false, stdout, stderr, env: {} });
  mixed.essential(mixed.style('red', 'error'));
  mixed.warn('w');
  t.notMatch(stdout.text, ANSI, 'piped stdout: plain');
  t.match(stderr.text, ANSI, 'stderr on a terminal: coloured');
});

t.test('DH_PODMAN_DEBUG=1 adds the stack trace of an error; without it there is none', async (t) => {
  const dir = t.testdir({ 'empty.passphrase': '' });
  // An empty password file is refused by throwing, deep inside the trust code.
  const argv = ['trust', 'bundle', '--from', join(dir, 'missing.pem'), '--password-file', join(dir, 'empty.passphrase')];
  const plain = await runCli(argv);
  t.equal(plain.code, 3);
  t.match(plain.stderr, /\[PASSPHRASE_EMPTY\]$/m);
  t.notMatch(plain.stderr, /^\s+at /m, 'no stack trace');

  const debug = await runCli(argv, { env: { DH_PODMAN_DEBUG: '1' } });
  t.equal(debug.code, 3, 'the exit code does not change');
  t.match(debug.stderr, /\[PASSPHRASE_EMPTY\]$/m, 'the one-line error is still there');
  t.match(debug.stderr, /^DhError: holds no passphrase/m, 'the stack trace starts with the error');
  t.match(debug.stderr, /^\s+at .*passphrase\.[jt]s:\d+/m, 'and names where it was thrown');
  t.notMatch(debug.stdout, /^\s+at /m, 'never on stdout');

  // In process, the trace goes to the stream the CLI was given, like every other line.
  const io: Io = { stdout: new Sink(false), stderr: new Sink(false), env: { DH_PODMAN_DEBUG: '1' } };
  t.equal(await run(argv, io), ExitCode.invalidInput);
  t.match((io.stderr as Sink).text, /^\s+at .*passphrase\.[jt]s:\d+/m);
  const quietIo: Io = { stdout: new Sink(false), stderr: new Sink(false), env: {} };
  await run(argv, quietIo);
  t.notMatch((quietIo.stderr as Sink).text, /^\s+at /m);
});

t.test('a reader that closes the pipe early (dh-podman … | head) is not an error', async (t) => {
  const child = spawn(...withoutTapLoader(process.execPath, [cliPath, 'trust', 'bundle', '--help']), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // Close our end before the help is written, as head does once it has its lines.
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(code, 0);
  t.equal(stderr, '', 'no EPIPE stack trace');
});

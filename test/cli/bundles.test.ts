import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { COMMAND_MODULES } from '../../src/cli/program.js';
import { launcherPath, repoRoot, withoutTapLoader } from '../support/cli.js';

/**
 * The launcher runs the one-command file the command line names (scripts/bundle-cli.mjs): each
 * must answer as the whole CLI does, and a command line naming no command must reach the file
 * that has what it needs.
 */

const run = promisify(execFile);
const bundleDir = join(repoRoot, 'dist/bundle/cli');

async function node(file: string, args: string[]): Promise<string> {
  const [command, argv] = withoutTapLoader(process.execPath, [join(bundleDir, file), ...args]);
  return (await run(command, argv, { env: { ...process.env, NO_COLOR: '1', COLUMNS: '100' } })).stdout;
}

t.test("each command's own file gives its help as the whole CLI does", async (t) => {
  for (const name of COMMAND_MODULES.flatMap((module) => module.names)) {
    t.ok(existsSync(join(bundleDir, `command-${name}.js`)), `command-${name}.js exists`);
    t.equal(await node(`command-${name}.js`, [name, '--help']), await node('main.js', [name, '--help']), `${name} --help`);
  }
  t.equal(await node('top-level.js', ['--help']), await node('main.js', ['--help']), '--help');
  t.equal(await node('top-level.js', ['--version']), await node('main.js', ['--version']), '--version');
});

t.test('the launcher picks the file by the first word that is not an option', async (t) => {
  const cases: [string[], string][] = [
    [['trust', 'bundle', '--help'], 'command-trust.js'],
    [['--json', '-q', 'status'], 'command-status.js'],
    [['--help'], 'top-level.js'],
    [[], 'top-level.js'],
    [['help', 'trust'], 'main.js'],
    [['trsut'], 'main.js'],
    [['../../x'], 'main.js'],
  ];
  for (const [args, file] of cases) {
    // sh -x prints each command it runs, the exec naming the file; the node first in PATH is a
    // stand-in that runs nothing.
    const traced = await run('sh', ['-x', launcherPath, ...args], { env: { ...process.env, PATH: `${join(repoRoot, 'test/fixtures/echo-node')}:${process.env.PATH}` } });
    t.match(traced.stderr, new RegExp(`exec node \\S*/dist/bundle/cli/${file.replace('.', '\\.')}`), `${JSON.stringify(args)}: ${file}`);
  }
});

import t from 'tap';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { COMMAND_MODULES } from '../../src/cli/program.js';
import { launcherPath, repoRoot, withoutTapLoader } from '../support/cli.js';

/**
 * The launcher runs the one-command file the command line names (scripts/bundle-cli.mjs) with
 * its code cache (scripts/launch-bundle.cjs): each must answer as the whole CLI does, V8 must
 * take its cache, and a command line naming no command must reach the file that has what it
 * needs.
 */

const run = promisify(execFile);
const bundleDir = join(repoRoot, 'dist/bundle/cli');

async function node(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
  const [command, argv] = withoutTapLoader(process.execPath, [file, ...args]);
  return run(command, argv, { env: { ...process.env, NO_COLOR: '1', COLUMNS: '100', ...env } });
}

/** The whole CLI's answer, and the one-command file's through the launcher. */
const whole = async (args: string[]) => (await node(join(bundleDir, 'main.js'), args)).stdout;
const launched = async (bundle: string, args: string[], env: NodeJS.ProcessEnv = {}) => node(join(repoRoot, 'scripts/launch-bundle.cjs'), [bundle, ...args], env);

t.test("each command's own file gives its help as the whole CLI does, with its code cache taken", async (t) => {
  const timing = { DH_PODMAN_DEBUG: 'timing' };
  for (const name of COMMAND_MODULES.flatMap((module) => module.names)) {
    t.ok(existsSync(join(bundleDir, `command-${name}.cjs`)), `command-${name}.cjs exists`);
    const own = await launched(`command-${name}`, [name, '--help'], timing);
    t.equal(own.stdout, await whole([name, '--help']), `${name} --help`);
    t.match(own.stderr, `command-${name}.cjs compiled, code cache accepted`, `${name}: V8 took the cache`);
  }
  t.equal((await launched('top-level', ['--help'])).stdout, await whole(['--help']), '--help');
  t.equal((await launched('top-level', ['--version'])).stdout, await whole(['--version']), '--version');
});

t.test('no one-command file keeps an import(): code from a cache cannot run one', async (t) => {
  // V8 drops, from functions it takes from a code cache, what import() needs of the script they
  // were compiled in ("A dynamic import callback was not specified"): the build lowers each to
  // a require(), which `build` (dockerode) and `base` (zx) rely on.
  for (const name of ['top-level', ...COMMAND_MODULES.map((module) => `command-${module.module}`)]) {
    t.notMatch(readFileSync(join(bundleDir, `${name}.cjs`), 'utf8'), /\bimport\(/, `${name}.cjs`);
  }
});

t.test('a code cache V8 refuses only makes the file compile as usual', async (t) => {
  // The launcher finds bundles beside its own scripts/ directory: a copy of the package's
  // layout with a damaged cache.
  const dir = t.testdir({ scripts: {}, dist: { bundle: { cli: {} } } });
  copyFileSync(join(repoRoot, 'package.json'), join(dir, 'package.json'));
  copyFileSync(join(repoRoot, 'scripts/launch-bundle.cjs'), join(dir, 'scripts/launch-bundle.cjs'));
  copyFileSync(join(bundleDir, 'top-level.cjs'), join(dir, 'dist/bundle/cli/top-level.cjs'));
  writeFileSync(join(dir, 'dist/bundle/cli/top-level.cjs.cache'), randomBytes(4096));
  const damaged = await node(join(dir, 'scripts/launch-bundle.cjs'), ['top-level', '--version'], { DH_PODMAN_DEBUG: 'timing' });
  t.equal(damaged.stdout, await whole(['--version']), 'the version, as from the whole CLI');
  t.match(damaged.stderr, 'code cache rejected');
  rmSync(join(dir, 'dist/bundle/cli/top-level.cjs.cache'));
  const none = await node(join(dir, 'scripts/launch-bundle.cjs'), ['top-level', '--version'], { DH_PODMAN_DEBUG: 'timing' });
  t.equal(none.stdout, await whole(['--version']), 'and without a cache');
  t.match(none.stderr, 'code cache none');
  await t.rejects(node(join(repoRoot, 'scripts/launch-bundle.cjs'), ['../../x', '--version']), 'a name that is not a bundle is refused');
});

t.test('the launcher picks the file by the first word that is not an option', async (t) => {
  const cases: [string[], string][] = [
    [['trust', 'bundle', '--help'], 'launch-bundle.cjs command-trust'],
    [['--json', '-q', 'status'], 'launch-bundle.cjs command-status'],
    [['--help'], 'launch-bundle.cjs top-level'],
    [[], 'launch-bundle.cjs top-level'],
    [['help', 'trust'], 'dist/bundle/cli/main.js'],
    [['trsut'], 'dist/bundle/cli/main.js'],
    [['../../x'], 'dist/bundle/cli/main.js'],
  ];
  // DH_PODMAN_DEBUG=1 asks for stack traces that name src/: the whole CLI, with source maps.
  const debugCases: [string, RegExp][] = [
    ['timing', /exec node \S*\/launch-bundle\.cjs command-trust /],
    // A word that only contains a 1 is not the word 1 (src/base/debug.ts).
    ['timing,10', /exec node \S*\/launch-bundle\.cjs command-trust /],
    ['1', /exec node --enable-source-maps \S*\/dist\/bundle\/cli\/main\.js /],
    ['timing, 1', /exec node --enable-source-maps \S*\/dist\/bundle\/cli\/main\.js /],
  ];
  for (const [debug, expected] of debugCases) {
    const env = { ...process.env, DH_PODMAN_DEBUG: debug, PATH: `${join(repoRoot, 'test/fixtures/echo-node')}:${process.env.PATH}` };
    t.match((await run('sh', ['-x', launcherPath, 'trust', '--help'], { env })).stderr, expected, `DH_PODMAN_DEBUG=${debug}`);
  }
  for (const [args, file] of cases) {
    // sh -x prints each command it runs, the exec naming the file; the node first in PATH is a
    // stand-in that runs nothing.
    const traced = await run('sh', ['-x', launcherPath, ...args], { env: { ...process.env, PATH: `${join(repoRoot, 'test/fixtures/echo-node')}:${process.env.PATH}` } });
    t.match(traced.stderr, new RegExp(`exec node \\S*/${file.replace('.', '\\.')}( |$)`, 'm'), `${JSON.stringify(args)}: ${file}`);
  }
});

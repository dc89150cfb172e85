#!/usr/bin/env node
// Bundles the compiled CLI (dist/src/cli/main.js, from tsc) into dist/bundle/cli/, which
// scripts/dh-podman runs. Each command runs as one new process, and Node's module loader costs
// every command its start-up: the 80-odd files `start` needs, resolved and read one by one, took
// longer than its certificate checks. Two kinds of bundle come out:
// - main.js and its chunks: the whole CLI as ES modules, each `await import()` a chunk loaded on
//   demand. It answers every command line, and is what runs when none names one command (help
//   COMMAND, a misspelt command) and under DH_PODMAN_DEBUG=1 (its source maps name src/).
// - command-NAME.cjs: one file holding what the command NAME needs and nothing of the others;
//   top-level.cjs the same for a command line that names no command (--help, --version). Beside
//   each, NAME.cjs.cache: V8's code cache for it, which scripts/launch-bundle.cjs hands to V8.
//   ESM costs each file it loads (a resolve, an asynchronous read, a link): `trust bundle`
//   loaded 25 chunks of the whole CLI and took 20% longer than from its one file. The code cache
//   spares V8 compiling the functions a run calls, 10 to 20 ms of each command. Packages loaded
//   only for some runs of a command (zx, dockerode) stay outside, loaded from node_modules when
//   they are needed.
//   node scripts/bundle-cli.mjs      (npm run build does it after tsc)
import { build } from 'esbuild';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';

const root = fileURLToPath(new URL('../', import.meta.url));
// Three levels below the package root, like the files of dist/src/<layer>/: PACKAGE_ROOT
// (src/base/version.ts) is found relative to the module's own URL.
const outdir = `${root}dist/bundle/cli`;
const { COMMAND_MODULES } = await import(`${root}dist/src/cli/program.js`);

// Chunk names carry a content hash: without this, every build would leave the last one's behind.
rmSync(outdir, { recursive: true, force: true });

const common = {
  entryPoints: [`${root}dist/src/cli/main.js`],
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Less for V8 to parse in every run: 7 ms of `trust bundle`'s 115 went to its file's comments
  // and blanks. Names stay as written, and a stack trace maps to the sources (DH_PODMAN_DEBUG=1).
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

await Promise.all([
  build({
    ...common,
    outdir,
    format: 'esm',
    splitting: true,
    // Packages written as CommonJS (commander, node-forge's codec) call require(): an ESM bundle
    // has none of its own.
    banner: { js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);" },
    // dockerode is loaded only for builds and exec (src/engine/engine.ts) and brings ssh2, whose
    // optional native parts cannot be bundled: it stays a package, loaded from node_modules.
    external: ['dockerode'],
    plugins: [commanderChildProcessOnUse()],
  }),
  oneFile('top-level', undefined),
  ...COMMAND_MODULES.map((command) => oneFile(`command-${command.module}`, command.module)),
]);

for (const name of ['top-level', ...COMMAND_MODULES.map((command) => `command-${command.module}`)]) writeCodeCache(`${outdir}/${name}.cjs`);

// A command module that registers several commands (status, stop, logs) is one file under
// each name, so that the launcher finds a command's file by its name alone.
for (const command of COMMAND_MODULES) {
  for (const name of command.names) {
    if (name === command.module) continue;
    for (const suffix of ['.cjs', '.cjs.cache']) copyFileSync(`${outdir}/command-${command.module}${suffix}`, `${outdir}/command-${name}${suffix}`);
  }
}

/** The CLI with only the command module `kept` (none: only the top-level help) in one CommonJS file. */
function oneFile(name, kept) {
  return build({
    ...common,
    outfile: `${outdir}/${name}.cjs`,
    format: 'cjs',
    // CommonJS has no import.meta; its URL is the file's own, as in an ES module.
    banner: { js: "const importMetaUrlOfBundle = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': 'importMetaUrlOfBundle' },
    // zx is imported on demand, when a command must run a program (a private Podman service, a
    // debootstrap): in one file, its 900 kB would be parsed by every run of `start`.
    external: ['dockerode', 'zx'],
    // Their import() becomes a require() (both packages have CommonJS entry points): code V8
    // takes from a cache has lost what import() needs from the script it was compiled in.
    supported: { 'dynamic-import': false },
    plugins: [commanderChildProcessOnUse(), onlyCommandModule(kept)],
  });
}

/**
 * V8's code cache for a one-command file, as scripts/launch-bundle.cjs compiles it (the same
 * wrapper, so the same source). V8 compiles most functions only when first called, and a cache
 * made after a plain compile holds little more than the top level; so every function is compiled
 * now (--no-lazy), and the flag is put back before the cache is written: V8 accepts a cache only
 * under the flags it was made with. A Node with another V8 rejects it, and the file is compiled
 * as it would be without one.
 */
function writeCodeCache(file) {
  setFlagsFromString('--no-lazy');
  let script;
  try {
    script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file });
  } finally {
    setFlagsFromString('--lazy');
  }
  writeFileSync(`${file}.cache`, script.createCachedData());
}

/**
 * program.js imports every command module on demand; in a one-command file, the others are a
 * module that refuses to load. The launcher never runs a file for a command line that would
 * reach them.
 */
function onlyCommandModule(kept) {
  return {
    name: 'only-command-module',
    setup(build) {
      build.onResolve({ filter: /^\.\/commands\/[a-z-]+\.js$/ }, (args) => {
        if (!/[\\/]cli[\\/]program\.js$/.test(args.importer) || args.path === `./commands/${kept}.js`) return undefined;
        return { path: args.path, namespace: 'left-out' };
      });
      build.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({
        contents: `throw new Error(${JSON.stringify(`${args.path} is not in this bundle (it holds ${kept ?? 'no command'}): run dist/bundle/cli/main.js`)});`,
        loader: 'js',
      }));
    },
  };
}

/**
 * commander requires node:child_process when it loads, for executable subcommands (a command
 * run as a separate program), which dh-podman has none of. Loading it (and node:net with it)
 * is 4 to 5 ms of every command, `--help` included, most of which start no process. commander
 * gets it on first use instead.
 */
function commanderChildProcessOnUse() {
  return {
    name: 'commander-child-process-on-use',
    setup(build) {
      build.onResolve({ filter: /^node:child_process$/ }, (args) =>
        /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'on-use' } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'on-use' }, () => ({
        contents: "let loaded; module.exports = new Proxy({}, { get: (_target, key) => (loaded ??= require('node:child_process'))[key] });",
        loader: 'js',
      }));
    },
  };
}

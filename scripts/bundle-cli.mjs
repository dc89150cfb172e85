#!/usr/bin/env node
// Bundles the compiled CLI (dist/src/cli/main.js, from tsc) into dist/bundle/cli/, which
// scripts/dh-podman runs. Each command runs as one new process, and Node's module loader costs
// every command its start-up: the 80-odd files `start` needs, resolved and read one by one, took
// longer than its certificate checks. Two kinds of bundle come out:
// - main.js and its chunks: the whole CLI, each `await import()` a chunk loaded on demand. It
//   answers every command line, and is what runs when none names one command (help COMMAND, a
//   misspelt command).
// - command-NAME.js: one file holding what the command NAME needs and nothing of the others;
//   top-level.js the same for a command line that names no command (--help, --version).
//   scripts/dh-podman runs the file the command line names. ESM costs each module it loads (a
//   resolve, an asynchronous read, a link): `trust bundle` loaded 25 chunks of the whole CLI,
//   and took 20% longer than from its one file. Packages loaded only for some runs of a command
//   (zx, dockerode) stay outside these files, loaded from node_modules when they are needed.
//   node scripts/bundle-cli.mjs      (npm run build does it after tsc)
import { build } from 'esbuild';
import { copyFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const outdir = `${root}dist/bundle/cli`;
const { COMMAND_MODULES } = await import(`${root}dist/src/cli/program.js`);

// Chunk names carry a content hash: without this, every build would leave the last one's behind.
rmSync(outdir, { recursive: true, force: true });

const common = {
  entryPoints: [`${root}dist/src/cli/main.js`],
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Packages written as CommonJS (commander, node-forge's codec) call require(): an ESM bundle
  // has none of its own.
  banner: { js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);" },
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
    // Three levels below the package root, like the files of dist/src/<layer>/: PACKAGE_ROOT
    // (src/base/version.ts) is found relative to the module's own URL. So are the files below.
    outdir,
    splitting: true,
    // dockerode is loaded only for builds and exec (src/engine/engine.ts) and brings ssh2, whose
    // optional native parts cannot be bundled: it stays a package, loaded from node_modules.
    external: ['dockerode'],
    plugins: [commanderChildProcessOnUse()],
  }),
  oneFile('top-level', undefined),
  ...COMMAND_MODULES.map((command) => oneFile(`command-${command.module}`, command.module)),
]);

// A command module that registers several commands (status, stop, logs) is one file under
// each name, so that the launcher finds a command's file by its name alone.
for (const command of COMMAND_MODULES) {
  for (const name of command.names) {
    if (name !== command.module) copyFileSync(`${outdir}/command-${command.module}.js`, `${outdir}/command-${name}.js`);
  }
}

/** The CLI with only the command module `kept` (none: only the top-level help) in one file. */
function oneFile(name, kept) {
  return build({
    ...common,
    outfile: `${outdir}/${name}.js`,
    splitting: false,
    // zx is imported on demand, when a command must run a program (a private Podman service, a
    // debootstrap): in one file, its 900 kB would be parsed by every run of `start`.
    external: ['dockerode', 'zx'],
    plugins: [commanderChildProcessOnUse(), onlyCommandModule(kept)],
  });
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

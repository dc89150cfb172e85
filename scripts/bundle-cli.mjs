#!/usr/bin/env node
// Bundles the compiled CLI (dist/src/cli/main.js, from tsc) into dist/bundle/cli/, which
// scripts/dh-podman runs. Each command runs as one new process, and Node's module loader costs
// every command its start-up: the 80-odd files `start` needs, resolved and read one by one, took
// longer than its certificate checks. Bundled, they are a few files: one for what every command
// needs, one per command module loaded on demand (the CLI's `await import()`s become chunks, so
// `--help` still loads no command).
//   node scripts/bundle-cli.mjs      (npm run build does it after tsc)
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

// Chunk names carry a content hash: without this, every build would leave the last one's behind.
rmSync(`${root}dist/bundle/cli`, { recursive: true, force: true });

await build({
  entryPoints: [`${root}dist/src/cli/main.js`],
  // Three levels below the package root, like the files of dist/src/<layer>/: PACKAGE_ROOT
  // (src/base/version.ts) is found relative to the module's own URL.
  outdir: `${root}dist/bundle/cli`,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // dockerode is loaded only for builds and exec (src/engine/engine.ts) and brings ssh2, whose
  // optional native parts cannot be bundled: it stays a package, loaded from node_modules.
  external: ['dockerode'],
  // Packages written as CommonJS (commander, node-forge's codec) call require(): an ESM bundle
  // has none of its own.
  banner: { js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [commanderChildProcessOnUse()],
});

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

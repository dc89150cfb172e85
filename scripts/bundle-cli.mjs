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
});

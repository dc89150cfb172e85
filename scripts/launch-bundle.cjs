'use strict';
// Runs one of the one-command files of dist/bundle/cli (scripts/bundle-cli.mjs) with the V8 code
// cache the build wrote beside it: V8 then compiles none of the functions the run calls, 10 to
// 20 ms of each command. scripts/dh-podman starts it as
//   node launch-bundle.cjs command-NAME|top-level ARGS...
// It compiles the file as Node's CommonJS loader would (the same wrapper, with require,
// module, __filename and __dirname), which gives no way to pass a code cache. A cache V8 does not
// accept (another Node, a damaged file) or a missing one only makes the run compile as usual.
const { readFileSync } = require('node:fs');
const { createRequire, wrap } = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

// The bundle's name, out of argv: the command line follows it, as the bundle expects.
const [name] = process.argv.splice(2, 1);
if (!/^(command-[a-z]+|top-level)$/.test(name ?? '')) {
  process.stderr.write(`launch-bundle.cjs: no bundle named ${JSON.stringify(name)}; run scripts/dh-podman\n`);
  process.exit(1);
}
const file = join(__dirname, '..', 'dist', 'bundle', 'cli', `${name}.cjs`);
let cachedData;
try {
  cachedData = readFileSync(`${file}.cache`);
} catch {
  // none: compiled as usual
}
const script = new Script(wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
// DH_PODMAN_DEBUG=timing, read as src/base/debug.ts reads it: whether V8 took the cache.
if (/(^|,)\s*timing\s*(,|$)/.test(process.env.DH_PODMAN_DEBUG ?? '')) {
  const outcome = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted';
  process.stderr.write(`timing: @${(process.uptime() * 1000).toFixed(0).padStart(5)} ms ${name}.cjs compiled, code cache ${outcome}\n`);
}
const bundle = { exports: {} };
script.runInThisContext()(bundle.exports, createRequire(file), bundle, file, dirname(file));

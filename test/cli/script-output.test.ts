import t from 'tap';
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, type CliResult } from '../support/cli.js';

/**
 * Set-up output never reaches stdout: `up.sh --json` prints exactly one JSON document, as every
 * --json does. The scripts run in a copy of the checkout whose tools (npm, the Podman set-up,
 * the CLI) are stand-ins that talk on stdout, as npm's "> tsc -p ." lines do.
 */

function bash(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile('bash', [script, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

function executable(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

function copyScript(dir: string, name: string): string {
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  const target = join(dir, 'scripts', name);
  copyFileSync(join(repoRoot, 'scripts', name), target);
  return target;
}

t.test('install-deps.sh prints nothing on stdout, npm ci and its prepare lines included', async (t) => {
  const dir = t.testdir({ 'package-lock.json': '{}' });
  const script = copyScript(dir, 'install-deps.sh');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  executable(join(bin, 'npm'), '#!/bin/sh\necho "npm $*"\necho\necho "> dh-podman@0.1.0 prepare"\necho "> tsc -p ."\nmkdir -p dist\n');
  const result = await bash(script, [], { PATH: `${bin}:${process.env.PATH}` });
  t.equal(result.code, 0, result.stderr);
  t.equal(result.stdout, '', 'nothing on stdout');
  t.match(result.stderr, /npm ci [\s\S]*> tsc -p \./, "npm's output went to stderr");
});

t.test('up.sh --json prints exactly one JSON document on stdout', async (t) => {
  const dir = t.testdir({ dist: { bundle: { cli: { 'main.js': 'console.log(JSON.stringify({ ok: true, argv: process.argv.slice(2) }, null, 2));\n' } } } });
  const script = copyScript(dir, 'up.sh');
  copyScript(dir, 'dh-podman');
  executable(join(dir, 'scripts', 'install-deps.sh'), '#!/bin/sh\necho "> tsc -p ."\necho "added 200 packages"\n');
  executable(
    join(dir, 'scripts', 'podman-env.sh'),
    '#!/bin/sh\ncase "$1" in\n  start) echo "dh-podman: installing iptables" >&2; echo /tmp/podman.sock ;;\n  env) echo "export CONTAINER_HOST=unix:///tmp/podman.sock" ;;\nesac\n',
  );
  const result = await bash(script, ['--json']);
  t.equal(result.code, 0, result.stderr);
  t.same(JSON.parse(result.stdout), { ok: true, argv: ['up', '--state-dir', '.dh-podman', '--json'] }, 'stdout is one JSON document');
  t.match(result.stderr, /> tsc -p \.[\s\S]*added 200 packages[\s\S]*installing iptables/, 'set-up output went to stderr');
});

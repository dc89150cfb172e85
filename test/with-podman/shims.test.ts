import t from 'tap';
import { execFile } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, runCli, withoutTapLoader, type CliResult } from '../support/cli.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';
import { BASE_IMAGE, podmanEnv, requirePodman } from '../support/podman.js';

/** The old script names keep working: same flags, same outcome as the dh-podman command. */

function shim(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const [file, argv] = withoutTapLoader('bash', [join(repoRoot, 'scripts', name), ...args]);
  return new Promise((resolve) => {
    execFile(file, argv, { env: { ...process.env, NO_COLOR: '1', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

t.test('start_command.sh plans exactly what dh-podman start would', async (t) => {
  if (!(await requirePodman(t))) return;
  const dir = t.testdir();
  const ca = makeCa(dir, 'ca');
  const volume = makeVolume(dir, 'tls', makeLeaf(dir, 'dh1', ca, ['dh1.example.test']));
  const common = ['--tls-volume', volume, '--ca-cert-file', ca.cert, '--image', BASE_IMAGE, '--network', `dhp-test-shim-${process.pid}`, '--state-dir', join(dir, 'state'), '--dry-run', '--json'];
  const viaShim = await shim('start_command.sh', ['--hostname', 'dh1.example.test', ...common], podmanEnv);
  const direct = await runCli(['start', '-h', 'dh1.example.test', ...common], { env: podmanEnv });
  t.equal(viaShim.code, 0, viaShim.stderr);
  t.equal(direct.code, 0, direct.stderr);
  // Files made anew (passphrases, keystores) get fresh randomness on every run, and so their hashes.
  const plan = (stdout: string) => JSON.parse(stdout, (key, value: unknown) => (key === 'sha256' ? '(hash)' : value)).plan;
  t.same(plan(viaShim.stdout), plan(direct.stdout), 'the same plan');
});

t.test('an unsupported flag gets one line listing the supported ones', async (t) => {
  for (const [script, flag] of [['start_command.sh', '--memory'], ['build_images.sh', '--push'], ['create_dh_cert.sh', '--key-size']] as const) {
    const result = await shim(script, [flag, 'x']);
    t.equal(result.code, 2, `${script} ${flag}`);
    t.equal(result.stderr.trim().split('\n').length, 1);
    t.match(result.stderr, new RegExp(`^error: ${script.replace('.', '\\.')}: ${flag} is not supported; supported: `));
  }
});

t.test('build_images.sh checks --ca-cert-file like dh-podman build, before any engine', async (t) => {
  const dir = t.testdir();
  writeFileSync(join(dir, 'garbage.pem'), 'no certificate here\n');
  const result = await shim('build_images.sh', ['--ca-cert-file', join(dir, 'garbage.pem')], { CONTAINER_HOST: 'unix:///nonexistent/dh-podman-test.sock' });
  t.equal(result.code, 3);
  t.match(result.stdout + result.stderr, /FILE_NOT_PEM/);
});

t.test('create_dh_cert.sh HOSTNAME OUTDIR makes a CA and a TLS volume that passes cert check', async (t) => {
  const out = join(t.testdir(), 'dh1');
  const result = await shim('create_dh_cert.sh', ['dh1.example.test', out]);
  t.equal(result.code, 0, result.stderr);
  t.equal(statSync(join(out, 'tls.key')).mode & 0o777, 0o600);
  t.equal(statSync(join(out, 'ca', 'ca.key')).mode & 0o777, 0o600);
  const check = await runCli(['cert', 'check', '-h', 'dh1.example.test', '--tls-volume', out, '--ca-cert-file', join(out, 'ca', 'ca.crt'), '--mtls', '--strict']);
  t.equal(check.code, 0, check.stdout);
});

import t from 'tap';
import { runCli } from '../support/cli.js';

t.test('--version prints the package version', async (t) => {
  const { code, stdout } = await runCli(['--version']);
  t.equal(code, 0);
  t.match(stdout.trim(), /^\d+\.\d+\.\d+$/);
});

t.test('every command has --help and exits 0', async (t) => {
  for (const command of [[], ['cert'], ['cert', 'inspect'], ['cert', 'check'], ['cert', 'ca'], ['cert', 'issue']]) {
    const { code, stdout } = await runCli([...command, '--help']);
    t.equal(code, 0, `${command.join(' ')} --help`);
    t.match(stdout, /^Usage: dh-podman/, `${command.join(' ')} --help prints usage`);
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

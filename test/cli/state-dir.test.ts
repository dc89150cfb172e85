import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterFileIdentity, writeStateRecord } from '../../src/cluster/state-record.js';
import { runCli } from '../support/cli.js';

/** What the commands say about the state dir they use; cert expiry reads files only, so no Podman. */

t.test('a recorded state dir is used and said; --state-dir or the file\'s stateDir overrule it with a warning', async (t) => {
  const dir = t.testdir();
  const env = { DH_PODMAN_STATE_DIR: join(dir, 'default') };
  const pods = ['pods:', '  - name: sd-one', '    hostname: one.statedir.test', '    certificate: { mode: generate }', ''];
  const file = join(dir, 'dh-podman.yaml');
  writeFileSync(file, ['cluster: sd-cli', ...pods].join('\n'));
  const withStateDir = join(dir, 'with-state-dir.yaml');
  writeFileSync(withStateDir, ['cluster: sd-cli', 'stateDir: ./from-file', ...pods].join('\n'));
  for (const f of [file, withStateDir]) await writeStateRecord(join(dir, 'default'), 'sd-cli', await clusterFileIdentity(f), join(dir, 'recorded'));

  const expiry = async (...args: string[]) => {
    const result = await runCli(['cert', 'expiry', '--json', ...args], { env });
    t.equal(result.code, 0, result.stderr);
    const files: string[] = JSON.parse(result.stdout).notIssued.map((n: { file: string }) => n.file);
    t.ok(files.length > 0, 'the generated certificate is not issued yet');
    return { files, stderr: result.stderr };
  };

  const recorded = await expiry('-f', file);
  t.ok(recorded.files.every((f) => f.startsWith(join(dir, 'recorded'))), 'looked in the recorded dir');
  t.match(recorded.stderr, `state dir ${join(dir, 'recorded')} (where "up -f" put cluster sd-cli's state)`);

  const flag = await expiry('-f', file, '--state-dir', join(dir, 'flag'));
  t.ok(flag.files.every((f) => f.startsWith(join(dir, 'flag'))), 'the flag wins');
  t.match(flag.stderr, `warning: cluster sd-cli: "up -f" put its state in ${join(dir, 'recorded')}; using ${join(dir, 'flag')} (--state-dir) instead`);

  const fromFile = await expiry('-f', withStateDir);
  t.ok(fromFile.files.every((f) => f.startsWith(join(dir, 'from-file'))), 'the file\'s stateDir beats the record');
  t.match(fromFile.stderr, `using ${join(dir, 'from-file')} (the file's stateDir) instead`);

  const quiet = await runCli(['cert', 'expiry', '-q', '-f', file], { env });
  t.notMatch(quiet.stderr, 'state dir', '--quiet drops the note');
});

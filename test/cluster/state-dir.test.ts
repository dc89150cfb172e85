import t from 'tap';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { contradictedRecord, defaultStateDir, forgetStateDir, rememberStateDir, resolveStateDir, type StateDirSource } from '../../src/cluster/state-dir.js';
import { clusterFileIdentity, stateRecordPath, writeStateRecord } from '../../src/cluster/state-record.js';

const ROOT = 0;
const USER = 1000;

t.test('the default state dir: DH_PODMAN_STATE_DIR, else /var/lib/dh-podman as root, else the XDG data dir', async (t) => {
  const cases: { name: string; env: NodeJS.ProcessEnv; uid: number; want: string }[] = [
    { name: 'root', env: { XDG_DATA_HOME: '/x', HOME: '/root' }, uid: ROOT, want: '/var/lib/dh-podman' },
    { name: 'user with XDG_DATA_HOME', env: { XDG_DATA_HOME: '/x', HOME: '/home/u' }, uid: USER, want: '/x/dh-podman' },
    { name: 'user without XDG_DATA_HOME', env: { HOME: '/home/u' }, uid: USER, want: '/home/u/.local/share/dh-podman' },
    { name: 'user with a relative XDG_DATA_HOME (invalid, ignored)', env: { XDG_DATA_HOME: 'rel', HOME: '/home/u' }, uid: USER, want: '/home/u/.local/share/dh-podman' },
    { name: 'root with DH_PODMAN_STATE_DIR', env: { DH_PODMAN_STATE_DIR: '/s' }, uid: ROOT, want: '/s' },
    { name: 'user with DH_PODMAN_STATE_DIR', env: { DH_PODMAN_STATE_DIR: '/s', XDG_DATA_HOME: '/x' }, uid: USER, want: '/s' },
    { name: 'a relative DH_PODMAN_STATE_DIR is made absolute', env: { DH_PODMAN_STATE_DIR: 'rel' }, uid: USER, want: resolve('rel') },
  ];
  for (const c of cases) t.equal(defaultStateDir(c.env, c.uid), c.want, c.name);
});

t.test('resolveStateDir: --state-dir, then the file\'s stateDir, then the record, then the default', async (t) => {
  const dir = t.testdir({ 'dh-podman.yaml': 'cluster: dev\n', 'other.yaml': 'cluster: dev\n' });
  const file = join(dir, 'dh-podman.yaml');
  const recorded = join(dir, 'recorded');
  // One default per uid: records live under it, so each case's env decides where they are.
  const envs = {
    root: { env: { DH_PODMAN_STATE_DIR: join(dir, 'root-default') }, uid: ROOT },
    user: { env: { XDG_DATA_HOME: join(dir, 'xdg'), HOME: join(dir, 'home') }, uid: USER },
  };
  const defaults = { root: join(dir, 'root-default'), user: join(dir, 'xdg', 'dh-podman') };
  for (const who of ['root', 'user'] as const) await writeStateRecord(defaults[who], 'dev', await clusterFileIdentity(file), recorded);

  const cases: { name: string; given?: string; fileStateDir?: string; clusterFile?: string; noCluster?: boolean; want: string; source: StateDirSource; contradicted?: boolean }[] = [
    { name: 'the flag beats the file and the record', given: join(dir, 'flag'), fileStateDir: join(dir, 'file'), want: join(dir, 'flag'), source: 'given', contradicted: true },
    { name: 'the flag beats the record', given: join(dir, 'flag'), want: join(dir, 'flag'), source: 'given', contradicted: true },
    { name: 'the flag naming the recorded dir agrees with it', given: recorded, want: recorded, source: 'given' },
    { name: 'the file beats the record', fileStateDir: join(dir, 'file'), want: join(dir, 'file'), source: 'file', contradicted: true },
    { name: 'the record beats the default', want: recorded, source: 'record' },
    { name: 'a record is per cluster file: another file naming the same cluster gets the default', clusterFile: join(dir, 'other.yaml'), want: 'default', source: 'default' },
    { name: 'a single machine: the default', noCluster: true, want: 'default', source: 'default' },
    { name: 'a relative flag is relative to the working directory', given: 'rel-state', noCluster: true, want: resolve('rel-state'), source: 'given' },
  ];
  for (const who of ['root', 'user'] as const) {
    for (const c of cases) {
      const resolved = await resolveStateDir({
        given: c.given,
        cluster: c.noCluster ? undefined : { name: 'dev', file: c.clusterFile ?? file, stateDir: c.fileStateDir },
        ...envs[who],
      });
      const label = `${who}: ${c.name}`;
      t.equal(resolved.dir, c.want === 'default' ? defaults[who] : c.want, label);
      t.equal(resolved.source, c.source, `${label} (source)`);
      t.equal(resolved.defaultDir, defaults[who], `${label} (records under the default)`);
      t.equal(contradictedRecord(resolved) !== undefined, c.contradicted === true, `${label} (contradicts the record)`);
    }
  }
});

t.test('up -f records a state dir named for it; the file\'s stateDir drops a record; down --volumes forgets it', async (t) => {
  const dir = t.testdir({ 'c.yaml': 'cluster: c\n' });
  const file = join(dir, 'c.yaml');
  const env = { DH_PODMAN_STATE_DIR: join(dir, 'default') };
  const recordFile = stateRecordPath(join(dir, 'default'), 'c', await clusterFileIdentity(file));
  const query = (given?: string, stateDir?: string) => resolveStateDir({ given, cluster: { name: 'c', file, stateDir }, env, uid: USER });

  await rememberStateDir(await query());
  t.notOk(existsSync(recordFile), 'the default needs no record');

  await rememberStateDir(await query(join(dir, 'x')));
  t.ok(existsSync(recordFile), 'recorded');
  t.equal((await query()).dir, join(dir, 'x'), 'found without the flag');

  await rememberStateDir(await query(join(dir, 'y')));
  t.equal((await query()).dir, join(dir, 'y'), 'a new flag replaces the record');

  await forgetStateDir(await query(join(dir, 'z')));
  t.ok(existsSync(recordFile), 'deleting another dir\'s state keeps the record');
  await forgetStateDir(await query());
  t.notOk(existsSync(recordFile), 'deleting the recorded state forgets the record');

  await rememberStateDir(await query(join(dir, 'x')));
  await rememberStateDir(await query(undefined, join(dir, 'from-file')));
  t.notOk(existsSync(recordFile), 'the file now says where the state is: the record goes');
});

t.test('a record that is not one dh-podman wrote is an error naming it', async (t) => {
  const dir = t.testdir({ 'c.yaml': 'cluster: c\n' });
  const file = join(dir, 'c.yaml');
  const recordFile = stateRecordPath(join(dir, 'default'), 'c', await clusterFileIdentity(file));
  mkdirSync(join(recordFile, '..'), { recursive: true });
  writeFileSync(recordFile, '{ not json');
  await t.rejects(resolveStateDir({ cluster: { name: 'c', file }, env: { DH_PODMAN_STATE_DIR: join(dir, 'default') }, uid: USER }), {
    code: 'STATE_RECORD_INVALID',
    subject: recordFile,
  });
});

import t, { type Test } from 'tap';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDerivedFiles } from '../../src/cluster/apply-files.js';
import type { DerivedFile } from '../../src/cluster/derived-files.js';
import { podStatePaths } from '../../src/cluster/layout.js';

const file = (hostPath: string, content: string, action: DerivedFile['action'] = 'update'): DerivedFile => ({
  purpose: hostPath.split('/').pop()!,
  hostPath,
  containerPath: `/in/${hostPath.split('/').pop()}`,
  mode: 0o640,
  secret: false,
  action,
  content: Buffer.from(content),
});

function setUp(t: Test) {
  const paths = podStatePaths(t.testdir(), 'pod');
  mkdirSync(paths.trustDir, { recursive: true });
  writeFileSync(paths.properties, 'old properties\n', { mode: 0o600 });
  writeFileSync(paths.truststoreIrisPem, 'old pem\n');
  return paths;
}

t.test('every file is written, nothing is left beside them once committed', async (t) => {
  const paths = setUp(t);
  const written = await writeDerivedFiles(paths, [file(paths.properties, 'new properties\n'), file(paths.truststoreIrisPem, '', 'remove'), file(paths.keystore, 'new keystore', 'create')]);
  await written.commit();
  t.equal(readFileSync(paths.properties, 'utf8'), 'new properties\n');
  t.equal(statSync(paths.properties).mode & 0o777, 0o640, 'with its planned mode');
  t.throws(() => statSync(paths.truststoreIrisPem), 'the removed file is gone');
  t.same(readdirSync(paths.root).filter((name) => name.startsWith('.')), [], 'no staged or kept files left');
  t.same(written.paths, [paths.properties, paths.truststoreIrisPem, paths.keystore]);
});

t.test('undo puts the previous files back, mode and all, and removes the new ones', async (t) => {
  const paths = setUp(t);
  const written = await writeDerivedFiles(paths, [file(paths.properties, 'new properties\n'), file(paths.truststoreIrisPem, '', 'remove'), file(paths.keystore, 'new keystore', 'create')]);
  await written.undo();
  t.equal(readFileSync(paths.properties, 'utf8'), 'old properties\n');
  t.equal(statSync(paths.properties).mode & 0o777, 0o600, 'the previous mode');
  t.equal(readFileSync(paths.truststoreIrisPem, 'utf8'), 'old pem\n', 'the removed file is back');
  t.throws(() => statSync(paths.keystore), 'the created file is gone');
});

t.test('a file that cannot be written fails before any previous file is touched', async (t) => {
  const paths = setUp(t);
  // Something in the way of the second file's staging copy: its write fails.
  mkdirSync(join(paths.trustDir, '.truststore-iris.pem.dh-staged', 'x'), { recursive: true });
  const error = await writeDerivedFiles(paths, [file(paths.properties, 'new properties\n'), file(paths.truststoreIrisPem, 'new pem\n')]).catch((e: unknown) => e);
  t.match(error, { code: 'WRITE_FAILED', exitCode: 4, subject: paths.truststoreIrisPem });
  t.match((error as Error).message, /the previous files are unchanged$/);
  t.equal(readFileSync(paths.properties, 'utf8'), 'old properties\n', 'the first file was not replaced');
  t.equal(readFileSync(paths.truststoreIrisPem, 'utf8'), 'old pem\n');
  t.same(readdirSync(paths.root).filter((name) => name.startsWith('.')), [], 'its staged copy is gone');
});

t.test('leftovers of an interrupted run are replaced, not tripped over', async (t) => {
  const paths = setUp(t);
  writeFileSync(join(paths.root, '.dh-podman.prop.dh-staged'), 'half written');
  writeFileSync(join(paths.root, '.dh-podman.prop.dh-previous'), 'older still');
  const written = await writeDerivedFiles(paths, [file(paths.properties, 'new properties\n')]);
  await written.undo();
  t.equal(readFileSync(paths.properties, 'utf8'), 'old properties\n', 'undo brings back the file before this run');
});

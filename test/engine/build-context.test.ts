import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { packContext, packFiles } from '../../src/engine/build-context.js';

/** Every entry of a tar, in order: directories end in "/", files map to their text. */
async function readTar(stream: Readable): Promise<{ names: string[]; files: Map<string, string[]> }> {
  const { default: tarStream } = await import('tar-stream');
  const extract = tarStream.extract();
  const names: string[] = [];
  const files = new Map<string, string[]>();
  extract.on('entry', (header, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (chunk: Buffer) => chunks.push(chunk));
    body.on('end', () => {
      if (header.type === 'directory') names.push(header.name.endsWith('/') ? header.name : `${header.name}/`);
      else {
        names.push(header.name);
        files.set(header.name, [...(files.get(header.name) ?? []), Buffer.concat(chunks).toString('utf8')]);
      }
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    stream.on('error', reject);
  });
  stream.pipe(extract);
  await done;
  return { names, files };
}

/** Sorted, since tar-fs walks in readdir order, which the file system decides. */
const sorted = (names: string[]) => [...names].sort();

function writeTree(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

const TREE = {
  Containerfile: 'FROM dh-podman/base\n',
  'app.jar': 'jar',
  'top.log': 'log',
  'notes.tmp': 'tmp',
  'logs/run.log': 'nested log',
  'src/Main.java': 'class Main {}',
  'src/scratch.tmp': 'tmp',
  'secrets/server.key': 'PRIVATE',
  'secrets/public.txt': 'public',
  'node_modules/x/index.js': 'bulk',
  'build/out.bin': 'bin',
  'build/keep/wanted.txt': 'wanted',
  'build/keep/deeper/also.txt': 'also',
};

t.test('without an ignore file every file goes in', async (t) => {
  const dir = t.testdir();
  writeTree(dir, TREE);
  const { names } = await readTar(await packContext(dir));
  t.same(sorted(names), sorted([
    './', 'Containerfile', 'app.jar', 'top.log', 'notes.tmp', 'logs/', 'logs/run.log', 'src/', 'src/Main.java', 'src/scratch.tmp',
    'secrets/', 'secrets/server.key', 'secrets/public.txt', 'node_modules/', 'node_modules/x/', 'node_modules/x/index.js',
    'build/', 'build/out.bin', 'build/keep/', 'build/keep/wanted.txt', 'build/keep/deeper/', 'build/keep/deeper/also.txt',
  ]));
});

t.test('.containerignore patterns, negations and directories decide the rest', async (t) => {
  const dir = t.testdir();
  writeTree(dir, {
    ...TREE,
    '.containerignore': [
      '# comments and blank lines are not patterns',
      '',
      '*.log',
      '**/*.tmp',
      'node_modules/',
      'secrets',
      '!secrets/public.txt',
      'build/**',
      '!build/keep/**',
    ].join('\n'),
  });
  const { names, files } = await readTar(await packContext(dir));
  t.same(sorted(names), sorted([
    './', '.containerignore', 'Containerfile', 'app.jar', 'logs/', 'logs/run.log', 'src/', 'src/Main.java',
    'secrets/', 'secrets/public.txt',
    'build/', 'build/keep/', 'build/keep/wanted.txt', 'build/keep/deeper/', 'build/keep/deeper/also.txt',
  ]), '*.log is the top level only, as in Docker; **/*.tmp is any depth');
  for (const ignored of ['top.log', 'notes.tmp', 'src/scratch.tmp', 'secrets/server.key', 'node_modules/x/index.js', 'build/out.bin']) {
    t.notOk(names.includes(ignored), `${ignored} stays on the host`);
  }
  t.same(files.get('secrets/public.txt'), ['public'], 'a negated file inside an ignored directory is sent');
});

t.test('an ignored directory with no negation reaching into it is not walked', async (t) => {
  const dir = t.testdir();
  writeTree(dir, { Containerfile: 'FROM x\n', 'conf/a': 'a', 'conf/b': 'b', 'config': 'file', 'other/c': 'c', '.containerignore': 'conf\nconfig\n!other/c\n' });
  const { names } = await readTar(await packContext(dir));
  t.same(sorted(names), sorted(['./', '.containerignore', 'Containerfile', 'other/', 'other/c']));
});

t.test('a negation naming a path under an ignored file name does not bring the file back', async (t) => {
  const dir = t.testdir();
  writeTree(dir, { Containerfile: 'FROM x\n', secrets: 'a file, not a directory', '.containerignore': 'secrets\n!secrets/public.txt\n' });
  const { names } = await readTar(await packContext(dir));
  t.same(sorted(names), sorted(['./', '.containerignore', 'Containerfile']));
});

t.test('.dockerignore is read when there is no .containerignore, and .containerignore wins over it', async (t) => {
  const dir = t.testdir();
  writeTree(dir, { Containerfile: 'FROM x\n', 'a.txt': 'a', 'b.txt': 'b', '.dockerignore': 'a.txt\n' });
  t.same(sorted((await readTar(await packContext(dir))).names), sorted(['./', '.dockerignore', 'Containerfile', 'b.txt']));
  writeFileSync(join(dir, '.containerignore'), 'b.txt\n');
  t.same(sorted((await readTar(await packContext(dir))).names), sorted(['./', '.containerignore', '.dockerignore', 'Containerfile', 'a.txt']));
});

t.test('the Containerfile is always sent, even when .containerignore names it', async (t) => {
  const dir = t.testdir();
  writeTree(dir, { Containerfile: 'FROM on-disk\n', 'a.txt': 'a', '.containerignore': '*\n' });
  const { names, files } = await readTar(await packContext(dir));
  t.same(sorted(names), ['./', 'Containerfile']);
  t.same(files.get('Containerfile'), ['FROM on-disk\n']);
});

t.test('extraFiles replace the files on disk once, and are sent even where patterns ignore', async (t) => {
  const dir = t.testdir();
  writeTree(dir, { Containerfile: 'FROM dh-podman/base\n', 'a.txt': 'a', 'generated/old.crt': 'old', '.containerignore': 'Containerfile\ngenerated\n' });
  const extraFiles = { Containerfile: 'FROM localhost/dh-podman/base:pre-trust\n', 'generated/ca.crt': 'ca' };
  const { names, files } = await readTar(await packContext(dir, { extraFiles }));
  t.same(sorted(names), sorted(['./', '.containerignore', 'Containerfile', 'a.txt', 'generated/ca.crt']));
  t.same(files.get('Containerfile'), ['FROM localhost/dh-podman/base:pre-trust\n'], 'one Containerfile: the override');
  t.same(files.get('generated/ca.crt'), ['ca']);

  writeFileSync(join(dir, '.containerignore'), '\n');
  const again = await readTar(await packContext(dir, { extraFiles: { Containerfile: 'FROM override\n' } }));
  t.same(again.files.get('Containerfile'), ['FROM override\n'], 'not ignored on disk: still the override only, not both');
  t.same(sorted(again.names), sorted(['./', '.containerignore', 'Containerfile', 'a.txt', 'generated/', 'generated/old.crt']));
});

t.test('packFiles holds exactly the files given', async (t) => {
  const { names, files } = await readTar(await packFiles({ Containerfile: 'FROM x\n', 'dh-podman-ca/a.crt': 'pem' }));
  t.same(names, ['Containerfile', 'dh-podman-ca/a.crt']);
  t.same(files.get('dh-podman-ca/a.crt'), ['pem']);
});

t.test('extraDirs stream a host directory in under their name, replacing one of that name on disk', async (t) => {
  const root = t.testdir();
  const dir = join(root, 'image');
  const wheelhouse = join(root, 'wheelhouse');
  writeTree(dir, { Containerfile: 'FROM x\n', 'wheels/stale.whl': 'stale' });
  writeTree(wheelhouse, { 'a-1.0-py3-none-any.whl': 'A'.repeat(100_000), 'b-2.0-py3-none-any.whl': 'B', 'nested/skipped.txt': 'x' });
  const { names, files } = await readTar(await packContext(dir, { extraFiles: { Containerfile: 'FROM y\n' }, extraDirs: { wheels: wheelhouse } }));
  t.same(sorted(names), sorted(['./', 'Containerfile', 'wheels/', 'wheels/a-1.0-py3-none-any.whl', 'wheels/b-2.0-py3-none-any.whl']));
  t.equal(files.get('wheels/a-1.0-py3-none-any.whl')?.[0]?.length, 100_000, 'a large file arrives whole');
  t.same(files.get('Containerfile'), ['FROM y\n']);
});

t.test('a missing extraDirs directory fails the context, never a truncated one', async (t) => {
  const dir = t.testdir({ Containerfile: 'FROM x\n' });
  await t.rejects(packContext(dir, { extraDirs: { wheels: join(dir, 'missing') } }).then(readTar), { code: 'ENOENT' });
});

import t from 'tap';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes either happen whole or not at all, with exactly the mode asked for. */

t.test('modes are exact whatever the umask', async (t) => {
  const { writeFileAtomic } = await import('../../src/base/atomic-write.js');
  const dir = t.testdir();
  const previous = process.umask(0o077);
  try {
    await writeFileAtomic(join(dir, 'truststore.p12'), 'x', { mode: 0o644 });
    await writeFileAtomic(join(dir, 'keystore.p12'), 'x', { mode: 0o600 });
  } finally {
    process.umask(previous);
  }
  t.equal(statSync(join(dir, 'truststore.p12')).mode & 0o777, 0o644);
  t.equal(statSync(join(dir, 'keystore.p12')).mode & 0o777, 0o600);
});

t.test('a write that fails half way leaves the old file byte-identical and no temp file', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'truststore.p12');
  writeFileSync(path, 'the old contents');
  // The failure comes at the last step, after the new bytes were written to the temp file.
  const modulePath = new URL('../../src/base/atomic-write.js', import.meta.url).href;
  const { writeFileAtomic } = await t.mockImport<typeof import('../../src/base/atomic-write.js')>(modulePath, {
    'node:fs/promises': {
      ...(await import('node:fs/promises')),
      rename: async () => {
        throw Object.assign(new Error('injected: disk gone'), { code: 'EIO' });
      },
    },
  });
  await t.rejects(writeFileAtomic(path, 'the new contents', { mode: 0o644, overwrite: true }), /injected/);
  t.equal(readFileSync(path, 'utf8'), 'the old contents');
  t.same(readdirSync(dir), ['truststore.p12'], 'no temporary file left behind');
});

t.test('writeFileIfChanged leaves identical bytes alone and mends a wrong mode', async (t) => {
  const { writeFileIfChanged } = await import('../../src/base/atomic-write.js');
  const dir = t.testdir();
  const path = join(dir, 'bundle.pem');
  t.equal(await writeFileIfChanged(path, 'pem', 0o644), 'created');
  const before = statSync(path).mtimeMs;
  chmodSync(path, 0o600);
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(await writeFileIfChanged(path, 'pem', 0o644), 'unchanged');
  t.equal(statSync(path).mtimeMs, before, 'not rewritten');
  t.equal(statSync(path).mode & 0o777, 0o644, 'mode mended');
  t.equal(await writeFileIfChanged(path, 'pem2', 0o644), 'updated');
});

t.test('concurrent writers without overwrite: exactly one wins, the file holds exactly its bytes', async (t) => {
  const { writeFileAtomic } = await import('../../src/base/atomic-write.js');
  const dir = t.testdir();
  for (let round = 0; round < 20; round++) {
    const path = join(dir, `tls-${round}.key`);
    const contents = Array.from({ length: 8 }, (_, writer) => `writer ${writer} `.repeat(1000 + writer));
    const results = await Promise.allSettled(contents.map((data) => writeFileAtomic(path, data, { mode: 0o600 })));
    const winners = results.flatMap((result, writer) => (result.status === 'fulfilled' ? [writer] : []));
    t.equal(winners.length, 1, `round ${round}: one writer wins`);
    t.equal(readFileSync(path, 'utf8'), contents[winners[0]!], `round ${round}: the file is the winner's, whole`);
    for (const result of results) {
      if (result.status === 'rejected') t.match(result.reason, { code: 'FILE_EXISTS', subject: path }, 'the others are told it exists');
    }
  }
  t.same(readdirSync(dir).filter((name) => name.endsWith('.tmp')), [], 'no temporary file left behind');
});

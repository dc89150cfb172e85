import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Layers from the bottom up; a file may import its own layer and the ones before it. */
const LAYERS = ['base', 'pki', 'trust', 'engine', 'cluster', 'cli'];
const srcDir = fileURLToPath(new URL('../../src', import.meta.url));

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

t.test('imports only go down the layers', async (t) => {
  let checked = 0;
  for (const file of sourceFiles(srcDir)) {
    const layer = relative(srcDir, file).split('/')[0]!;
    const rank = LAYERS.indexOf(layer);
    t.not(rank, -1, `${file} is in a known layer`);
    for (const match of readFileSync(file, 'utf8').matchAll(/(?:from |import\()'(\.{1,2}\/[^']+)'/g)) {
      const target = relative(srcDir, join(file, '..', match[1]!)).split('/')[0]!;
      t.ok(LAYERS.indexOf(target) <= rank, `${relative(srcDir, file)} imports ${match[1]} (${target} is above ${layer})`, { diagnostic: false });
      checked++;
    }
  }
  t.ok(checked > 10, `checked ${checked} imports`);
});

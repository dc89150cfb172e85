import { readdir } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Runs every benchmark module next to this file (each exports `name` and `run(log)`), one after
 * another so they do not compete for cores. Output is plain lines, easy to paste or diff.
 */

interface Bench {
  name: string;
  run(log: (line: string) => void): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const self = fileURLToPath(import.meta.url);

const log = (line: string) => process.stdout.write(`${line}\n`);
log(`node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'})`);

// `npm run bench -- cert-issue truststore` runs only those; without names, every benchmark.
const wanted = process.argv.slice(2);
const files = (await readdir(here)).filter((file) => file.endsWith('.js') && `${here}/${file}` !== self).sort();
let failed = 0;
for (const file of files) {
  const bench = (await import(pathToFileURL(`${here}/${file}`).href)) as Partial<Bench>;
  if (typeof bench.run !== 'function') continue;
  const label = bench.name ?? file;
  if (wanted.length > 0 && !wanted.includes(label)) continue;
  log(`# ${label}`);
  // One benchmark failing (say, no engine for build) must not hide the others' figures.
  try {
    await bench.run((line) => log(`${label}: ${line}`));
  } catch (error) {
    failed++;
    log(`${label}: FAILED: ${(error as Error).message.split('\n')[0]}`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;

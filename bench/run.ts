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

const files = (await readdir(here)).filter((file) => file.endsWith('.js') && `${here}/${file}` !== self).sort();
for (const file of files) {
  const bench = (await import(pathToFileURL(`${here}/${file}`).href)) as Partial<Bench>;
  if (typeof bench.run !== 'function') continue;
  const label = bench.name ?? file;
  log(`# ${label}`);
  await bench.run((line) => log(`${label}: ${line}`));
}

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathExists } from '../base/atomic-write.js';
import { inputError } from '../base/errors.js';
import { PACKAGES_FILE } from './debhouse.js';
import { REQUIREMENTS_FILE } from './wheelhouse.js';

/** One image to build: a directory under images/ holding a Containerfile. */
export interface ImageSpec {
  name: string;
  dir: string;
  containerfile: string;
  /** Names of other images under images/ that this one is built FROM. */
  localDependencies: string[];
  /** The image's requirements.txt, when it has one: its build context then carries the wheels. */
  requirements?: string | undefined;
  /** The image's packages.txt, when it has one: its build context then carries those .debs. */
  packages?: string | undefined;
}

/**
 * A FROM line naming dh-podman/<name> (optionally localhost/, a tag, and AS stage) refers to
 * the image built from images/<name>; anything else (a registry image, ${BASE_IMAGE}) is
 * external.
 */
const LOCAL_FROM = /^(\s*FROM\s+(?:--platform=\S+\s+)?)(?:localhost\/)?dh-podman\/([a-z0-9][a-z0-9._-]*)(?::[\w.-]+)?(\s+AS\s+\S+)?\s*$/gim;

export async function discoverImages(imagesDir: string): Promise<ImageSpec[]> {
  let entries;
  try {
    entries = await readdir(imagesDir, { withFileTypes: true });
  } catch {
    throw inputError('IMAGES_DIR_MISSING', 'does not exist', { subject: imagesDir, fix: 'run from the project directory, or pass --images-dir' });
  }
  const specs: ImageSpec[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const dir = join(imagesDir, entry.name);
    let containerfile: string;
    try {
      containerfile = await readFile(join(dir, 'Containerfile'), 'utf8');
    } catch {
      continue;
    }
    const localDependencies = [...containerfile.matchAll(LOCAL_FROM)].map((match) => match[2]!);
    const requirements = join(dir, REQUIREMENTS_FILE);
    const packages = join(dir, PACKAGES_FILE);
    specs.push({
      name: entry.name,
      dir,
      containerfile,
      localDependencies: [...new Set(localDependencies)],
      ...((await pathExists(requirements)) ? { requirements } : {}),
      ...((await pathExists(packages)) ? { packages } : {}),
    });
  }
  return specs;
}

/**
 * Orders images so each comes after the images it is built FROM, keeping only `only` and what
 * they need. An unknown name, a FROM of an image that does not exist, or a cycle is an error.
 */
export function buildOrder(specs: ImageSpec[], only: string[] = []): ImageSpec[] {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  for (const name of only) {
    if (!byName.has(name)) {
      throw inputError('IMAGE_UNKNOWN', `no image "${name}" (known: ${[...byName.keys()].join(', ')})`, { subject: '--only', fix: 'name a directory under images/' });
    }
  }
  const ordered: ImageSpec[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (spec: ImageSpec, path: string[]) => {
    if (state.get(spec.name) === 'done') return;
    if (state.get(spec.name) === 'visiting') {
      throw inputError('IMAGE_CYCLE', `images are built FROM each other in a cycle: ${[...path, spec.name].join(' → ')}`, {
        subject: `images/${spec.name}/Containerfile`,
        fix: 'break the cycle of FROM lines',
      });
    }
    state.set(spec.name, 'visiting');
    for (const dependency of spec.localDependencies) {
      const target = byName.get(dependency);
      if (!target) {
        throw inputError('IMAGE_UNKNOWN', `FROM dh-podman/${dependency}, but there is no images/${dependency}`, {
          subject: `images/${spec.name}/Containerfile`,
          fix: `add images/${dependency}/Containerfile or change the FROM line`,
        });
      }
      visit(target, [...path, spec.name]);
    }
    state.set(spec.name, 'done');
    ordered.push(spec);
  };
  const roots = only.length > 0 ? only.map((name) => byName.get(name)!) : specs;
  for (const spec of roots) visit(spec, []);
  return ordered;
}

/** The same Containerfile with every local FROM pointing at the tag `tagOf(name)`. */
export function rewriteLocalFroms(containerfile: string, tagOf: (name: string) => string): string {
  return containerfile.replace(LOCAL_FROM, (_line, from: string, name: string, stage: string | undefined) => `${from}${tagOf(name)}${stage ?? ''}`);
}

import { posix } from 'node:path';

/**
 * Files of an image as read through the engine (or written into a layer): absolute paths in the
 * image, with what a tar entry carries. The trust computations read the OS's trust files from
 * such a tree and answer with the entries of the layer that replaces them.
 */
export interface TreeEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  content?: Buffer | undefined;
  /** A symlink's target, as written (relative to its directory, or absolute). */
  target?: string | undefined;
}

export type ImageTree = Map<string, TreeEntry>;

export function treeOf(entries: TreeEntry[]): ImageTree {
  return new Map(entries.map((entry) => [entry.path, entry]));
}

/** The file a path names, following symlinks as the image's kernel would; undefined when dangling. */
export function resolveFile(tree: ImageTree, path: string): TreeEntry | undefined {
  let current = posix.normalize(path);
  for (let hops = 0; hops < 40; hops++) {
    const entry = tree.get(current);
    if (!entry) return undefined;
    if (entry.type !== 'symlink') return entry.type === 'file' ? entry : undefined;
    current = posix.resolve(posix.dirname(current), entry.target ?? '');
  }
  return undefined;
}

/** Entries directly or indirectly under `dir`, in byte order of their paths. */
export function entriesUnder(tree: ImageTree, dir: string): TreeEntry[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return [...tree.values()].filter((entry) => entry.path.startsWith(prefix)).sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

/**
 * The directories a layer's entries need, each with its mode in the image (so COPY leaves the
 * image's own directories as they were), 0755 for those the image lacks.
 */
export function withParents(tree: ImageTree, entries: TreeEntry[]): TreeEntry[] {
  const dirs = new Map<string, TreeEntry>();
  for (const entry of entries) {
    for (let dir = posix.dirname(entry.path); dir !== '/'; dir = posix.dirname(dir)) {
      if (dirs.has(dir)) continue;
      const existing = tree.get(dir);
      dirs.set(dir, { path: dir, type: 'directory', mode: existing?.type === 'directory' ? existing.mode : 0o755 });
    }
  }
  const sorted = [...dirs.values()].sort((a, b) => a.path.length - b.path.length || (a.path < b.path ? -1 : 1));
  return [...sorted, ...entries];
}

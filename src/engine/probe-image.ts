import { execFile } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { runtimeError } from '../base/errors.js';
import type { Images } from './images.js';

/**
 * The tiny image engine checks run: the host's static busybox with every applet linked under
 * bin/. Nothing can be pulled, so it is imported from the host, once per machine, and found
 * again by tag; scripts/podman-env.sh makes the same image the same way with `podman import`.
 */
export const PROBE_IMAGE = 'localhost/dh-podman/busybox:latest';

/** Where Debian's busybox-static puts it (/bin is /usr/bin on merged-/usr hosts). */
const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];
const INSTALL_FIX = 'install busybox-static (apt-get install busybox-static)';

export type ProbeImageResult = { status: 'exists' | 'created'; tag: string; busybox?: string };

export async function ensureProbeImage(images: Images, tag = PROBE_IMAGE, candidates = BUSYBOX_CANDIDATES): Promise<ProbeImageResult> {
  if (await images.exists(tag)) return { status: 'exists', tag };
  const busybox = await findStaticBusybox(candidates);
  const { stdout } = await promisify(execFile)(busybox, ['--list']);
  const applets = stdout.split('\n').map((line) => line.trim()).filter((name) => /^[\w.[-]+$/.test(name) && name !== 'busybox');
  await images.importRootfs(await packBusybox(await readFile(busybox), applets), tag);
  return { status: 'created', tag, busybox };
}

async function findStaticBusybox(candidates: string[]): Promise<string> {
  for (const path of candidates) {
    const linking = await elfLinking(path);
    if (linking === 'static') return path;
    if (linking === 'dynamic') {
      throw runtimeError('PROBE_BUSYBOX_DYNAMIC', 'is dynamically linked: it cannot run in an image without a C library', { subject: path, fix: INSTALL_FIX });
    }
  }
  throw runtimeError('PROBE_BUSYBOX_MISSING', `no busybox on this host (looked at ${candidates.join(', ')}) to make the probe image ${PROBE_IMAGE} from`, {
    fix: INSTALL_FIX,
  });
}

/**
 * Whether an ELF executable needs a dynamic loader: a PT_INTERP program header says it does.
 * Reads the 64- or 32-bit little-endian header only; anything else is 'unknown'.
 */
async function elfLinking(path: string): Promise<'static' | 'dynamic' | 'missing' | 'unknown'> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return 'missing';
  }
  try {
    const header = Buffer.alloc(64);
    await handle.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[5] !== 1) return 'unknown';
    const is64 = header[4] === 2;
    const phoff = is64 ? Number(header.readBigUInt64LE(0x20)) : header.readUInt32LE(0x1c);
    const phentsize = header.readUInt16LE(is64 ? 0x36 : 0x2a);
    const phnum = header.readUInt16LE(is64 ? 0x38 : 0x2c);
    const table = Buffer.alloc(phentsize * phnum);
    await handle.read(table, 0, table.length, phoff);
    const PT_INTERP = 3;
    for (let i = 0; i < phnum; i++) if (table.readUInt32LE(i * phentsize) === PT_INTERP) return 'dynamic';
    return 'static';
  } finally {
    await handle.close();
  }
}

async function packBusybox(binary: Buffer, applets: string[]): Promise<Readable> {
  const { default: tarStream } = await import('tar-stream');
  const pack = tarStream.pack();
  pack.entry({ name: 'bin', type: 'directory', mode: 0o755 });
  pack.entry({ name: 'bin/busybox', mode: 0o755 }, binary);
  for (const applet of applets) pack.entry({ name: `bin/${applet}`, type: 'symlink', linkname: 'busybox' });
  pack.finalize();
  return pack as unknown as Readable;
}

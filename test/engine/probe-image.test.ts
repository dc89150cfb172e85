import t from 'tap';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { ensureProbeImage, PROBE_IMAGE } from '../../src/engine/probe-image.js';
import type { Images } from '../../src/engine/images.js';

/** The probe image comes from the host's static busybox; anything else is refused with the fix. */

interface Entry {
  name: string;
  type: string;
  linkname?: string;
  mode?: number;
}

/** An Images stand-in that has no image and records what would be imported. */
function fakeImages(): { images: Images; imported: Promise<{ reference: string; entries: Entry[] }> } {
  let done: (value: { reference: string; entries: Entry[] }) => void;
  const imported = new Promise<{ reference: string; entries: Entry[] }>((resolve) => (done = resolve));
  const images = {
    exists: async () => false,
    importRootfs: async (tar: Readable, reference: string) => {
      const { default: tarStream } = await import('tar-stream');
      const extract = tarStream.extract();
      const entries: Entry[] = [];
      extract.on('entry', (header, stream, next) => {
        entries.push({ name: header.name, type: header.type ?? 'file', ...(header.linkname ? { linkname: header.linkname } : {}), ...(header.mode ? { mode: header.mode } : {}) });
        stream.on('end', next);
        stream.resume();
      });
      await new Promise((resolve) => {
        extract.on('finish', resolve);
        tar.pipe(extract);
      });
      done({ reference, entries });
      return 'id';
    },
  } as unknown as Images;
  return { images, imported };
}

t.test('a dynamically linked busybox is refused, naming busybox-static', async (t) => {
  await t.rejects(ensureProbeImage(fakeImages().images, PROBE_IMAGE, ['/bin/ls']), {
    code: 'PROBE_BUSYBOX_DYNAMIC',
    subject: '/bin/ls',
    fix: 'install busybox-static (apt-get install busybox-static)',
  });
});

t.test('no busybox at all: the places looked at and the package to install', async (t) => {
  await t.rejects(ensureProbeImage(fakeImages().images, PROBE_IMAGE, ['/nonexistent/busybox']), {
    code: 'PROBE_BUSYBOX_MISSING',
    message: /looked at \/nonexistent\/busybox/,
    fix: 'install busybox-static (apt-get install busybox-static)',
  });
});

t.test("the host's busybox-static, with every applet linked, is imported under the tag", async (t) => {
  t.ok(existsSync('/bin/busybox'), 'busybox-static is installed (scripts/podman-env.sh installs it)');
  const { images, imported } = fakeImages();
  const result = await ensureProbeImage(images, 'localhost/doc-probe:test', ['/bin/busybox']);
  t.same(result, { status: 'created', tag: 'localhost/doc-probe:test', busybox: '/bin/busybox' });
  const { reference, entries } = await imported;
  t.equal(reference, 'localhost/doc-probe:test');
  t.match(entries.find((e) => e.name === 'bin/busybox'), { type: 'file', mode: 0o755 });
  for (const applet of ['sh', 'httpd', 'nslookup', 'wget', 'timeout']) {
    t.match(entries.find((e) => e.name === `bin/${applet}`), { type: 'symlink', linkname: 'busybox' }, applet);
  }
});

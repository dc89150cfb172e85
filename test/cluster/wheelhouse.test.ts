import t from 'tap';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCacheDir, ensureWheelhouse, imagePlatforms } from '../../src/cluster/wheelhouse.js';
import { tool } from '../support/tools.js';

t.test('wheels are for the image: every manylinux of glibc 2.17 to 2.36, on the host architecture', async (t) => {
  const platforms = imagePlatforms('x64');
  t.equal(platforms[0], 'manylinux_2_36_x86_64');
  t.ok(platforms.includes('manylinux_2_28_x86_64') && platforms.includes('manylinux_2_17_x86_64') && platforms.includes('manylinux2014_x86_64'));
  t.equal(imagePlatforms('arm64')[0], 'manylinux_2_36_aarch64');
});

t.test('the cache is /var/cache/dh-podman as root, the XDG cache dir otherwise', async (t) => {
  t.equal(defaultCacheDir({}, 0), '/var/cache/dh-podman');
  t.equal(defaultCacheDir({ XDG_CACHE_HOME: '/home/u/.cache' }, 1000), '/home/u/.cache/dh-podman');
});

// One cache for the downloads below: its pip venv (pip's own install, about 6 CPU-seconds) is
// made once. The failed download runs first, while the cache holds no wheelhouse yet.
const cache = join(t.testdir(), 'cache');

t.test('a failed download says so and leaves no wheelhouse behind to be mistaken for a cached one', { timeout: 180_000 }, async (t) => {
  const dir = t.testdir();
  const requirements = join(dir, 'requirements.txt');
  writeFileSync(requirements, 'nothing-here==1.0 --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000\n');
  // An index nobody answers on: pip fails at once, without the network.
  Object.assign(process.env, { PIP_INDEX_URL: 'http://127.0.0.1:9/simple', PIP_RETRIES: '0', PIP_TIMEOUT: '2' });
  await t.rejects(ensureWheelhouse(requirements, cache), { code: 'WHEELS_DOWNLOAD_FAILED' });
  t.same(readdirSync(join(cache, 'wheelhouse')), [], 'no wheelhouse, no partial one');
});

t.test('a download reports the bytes that arrived', { timeout: 180_000 }, async (t) => {
  const dir = t.testdir({ links: {} });
  // A real wheel, made here and offered by pip's own --find-links (PIP_* from the environment):
  // no index and no network.
  const wheel = join(dir, 'links', 'dhup_tiny-1.0-py3-none-any.whl');
  const made = await tool('python3', ['-c', MAKE_WHEEL, wheel]);
  t.equal(made.code, 0, made.stderr);
  const hash = createHash('sha256').update(readFileSync(wheel)).digest('hex');
  const requirements = join(dir, 'requirements.txt');
  writeFileSync(requirements, `dhup-tiny==1.0 --hash=sha256:${hash}\n`);
  Object.assign(process.env, { PIP_NO_INDEX: '1', PIP_FIND_LINKS: join(dir, 'links') });
  t.teardown(() => {
    delete process.env.PIP_NO_INDEX;
    delete process.env.PIP_FIND_LINKS;
  });
  const counts: number[] = [];
  const house = await ensureWheelhouse(requirements, cache, () => undefined, (count) => counts.push(count));
  t.match(house, { wheels: 1, downloaded: true });
  t.equal(counts.at(-1), statSync(wheel).size, 'the last count is the size of what arrived');
});

/** A minimal wheel: the three dist-info files pip reads. */
const MAKE_WHEEL = `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("dhup_tiny/__init__.py", "")
    z.writestr("dhup_tiny-1.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: dhup-tiny\\nVersion: 1.0\\n")
    z.writestr("dhup_tiny-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
    z.writestr("dhup_tiny-1.0.dist-info/RECORD", "")
`;

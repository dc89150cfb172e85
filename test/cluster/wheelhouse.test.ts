import t from 'tap';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCacheDir, ensureWheelhouse, imagePlatforms } from '../../src/cluster/wheelhouse.js';

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

t.test('a failed download says so and leaves no wheelhouse behind to be mistaken for a cached one', { timeout: 180_000 }, async (t) => {
  const dir = t.testdir();
  const requirements = join(dir, 'requirements.txt');
  writeFileSync(requirements, 'nothing-here==1.0 --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000\n');
  // An index nobody answers on: pip fails at once, without the network.
  Object.assign(process.env, { PIP_INDEX_URL: 'http://127.0.0.1:9/simple', PIP_RETRIES: '0', PIP_TIMEOUT: '2' });
  await t.rejects(ensureWheelhouse(requirements, join(dir, 'cache')), { code: 'WHEELS_DOWNLOAD_FAILED' });
  t.same(readdirSync(join(dir, 'cache', 'wheelhouse')), [], 'no wheelhouse, no partial one');
});

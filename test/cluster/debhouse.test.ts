import t from 'tap';
import { candidatesOf, parsePackagesFile } from '../../src/cluster/debhouse.js';

t.test('a packages file is package names, one a line, comments and blanks ignored', async (t) => {
  t.same(parsePackagesFile('# the server\netcd-server\n\nlibfoo1.2+x  # trailing\netcd-server\n', 'packages.txt'), ['etcd-server', 'libfoo1.2+x']);
  t.throws(() => parsePackagesFile('etcd-server=3.4\n', 'images/etcd/packages.txt'), { code: 'PACKAGES_FILE_INVALID', subject: 'images/etcd/packages.txt' });
  t.throws(() => parsePackagesFile('--allow-unauthenticated\n', 'p.txt'), { code: 'PACKAGES_FILE_INVALID' }, 'an option is never passed to apt');
});

t.test('the cache key reads each stanza of apt-cache show', async (t) => {
  const show = [
    'Package: etcd-server\nVersion: 3.4.23-4+b4\nArchitecture: amd64\nSHA256: 3a94\nDescription: x\n',
    'Package: adduser\nVersion: 3.134\nArchitecture: all\nSHA256: 77aa\n',
  ].join('\n');
  t.same(candidatesOf(show), [
    { name: 'etcd-server', version: '3.4.23-4+b4', arch: 'amd64', sha256: '3a94' },
    { name: 'adduser', version: '3.134', arch: 'all', sha256: '77aa' },
  ]);
});

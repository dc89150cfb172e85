import t from 'tap';
import { tryHandshake } from '../../src/pki/handshake.js';
import { issueLeaf, issueRootCa } from '../../src/pki/issue.js';

/** The final handshake: it connects where a client would, and says why where one would not. */
t.test('a real handshake on loopback', async (t) => {
  const root = await issueRootCa({ key: 'ecdsa-p256', commonName: 'handshake root' });
  const other = await issueRootCa({ key: 'ecdsa-p256', commonName: 'other root' });
  const leaf = await issueLeaf({ certificateDer: root.certificateDer, privateKey: root.privateKey, label: 'root' }, { key: 'ecdsa-p256', hostnames: ['dh1.example.test'] });
  const input = { chainPem: leaf.certificatePem, keyPem: leaf.privateKeyPem, caPem: root.certificatePem, hostname: 'dh1.example.test' };

  const good = await tryHandshake(input);
  t.equal(good.ok, true, 'connects with the right CA and hostname');

  const wrongHost = await tryHandshake({ ...input, hostname: 'dh2.example.test' });
  t.equal(wrongHost.ok, false, 'refuses another hostname');
  t.match(!wrongHost.ok && wrongHost.reason, /dh2\.example\.test/, 'and names it');

  const wrongCa = await tryHandshake({ ...input, caPem: other.certificatePem });
  t.equal(wrongCa.ok, false, 'refuses a chain the CA file does not anchor');

  const wrongKey = await tryHandshake({ ...input, keyPem: other.privateKeyPem });
  t.equal(wrongKey.ok, false, 'refuses a key that is not the leaf key');
});

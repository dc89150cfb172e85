import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planDerivedFiles } from '../../src/cluster/derived-files.js';
import { podStatePaths } from '../../src/cluster/layout.js';
import { planProfileFiles, tlsProfileOf } from '../../src/cluster/tls-profile.js';
import { readKeystoreMaterial } from '../../src/trust/keystore.js';
import { buildPool } from '../../src/trust/pool.js';
import { readSource } from '../../src/trust/sources.js';
import { makeCa, makeLeaf, makeVolume, openssl } from '../support/openssl.js';

t.test('the image label picks the profile; absent means enterprise; an unknown one is refused', async (t) => {
  t.equal(tlsProfileOf({}, 'img'), 'enterprise');
  t.equal(tlsProfileOf({ 'io.dh-podman.tls-profile': 'community' }, 'img'), 'community');
  t.equal(tlsProfileOf({ 'io.dh-podman.tls-profile': 'enterprise' }, 'img'), 'enterprise');
  t.throws(() => tlsProfileOf({ 'io.dh-podman.tls-profile': 'other' }, 'img'), { code: 'TLS_PROFILE_UNKNOWN' });
});

async function inputs(dir: string, withCa: boolean) {
  const ca = makeCa(dir, 'ca');
  const leaf = makeLeaf(dir, 'dh1.example.test', ca, ['dh1.example.test']);
  openssl(['ec', '-in', leaf.key, '-out', leaf.key], dir); // SEC1 on disk
  const volume = makeVolume(dir, 'tls', leaf);
  const { material } = await readKeystoreMaterial(volume);
  const source = await readSource({ kind: 'file', path: ca.cert });
  const cas = withCa ? buildPool([source.contents!]).entries : undefined;
  return { paths: podStatePaths(join(dir, 'state'), 'dh1'), keystore: material!, cas, ca };
}

t.test('community: PEM chain, PKCS#8 key for the service account only, ssl.* properties', async (t) => {
  const dir = t.testdir();
  const input = await inputs(dir, true);
  const plan = await planProfileFiles('community', input);
  const byPurpose = new Map(plan.files.map((f) => [f.purpose, f]));
  const key = byPurpose.get('identity key')!;
  t.match(key, { mode: 0o600, secret: true, action: 'create', containerPath: '/etc/sysconfig/deephaven/auth/tls-key.pem' });
  t.match(key.content.toString(), /^-----BEGIN PRIVATE KEY-----\n/, 'PKCS#8, whatever tls.key held');
  t.match(byPurpose.get('identity chain'), { mode: 0o600, secret: true });
  t.match(byPurpose.get('identity chain')!.content.toString(), /^-----BEGIN CERTIFICATE-----/);
  t.match(byPurpose.get('truststore PEM bundle'), { mode: 0o644, containerPath: '/etc/sysconfig/deephaven/trust/truststore-iris.pem' });
  t.notOk(byPurpose.has('keystore'), 'no PKCS#12 keystore');
  t.notOk(byPurpose.has('keystore passphrase'), 'no passphrase');
  t.same(plan.properties, {
    'ssl.identity.type': 'privatekey',
    'ssl.identity.certChainPath': '/etc/sysconfig/deephaven/auth/tls-chain.pem',
    'ssl.identity.privateKeyPath': '/etc/sysconfig/deephaven/auth/tls-key.pem',
    'ssl.trust.type': 'certs',
    'ssl.trust.path': '/etc/sysconfig/deephaven/trust/truststore-iris.pem',
  });
  t.notOk(plan.javaOpts.includes('PRIVATE'), 'no key material in DH_JAVA_OPTS');

  const system = await planProfileFiles('community', { ...input, cas: undefined });
  t.notOk(system.properties['ssl.trust.path'], 'without --ca-cert-file: no ssl.trust.*, the JVM default trust applies');
  t.notOk(system.properties['ssl.trust.type']);
});

t.test('community with client certificates: ssl.clientAuthentication WANTED or NEEDED, nothing else changes', async (t) => {
  const dir = t.testdir();
  const input = await inputs(dir, true);
  const plain = await planProfileFiles('community', input);
  t.notOk(plain.properties['ssl.clientAuthentication'], 'off unless asked for');
  for (const [mode, value] of [['wanted', 'WANTED'], ['needed', 'NEEDED']] as const) {
    const plan = await planProfileFiles('community', { ...input, clientAuth: mode });
    t.same(plan.properties, { ...plain.properties, 'ssl.clientAuthentication': value });
    t.match(plan.javaOpts, `-Dssl.clientAuthentication=${value}`);
  }
});

t.test('enterprise with client certificates: tls.clientAuthentication WANTED or NEEDED, nothing else changes', async (t) => {
  const dir = t.testdir();
  const input = await inputs(dir, true);
  const plain = await planProfileFiles('enterprise', input);
  t.notOk(plain.properties['tls.clientAuthentication'], 'off unless asked for');
  for (const [mode, value] of [['wanted', 'WANTED'], ['needed', 'NEEDED']] as const) {
    const plan = await planProfileFiles('enterprise', { ...input, clientAuth: mode });
    t.same(plan.properties, { ...plain.properties, 'tls.clientAuthentication': value });
    t.match(plan.javaOpts, `-Dtls.clientAuthentication=${value}`);
  }
});

t.test('switching profile removes what the other one derived', async (t) => {
  const dir = t.testdir();
  const input = await inputs(dir, true);
  const write = (files: { hostPath: string; content: Buffer; action: string }[]) => {
    for (const file of files) {
      if (file.action === 'remove') continue;
      mkdirSync(join(file.hostPath, '..'), { recursive: true });
      writeFileSync(file.hostPath, file.content);
    }
  };
  write((await planDerivedFiles(input)).files);
  const community = await planProfileFiles('community', input);
  t.same(
    community.files.filter((f) => f.action === 'remove').map((f) => f.purpose).sort(),
    ['keystore', 'keystore passphrase', 'truststore', 'truststore passphrase'],
  );
  write(community.files);
  const enterprise = await planDerivedFiles(input);
  t.same(enterprise.files.filter((f) => f.action === 'remove').map((f) => f.purpose).sort(), ['identity chain', 'identity key']);
  t.equal(readFileSync(input.paths.truststoreIrisPem, 'utf8'), community.files.find((f) => f.purpose === 'truststore PEM bundle')!.content.toString());
});

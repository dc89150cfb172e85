import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planDerivedFiles } from '../../src/cluster/derived-files.js';
import { podStatePaths } from '../../src/cluster/layout.js';
import { planProfileFiles, profileOfImage, tlsProfileOf } from '../../src/cluster/tls-profile.js';
import type { Engine } from '../../src/engine/engine.js';
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
    // Calls to other servers: the same identity and trust (Deephaven 42.7 does not fall back to ssl.*).
    'outbound.ssl.identity.type': 'privatekey',
    'outbound.ssl.identity.certChainPath': '/etc/sysconfig/deephaven/auth/tls-chain.pem',
    'outbound.ssl.identity.privateKeyPath': '/etc/sysconfig/deephaven/auth/tls-key.pem',
    'outbound.ssl.trust.type': 'certs',
    'outbound.ssl.trust.path': '/etc/sysconfig/deephaven/trust/truststore-iris.pem',
  });
  t.notOk(plan.javaOpts.includes('PRIVATE'), 'no key material in DH_JAVA_OPTS');

  const system = await planProfileFiles('community', { ...input, cas: undefined });
  t.notOk(system.properties['ssl.trust.path'], 'without --ca-cert-file: no ssl.trust.*, the JVM default trust applies');
  t.notOk(system.properties['ssl.trust.type']);
  t.notOk(system.properties['outbound.ssl.trust.path'], 'nor outbound.ssl.trust.*');
  t.equal(system.properties['outbound.ssl.identity.type'], 'privatekey');
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

t.test('community behind a front: outbound.ssl.* from the internal truststore, the front\'s files kept', async (t) => {
  const dir = t.testdir();
  const input = await inputs(dir, true);
  const internal = makeCa(dir, 'internal');
  const internalCas = buildPool([(await readSource({ kind: 'file', path: internal.cert })).contents!]).entries;
  const front = { material: input.keystore, envoyConfig: 'static_resources: {}\n' };
  const plan = await planProfileFiles('community', { ...input, internalCas, front });
  t.match(plan.properties, {
    'ssl.trust.path': '/etc/sysconfig/deephaven/trust/truststore-iris.pem',
    'outbound.ssl.identity.type': 'privatekey',
    'outbound.ssl.identity.certChainPath': '/etc/sysconfig/deephaven/auth/tls-chain.pem',
    'outbound.ssl.identity.privateKeyPath': '/etc/sysconfig/deephaven/auth/tls-key.pem',
    'outbound.ssl.trust.type': 'certs',
    'outbound.ssl.trust.path': '/etc/sysconfig/deephaven/trust/truststore-internal.pem',
  });
  t.notOk(plan.properties['tls.keystore'], 'no enterprise properties');
  const byPurpose = new Map(plan.files.map((f) => [f.purpose, f]));
  t.same(
    [...byPurpose.keys()].sort(),
    ['Envoy bootstrap', 'front keystore', 'identity chain', 'identity key', 'internal truststore', 'internal truststore PEM bundle', 'keystore passphrase', 'properties', 'truststore PEM bundle', 'truststore passphrase'],
    'the front\'s keystore, passphrase, bootstrap and the internal truststore; no keystore.p12 of the service',
  );
  t.equal((byPurpose.get('internal truststore PEM bundle')!.content.toString().match(/BEGIN CERTIFICATE/g) ?? []).length, 1, 'the internal truststore holds the internal CA only');
  t.match(byPurpose.get('front keystore'), { mode: 0o600, secret: true, action: 'create' });
  t.equal(new Set(plan.files.map((f) => f.hostPath)).size, plan.files.length, 'each file planned once');

  const unfronted = await planProfileFiles('community', input);
  t.equal(unfronted.properties['outbound.ssl.trust.path'], '/etc/sysconfig/deephaven/trust/truststore-iris.pem', 'without a front: the trust it serves with');
});

t.test('kube generate reads the profile of images Podman has; one it has not is taken as enterprise, and said', async (t) => {
  const images: Record<string, Record<string, string>> = { 'localhost/dh-podman/deephaven:latest': { 'io.dh-podman.tls-profile': 'community' } };
  const engine = { images: { inspect: async (image: string) => (images[image] ? { id: 'sha256:1', labels: images[image] } : undefined) } } as unknown as Engine;
  const said: string[] = [];
  t.equal(await profileOfImage(engine, 'localhost/dh-podman/deephaven:latest', (line) => said.push(line)), 'community');
  t.same(said, []);
  t.equal(await profileOfImage(engine, 'registry.example/dh:1', (line) => said.push(line)), 'enterprise');
  t.match(said, [/registry\.example\/dh:1 is not in Podman.*enterprise profile; build it first/]);
});

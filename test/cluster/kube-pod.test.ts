import t, { type Test } from 'tap';
import { join } from 'node:path';
import type { ClusterSpec } from '../../src/cluster/cluster-file.js';
import { kubeExport } from '../../src/cluster/kube-export.js';
import type { TlsProfile } from '../../src/cluster/tls-profile.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';

/**
 * kube generate derives each pod's files for its image's TLS profile, as `up` does: a Deephaven
 * Community pod gets the PEM chain and PKCS#8 key (in a Secret, never the ConfigMap) and ssl.*
 * properties, and is probed where it answers (its web IDE; it has no /health).
 */

const DEEPHAVEN = 'localhost/dh-podman/deephaven:latest';
const PROBE = 'localhost/dh-podman/probe:latest';
const profiles: Record<string, TlsProfile> = { [DEEPHAVEN]: 'community', [PROBE]: 'enterprise' };

interface Obj {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
  spec?: { containers: { name: string; env?: { value: string }[]; readinessProbe?: { httpGet: { path: string; port: number; scheme: string } } }[]; initContainers: { command: string[] }[] };
}

async function exported(t: Test, fronted: boolean) {
  const dir = t.testdir();
  const ca = makeCa(dir, 'ca');
  const pod = (name: string, image: string) => ({
    name,
    hostname: `${name}.dhc.localhost`,
    image,
    certificate: { mode: 'existing' as const, tlsVolume: makeVolume(dir, `tls-${name}`, makeLeaf(dir, name, ca, [`${name}.dhc.localhost`, 'dh.dhc.localhost'])) },
  });
  const spec: ClusterSpec = {
    cluster: 'dhc-kube',
    trust: { caCertFile: ca.cert, ...(fronted ? { internalCaCertFile: ca.cert } : {}) },
    ...(fronted ? { envoy: { hostname: 'dh.dhc.localhost', image: 'localhost/dh-podman/front:latest' } } : {}),
    pods: [pod('a', DEEPHAVEN), pod('p', PROBE)],
  };
  const result = await kubeExport(spec, join(dir, 'state'), join(dir, 'out', 'dhc-kube.yaml'), async (image) => profiles[image]!, () => undefined);
  const objects = result.objects.map((object) => object.toJSON() as unknown as Obj);
  const named = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
  return { result, named };
}

t.test('a community pod: PEM identity in the Secret, ssl.* properties, probed at /ide/', async (t) => {
  const { named } = await exported(t, false);
  const stores = named('Secret', 'a-stores');
  t.same(Object.keys(stores.data!).sort(), ['encoding-check', 'tls-chain.pem', 'tls-key.pem'], 'the key and chain copies travel in the Secret');
  t.match(Buffer.from(stores.data!['tls-key.pem']!, 'base64').toString(), /^-----BEGIN PRIVATE KEY-----/, 'PKCS#8');
  const config = named('ConfigMap', 'a-config');
  t.same(Object.keys(config.data!).sort(), ['dh-podman.prop', 'truststore-iris.pem']);
  t.notMatch(JSON.stringify(config.data), /PRIVATE KEY/, 'no key in the ConfigMap');
  t.match(config.data!['dh-podman.prop'], /^ssl\.identity\.type=privatekey$/m);
  t.match(config.data!['dh-podman.prop'], /^ssl\.trust\.path=\/etc\/sysconfig\/deephaven\/trust\/truststore-iris\.pem$/m);
  t.notMatch(config.data!['dh-podman.prop'], /tls\.keystore/);

  const pod = named('Pod', 'a');
  t.equal(pod.metadata.annotations?.['io.dh-podman.tls-profile'], 'community');
  const svc = pod.spec!.containers.find((c) => c.name === 'svc')!;
  t.same(svc.readinessProbe?.httpGet, { path: '/ide/', port: 8123, scheme: 'HTTPS' });
  t.notMatch(svc.env![0]!.value, /keystore/);
  const unpack = pod.spec!.initContainers[0]!.command[2]!;
  t.match(unpack, /put \/run\/dh-podman\/stores\/tls-key\.pem \/etc\/sysconfig\/deephaven\/auth\/tls-key\.pem 0600 9000:9000 secret/, 'the key is the service account\'s, 0600');
  t.match(unpack, /put \/run\/dh-podman\/config\/truststore-iris\.pem \/etc\/sysconfig\/deephaven\/trust\/truststore-iris\.pem 0644 0:0 plain/);

  const probe = named('Pod', 'p');
  t.equal(probe.metadata.annotations?.['io.dh-podman.tls-profile'], 'enterprise');
  t.same(probe.spec!.containers.find((c) => c.name === 'svc')!.readinessProbe?.httpGet, { path: '/health', port: 8123, scheme: 'HTTPS' });
  t.ok(named('Secret', 'p-stores').data!['keystore.p12'], 'the enterprise pod keeps its PKCS#12 keystore');
});

t.test('a fronted community pod: outbound.ssl.trust.* from the internal truststore; the front gets its keystore', async (t) => {
  const { named } = await exported(t, true);
  const prop = named('ConfigMap', 'a-config').data!['dh-podman.prop']!;
  t.match(prop, /^outbound\.ssl\.trust\.path=\/etc\/sysconfig\/deephaven\/trust\/truststore-internal\.pem$/m);
  t.same(Object.keys(named('Secret', 'a-stores').data!).sort(), ['encoding-check', 'front-keystore.p12', 'keystore.passphrase', 'tls-chain.pem', 'tls-key.pem', 'truststore-internal.p12', 'truststore.passphrase']);
  const pod = named('Pod', 'a');
  t.ok(pod.spec!.containers.find((c) => c.name === 'front'), 'the front beside the service');
});

import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadClusterFile } from '../../src/cluster/cluster-file.js';
import { kubeExport } from '../../src/cluster/kube-export.js';
import { TrustManagerBundle } from '../../src/cluster/trust-manager-bundle.js';
import { decodePemText } from '../../src/pki/material.js';
import { writeClusterFile } from '../support/cluster-file.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';

/** A cluster with a site CA's pod and a generated one: two CAs in its trust bundle. */
async function exportCluster(t: Test, trustManager: boolean) {
  const dir = t.testdir();
  const ca = makeCa(dir, 'site', '/CN=bundle test site CA');
  makeVolume(dir, 'one', makeLeaf(dir, 'one', ca, ['one.bundle.test']));
  const file = join(dir, 'dh-podman.yaml');
  writeClusterFile(file, ['cluster: plan-bundle', 'stateDir: ./state', 'trust: { caCertFile: ./site.crt }'], [
    { name: 'plan-bundle-one', hostname: 'one.bundle.test', volume: './one' },
    { name: 'plan-bundle-gen', hostname: 'gen.bundle.test' },
  ]);
  const { spec } = await loadClusterFile(file);
  const exported = await kubeExport(spec!, join(dir, 'state'), join(dir, 'out', 'plan-bundle.yaml'), async () => 'enterprise' as const, () => undefined, () => undefined, { trustManager });
  const documents = parseAllDocuments(exported.yaml).map((doc) => doc.toJS() as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec?: any }); // eslint-disable-line @typescript-eslint/no-explicit-any
  return { dir, documents, bundlePem: readFileSync(join(dir, 'state/clusters/plan-bundle/trust-bundle.pem'), 'utf8') };
}

t.test('--trust-manager: the trust bundle is a trust-manager Bundle with each cluster CA inline', async (t) => {
  const { documents, bundlePem } = await exportCluster(t, true);
  const bundles = documents.filter((doc) => doc.kind === 'Bundle');
  t.equal(bundles.length, 1);
  const bundle = bundles[0]!;
  t.equal(bundle.apiVersion, 'trust.cert-manager.io/v1alpha1');
  t.equal(bundle.metadata.name, 'plan-bundle-trust-bundle');
  t.equal(bundle.metadata.namespace, undefined, 'Bundles are cluster scoped');
  t.same(bundle.spec.target, { configMap: { key: 'ca.crt' } });
  const sources = bundle.spec.sources as { inLine: string }[];
  t.same(sources.map((source) => Object.keys(source)), [['inLine'], ['inLine']], 'one inline source per CA, nothing else');
  const subjects = sources.map((source) => decodePemText(source.inLine, 'inLine').material!.certificates.map((c) => c.subject));
  t.same(subjects, [['CN=bundle test site CA'], ['O=dh-podman, CN=dh-podman plan-bundle cluster CA']], 'the site CA and the cluster CA');
  t.equal(sources.map((source) => source.inLine).join(''), bundlePem, 'together, the very bundle the pods trust');
  t.notOk(documents.some((doc) => doc.kind === 'ConfigMap' && doc.metadata.name === 'plan-bundle-trust-bundle'), 'and no plain ConfigMap of the bundle');
});

t.test('without it, the trust bundle stays a ConfigMap', async (t) => {
  const { documents, bundlePem } = await exportCluster(t, false);
  t.notOk(documents.some((doc) => doc.kind === 'Bundle'));
  const map = documents.find((doc) => doc.kind === 'ConfigMap' && doc.metadata.name === 'plan-bundle-trust-bundle') as unknown as { data: Record<string, string> };
  t.same(map.data, { 'ca.crt': bundlePem });
});

t.test('a Bundle without a certificate is refused', async (t) => {
  t.throws(() => new TrustManagerBundle('x', 'not PEM').validate(), { code: 'KUBE_SCHEMA', message: /spec\.sources is empty/ });
});

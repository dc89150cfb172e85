import t from 'tap';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigMap, Pod, Secret, Service } from 'kubernetes-models/v1';
import { runCli } from '../support/cli.js';
import { freePort } from '../support/net.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';
import { BASE_IMAGE, podmanEnv, requirePodman, PROBE_AND_FRONT } from '../support/podman.js';
import { curlHttps, eventually, podman, untagPrefix } from '../support/podman-cli.js';

/** The cluster exported as Kubernetes objects, brought up by `podman kube play`. */

const PREFIX = `localhost/dh-podman-test-kube-${process.pid}/`;
const cluster = `k${process.pid}`;

t.test('kube generate: schema-valid, keys only in Secrets, and podman kube play serves /health over TLS', async (t) => {
  if (!(await requirePodman(t))) return;
  const dir = t.testdir();
  const ca = makeCa(dir, 'site', '/CN=kube test site CA');
  const one = { name: `${cluster}-one`, hostname: 'one.kube.test', port: await freePort() };
  const two = { name: `${cluster}-two`, hostname: 'two.kube.test', port: await freePort() };
  makeVolume(dir, 'one', makeLeaf(dir, 'one', ca, [one.hostname]));
  const file = join(dir, 'dh-podman.yaml');
  writeFileSync(file, [
    `cluster: ${cluster}`,
    'stateDir: ./state',
    'trust: { caCertFile: ./site.crt }',
    'pods:',
    `  - { name: ${one.name}, hostname: ${one.hostname}, image: "${PREFIX}probe:latest", publish: [${one.port}], certificate: { mode: existing, tlsVolume: ./one } }`,
    `  - { name: ${two.name}, hostname: ${two.hostname}, image: "${PREFIX}probe:latest", publish: [${two.port}], certificate: { mode: generate } }`,
    '',
  ].join('\n'));
  const out = join(dir, 'kube');
  const yamlFile = join(out, `${cluster}.yaml`);
  t.teardown(async () => {
    // By name, not through the YAML: t.testdir() may already be gone when this runs.
    await podman(['pod', 'rm', '-f', one.name, two.name], true);
    // Podman 4.3 keeps the Secrets and the volumes made from Secrets and ConfigMaps after down.
    for (const pod of [one, two]) {
      for (const name of [`${pod.name}-tls`, `${pod.name}-stores`]) await podman(['secret', 'rm', name], true);
      for (const name of [`${pod.name}-tls`, `${pod.name}-stores`, `${pod.name}-config`, `${pod.name}-etc`]) await podman(['volume', 'rm', '-f', name], true);
    }
    await untagPrefix(PREFIX);
  });

  const generated = await runCli(['kube', 'generate', '-f', file, '--out', out, '--json'], { env: podmanEnv });
  t.equal(generated.code, 0, generated.stderr);
  t.equal(statSync(yamlFile).mode & 0o777, 0o600, 'the YAML holds Secrets: 0600');
  const docs = parseAllDocuments(readFileSync(yamlFile, 'utf8')).map((doc) => doc.toJS() as { kind: string; metadata: { name: string }; type?: string; data?: Record<string, string> });
  t.same(docs.map((doc) => `${doc.kind}/${doc.metadata.name}`).sort(), [
    `ConfigMap/${cluster}-trust-bundle`,
    `ConfigMap/${one.name}-config`, `ConfigMap/${two.name}-config`,
    `Pod/${one.name}`, `Pod/${two.name}`,
    `Secret/${one.name}-stores`, `Secret/${one.name}-tls`, `Secret/${two.name}-stores`, `Secret/${two.name}-tls`,
    `Service/${one.name}`, `Service/${two.name}`,
  ].sort());
  t.match(generated.stderr, /one\.kube\.test is not a Kubernetes Service name/, 'a FQDN cluster DNS cannot answer is warned about');
  t.match(JSON.parse(generated.stdout).warnings, [/one\.kube\.test/, /two\.kube\.test/], 'and listed with --json');

  // Checked again here, as a reader of the file would, against the Kubernetes API schemas.
  const models = { Pod, Secret, ConfigMap, Service } as const;
  for (const doc of docs) t.doesNotThrow(() => new models[doc.kind as keyof typeof models](doc as never).validate(), `${doc.kind} ${doc.metadata.name} is schema-valid`);
  t.ok(docs.filter((doc) => doc.kind === 'Secret' && doc.metadata.name.endsWith('-tls')).every((doc) => doc.type === 'kubernetes.io/tls'));

  // Every secret value, decoded, must appear nowhere outside the Secrets, in any encoding.
  const secrets = docs.filter((doc) => doc.kind === 'Secret').flatMap((doc) => Object.entries(doc.data ?? {}).filter(([key]) => key !== 'encoding-check').map(([, value]) => value));
  const elsewhere = JSON.stringify(docs.filter((doc) => doc.kind !== 'Secret'));
  t.notMatch(elsewhere, /PRIVATE KEY/, 'no PEM key outside Secrets');
  for (const encoded of secrets) {
    const raw = Buffer.from(encoded, 'base64');
    const text = raw.toString('utf8').trim();
    const printable = /^[\x20-\x7e\s]+$/.test(text) && !text.includes('CERTIFICATE');
    t.notOk(elsewhere.includes(encoded), 'a Secret value does not appear base64-encoded elsewhere');
    if (printable) t.notOk(elsewhere.includes(text), 'a key or passphrase does not appear in clear elsewhere');
  }
  const unit = readFileSync(join(out, `dh-podman-${cluster}.service`), 'utf8');
  t.match(unit, /^Requires=podman-kube@.*\.yaml\.service$/m);

  const build = await runCli(['build', '--tag-prefix', PREFIX, '--base-image', BASE_IMAGE, ...PROBE_AND_FRONT], { env: podmanEnv });
  t.equal(build.code, 0, build.stderr);
  const play = await podman(['kube', 'play', yamlFile], true);
  t.equal(play.code, 0, play.stderr);
  const bundle = join(dir, 'state', 'clusters', cluster, 'trust-bundle.pem');
  for (const pod of [one, two]) {
    const answer = await eventually(async () => {
      const result = await curlHttps(`https://${pod.hostname}:${pod.port}/health`, bundle, pod.hostname, pod.port);
      return result.code === 0 ? result.stdout : undefined;
    });
    t.match(JSON.parse(answer ?? '{}'), { status: 'ok', trust: 'truststore-iris' }, `${pod.hostname} answers /health over TLS under podman kube play`);
  }
  const modes = await podman(['exec', `${one.name}-svc`, 'stat', '-c', '%a %u %n', '/etc/sysconfig/deephaven/auth/keystore.p12', '/etc/sysconfig/deephaven/trust/truststore-iris.p12']);
  t.same(modes.stdout.trim().split('\n'), ['600 9000 /etc/sysconfig/deephaven/auth/keystore.p12', '644 0 /etc/sysconfig/deephaven/trust/truststore-iris.p12'], 'the keystore is 0600 and the service\'s; the truststore 0644');
  const keystores = [];
  for (const pod of [one, two]) keystores.push((await podman(['exec', `${pod.name}-svc`, 'sha256sum', '/etc/sysconfig/deephaven/auth/keystore.p12'])).stdout.split(' ')[0]);
  t.not(keystores[0], keystores[1], 'each pod has its own keystore');
});

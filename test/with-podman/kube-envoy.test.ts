import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigMap, Pod, Secret, Service } from 'kubernetes-models/v1';
import { runCli } from '../support/cli.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';
import { BASE_IMAGE, podmanEnv, requirePodman } from '../support/podman.js';
import { eventually, podman, untagPrefix } from '../support/podman-cli.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * An Envoy-fronted cluster exported for Kubernetes: the front container, envoy.pem in a Secret,
 * the internal truststore, a Service per machine; schema-valid, and played by Podman.
 */

const PREFIX = `localhost/dh-podman-test-kube-envoy-${process.pid}/`;
const cluster = `kenv-${process.pid}`;
const run = promisify(execFile);

type Doc = { kind: string; metadata: { name: string; annotations?: Record<string, string> }; type?: string; data?: Record<string, string>; spec?: Record<string, unknown> };

async function curl(url: string, caFile: string, host: string, address: string, port: number): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('curl', ['-sS', '--max-time', '20', '--cacert', caFile, '--resolve', `${host}:${port}:${address}`, url]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

t.test('kube generate exports an Envoy-fronted cluster that validates and plays under podman kube play', async (t) => {
  if (!(await requirePodman(t))) return;
  const dir = t.testdir();
  // X is external (envoy.pem, what clients trust); Y issues the machines' certificates (internal).
  const external = makeCa(dir, 'x', '/CN=kenv external CA X');
  const internal = makeCa(dir, 'y', '/CN=kenv internal CA Y');
  writeFileSync(join(dir, 'xy.crt'), readFileSync(external.cert, 'utf8') + readFileSync(internal.cert, 'utf8'));
  const front = 'front.kenv-kube.test';
  const envoyLeaf = makeLeaf(dir, 'envoy', external, [front]);
  const envoyPem = readFileSync(envoyLeaf.cert, 'utf8') + readFileSync(envoyLeaf.key, 'utf8');
  // Hostnames in the form Kubernetes DNS answers: NAME.NAMESPACE.svc.cluster.local.
  const pods = [
    { name: `${cluster}-one`, hostname: 'one.kenv.svc.cluster.local', volume: 'one' },
    { name: `${cluster}-two`, hostname: 'two.kenv.svc.cluster.local', volume: 'two' },
  ];
  for (const pod of pods) makeVolume(dir, pod.volume, makeLeaf(dir, pod.volume, internal, [pod.hostname]), [internal.cert], { 'envoy.pem': envoyPem });
  const file = join(dir, 'dh-podman.yaml');
  writeFileSync(file, [
    `cluster: ${cluster}`,
    'stateDir: ./state',
    'trust: { caCertFile: ./xy.crt }',
    `envoy: { hostname: ${front}, image: "${PREFIX}front:latest" }`,
    'pods:',
    ...pods.map((pod) => `  - { name: ${pod.name}, hostname: ${pod.hostname}, image: "${PREFIX}probe:latest", certificate: { mode: existing, tlsVolume: ./${pod.volume} } }`),
    '',
  ].join('\n'));
  const out = join(dir, 'kube');
  const yamlFile = join(out, `${cluster}.yaml`);
  t.teardown(async () => {
    await podman(['pod', 'rm', '-f', ...pods.map((pod) => pod.name)], true);
    for (const pod of pods) {
      for (const name of [`${pod.name}-tls`, `${pod.name}-stores`]) await podman(['secret', 'rm', name], true);
      for (const name of [`${pod.name}-tls`, `${pod.name}-stores`, `${pod.name}-config`, `${pod.name}-etc`]) await podman(['volume', 'rm', '-f', name], true);
    }
    await untagPrefix(PREFIX);
  });

  const generated = await runCli(['kube', 'generate', '-f', file, '--out', out], { env: podmanEnv });
  t.equal(generated.code, 0, generated.stderr);
  t.notMatch(generated.stderr, /not a Kubernetes Service name/, 'FQDNs of the Service form need no warning');
  const docs = parseAllDocuments(readFileSync(yamlFile, 'utf8')).map((doc) => doc.toJS() as Doc);
  const models = { Pod, Secret, ConfigMap, Service } as const;
  for (const doc of docs) t.doesNotThrow(() => new models[doc.kind as keyof typeof models](doc as never).validate(), `${doc.kind} ${doc.metadata.name} is schema-valid`);
  const find = (kind: string, name: string) => docs.find((doc) => doc.kind === kind && doc.metadata.name === name);
  for (const pod of pods) {
    t.ok(find('Secret', `${pod.name}-tls`)?.data?.['envoy.pem'], 'envoy.pem is in the TLS Secret');
    t.notOk(find('ConfigMap', `${pod.name}-config`)?.data?.['envoy.pem'], 'and in no ConfigMap');
    t.match(find('ConfigMap', `${pod.name}-config`)?.data, { 'truststore-internal.pem': /BEGIN CERTIFICATE/, 'envoy.yaml': /"sni": /, 'dh-podman.prop': /internal\.tls\.truststore=/ });
    t.ok(find('Secret', `${pod.name}-stores`)?.data?.['truststore-internal.p12'], 'the internal truststore is in the stores Secret');
    const containers = (find('Pod', pod.name)?.spec?.containers as { name: string }[]).map((c) => c.name);
    t.same(containers, ['svc', 'front'], 'the front runs beside the service');
    const service = find('Service', pod.hostname.split('.')[0]!);
    t.match(service, { spec: { clusterIP: 'None', selector: { 'io.dh-podman.pod': pod.name } }, metadata: { annotations: { 'io.dh-podman.namespace': 'kenv' } } }, 'a headless Service named as the certificate names the machine');
  }
  t.notMatch(JSON.stringify(docs.filter((doc) => doc.kind !== 'Secret')), /PRIVATE KEY/, 'no key outside Secrets');

  const build = await runCli(['build', '--tag-prefix', PREFIX, '--base-image', BASE_IMAGE], { env: podmanEnv });
  t.equal(build.code, 0, build.stderr);
  const play = await podman(['kube', 'play', yamlFile], true);
  t.equal(play.code, 0, play.stderr);

  for (const pod of pods) {
    const infra = (await podman(['pod', 'inspect', pod.name, '--format', '{{.InfraContainerID}}'])).stdout.trim();
    const address = (await podman(['inspect', infra, '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}'])).stdout.trim();
    t.ok(address, `${pod.name} has an address`);
    // A client trusting only the external CA, verifying the front's name. The front may answer
    // before the machine's JVM listens (its upstream call then fails): asked again until the
    // whole path answers, or the time is up.
    const answer = await eventually(async () => {
      const result = await curl(`https://${front}:8000/health`, external.cert, front, address, 8000);
      return result.code === 0 && /"status"\s*:\s*"ok"/.test(result.stdout) ? result.stdout : undefined;
    }, 90_000);
    // The machine reports its pod's hostname: the FQDN's first label under kube play.
    t.match(JSON.parse(answer ?? '{}'), { status: 'ok', hostname: pod.hostname.split('.')[0] }, `${pod.name}: the front answers a client trusting only X, and reaches its machine over internal TLS`);
    const refused = await curl(`https://${front}:8000/health`, internal.cert, front, address, 8000);
    t.not(refused.code, 0, 'a client trusting only the internal CA does not accept the front');
    const modes = await podman(['exec', `${pod.name}-front`, 'stat', '-c', '%a %u %n', '/etc/sysconfig/deephaven/tls/envoy.pem', '/etc/envoy/envoy.yaml']);
    t.match(modes.stdout, /^600 9000 \/etc\/sysconfig\/deephaven\/tls\/envoy\.pem\n\d+ \d+ \/etc\/envoy\/envoy\.yaml/, 'envoy.pem unpacked 0600 for the service account; the bootstrap where Envoy reads it');
  }
});

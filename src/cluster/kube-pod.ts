import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ConfigMap, Pod, Secret, type Service } from 'kubernetes-models/v1';
import type { IContainer } from 'kubernetes-models/v1';
import { pathExists } from '../base/atomic-write.js';
import { IN_CONTAINER, SERVICE_PORT, SERVICE_UID } from './layout.js';
import { clusterLabels, POD_LABEL } from './kube-service.js';
import { frontContainerSpec, type CheckedMachine } from './machine-plan.js';
import { HEALTH_PATHS, LABEL_TLS_PROFILE, type TlsProfile } from './tls-profile.js';

/** Where the init container finds each source inside the pod. */
const SOURCES = { tls: '/run/dh-podman/tls', stores: '/run/dh-podman/stores', config: '/run/dh-podman/config' } as const;
const CONFIG_ROOT = dirname(IN_CONTAINER.properties);

/**
 * A key every Secret carries with a known value. Kubernetes mounts Secret data decoded; Podman
 * before 4.4 mounts it still base64-encoded. Reading this key back tells the init container
 * which of the two it got, so one manifest serves both.
 */
export const ENCODING_CHECK = { key: 'encoding-check', value: 'decoded' } as const;

export type KubeObject = Pod | Secret | ConfigMap | Service;

interface Placed {
  source: string;
  target: string;
  mode: number;
  owner: number;
  secret: boolean;
}

export interface KubePodInput {
  cluster: string;
  name: string;
  hostname: string;
  image: string;
  publish: number[];
  /** Its derived files are the ones of this profile (the image's label, as `up` reads it). */
  machine: CheckedMachine;
  profile: TlsProfile;
}

/**
 * One machine as Kubernetes objects: its certificate as a kubernetes.io/tls Secret, its derived
 * PKCS#12 stores and passphrases as a second Secret, the properties and PEM bundles as a
 * ConfigMap, and a Pod whose init container lays them out at the trust model's paths with the
 * modes and owners `start` gives them (Secret volumes cannot set owners, and Podman ignores
 * their modes).
 */
export async function kubePod(input: KubePodInput): Promise<KubeObject[]> {
  const { machine, name } = input;
  const labels = clusterLabels(input.cluster);
  const placed: Placed[] = [];
  const tlsData: Record<string, string> = {};
  // envoy.pem holds a private key: it travels with tls.key, in the TLS Secret, and only when the volume has one.
  const envoyPem = machine.request.envoy && (await pathExists(join(machine.tlsVolume, 'envoy.pem'))) ? ([['envoy.pem', 0o600, SERVICE_UID]] as const) : [];
  for (const [file, mode, owner] of [['tls.crt', 0o644, 0], ['tls.key', 0o600, SERVICE_UID], ...envoyPem] as const) {
    tlsData[file] = (await readFile(join(machine.tlsVolume, file))).toString('base64');
    placed.push({ source: `${SOURCES.tls}/${file}`, target: `${IN_CONTAINER.tlsDir}/${file}`, mode, owner, secret: true });
  }
  const storeData: Record<string, string> = {};
  const configData: Record<string, string> = {};
  for (const file of machine.derived.files) {
    if (file.action === 'remove') continue;
    const key = basename(file.containerPath);
    // The auth directory's files (keys, keystores, the community profile's PEM key and chain) and
    // every passphrase travel in a Secret; only trust material and properties in the ConfigMap.
    const secret = file.secret || /\.(p12|passphrase)$/.test(key);
    if (secret) storeData[key] = file.content.toString('base64');
    else configData[key] = file.content.toString('utf8');
    // The Envoy bootstrap lives outside the trust model's tree: the front mounts the ConfigMap at its directory.
    if (file.containerPath === IN_CONTAINER.envoyConfig) continue;
    placed.push({
      source: `${secret ? SOURCES.stores : SOURCES.config}/${key}`,
      target: file.containerPath,
      mode: file.mode,
      owner: file.secret ? SERVICE_UID : 0,
      secret,
    });
  }
  const check = Buffer.from(ENCODING_CHECK.value).toString('base64');
  const tlsSecret = new Secret({
    metadata: { name: `${name}-tls`, labels },
    type: 'kubernetes.io/tls',
    data: { ...tlsData, [ENCODING_CHECK.key]: check },
  });
  const storesSecret = new Secret({ metadata: { name: `${name}-stores`, labels }, type: 'Opaque', data: { ...storeData, [ENCODING_CHECK.key]: check } });
  const config = new ConfigMap({ metadata: { name: `${name}-config`, labels }, data: configData });

  // Named per pod: Podman 4.3 turns an emptyDir into a named volume of the same name, which
  // pods with one shared name would share.
  const etc = { name: `${name}-etc`, mountPath: CONFIG_ROOT };
  const front = frontContainer(input, etc);
  const pod = new Pod({
    metadata: { name, labels: { ...labels, [POD_LABEL]: name }, annotations: { 'io.dh-podman.hostname': input.hostname, [LABEL_TLS_PROFILE]: input.profile } },
    spec: {
      // A pod hostname is one DNS label; the FQDN is what certificates and clients use.
      hostname: input.hostname.split('.')[0]!,
      // The front forwards to https://FQDN:8123 and verifies that name; in its own pod the FQDN is
      // the service beside it, whatever DNS says (Podman's kube play has no cluster DNS at all).
      ...(front ? { hostAliases: [{ ip: '127.0.0.1', hostnames: [input.hostname] }] } : {}),
      // Podman 4.3 applies the pod's restart policy to init containers too; under "Always" the
      // finished unpack step restarts and kube play fails removing it.
      restartPolicy: 'OnFailure',
      initContainers: [
        {
          name: 'unpack',
          image: input.image,
          command: ['/bin/sh', '-c', unpackScript(placed)],
          securityContext: { runAsUser: 0 },
          volumeMounts: [
            { name: 'tls', mountPath: SOURCES.tls, readOnly: true },
            { name: 'stores', mountPath: SOURCES.stores, readOnly: true },
            { name: 'config', mountPath: SOURCES.config, readOnly: true },
            etc,
          ],
        },
      ],
      containers: [
        {
          name: 'svc',
          image: input.image,
          env: [{ name: 'DH_JAVA_OPTS', value: machine.derived.javaOpts }],
          // Only published ports are declared: Podman 4.3 publishes a containerPort without a
          // hostPort on the same host port, so two machines would collide on 8123.
          ...(input.publish.length > 0 ? { ports: input.publish.map((hostPort) => ({ containerPort: SERVICE_PORT, hostPort, protocol: 'TCP' as const })) } : {}),
          volumeMounts: [{ ...etc, readOnly: true }],
          // For Kubernetes: ready once it answers where its profile serves (Deephaven Community has
          // no /health). Podman 4.3's kube play ignores readiness probes; a liveness probe there
          // would run curl inside the image and restart a JVM still starting.
          readinessProbe: {
            httpGet: { path: HEALTH_PATHS[input.profile], port: SERVICE_PORT, scheme: 'HTTPS' },
            periodSeconds: 10,
            failureThreshold: 3,
          },
        },
        ...(front ? [front] : []),
      ],
      volumes: [
        // optional: false spelled out: Podman 4.3 dereferences the field without a nil check.
        { name: 'tls', secret: { secretName: tlsSecret.metadata!.name!, defaultMode: 0o400, optional: false } },
        { name: 'stores', secret: { secretName: storesSecret.metadata!.name!, defaultMode: 0o400, optional: false } },
        { name: 'config', configMap: { name: config.metadata!.name!, optional: false } },
        { name: etc.name, emptyDir: { medium: 'Memory' } },
      ],
    },
  });
  return [tlsSecret, storesSecret, config, pod];
}

/**
 * The Envoy front beside the service, as `start --envoy` runs it: the same image, options and
 * files (the front keystore and internal truststore from the unpacked tree, the bootstrap from
 * the ConfigMap at /etc/envoy). Its port is in the machine's Service (kube-service.ts), not in
 * the container: Podman 4.3 would publish it on the host, where every front would want 8000.
 */
function frontContainer(input: KubePodInput, etc: { name: string; mountPath: string }): IContainer | undefined {
  const { request } = input.machine;
  if (!request.envoy) return undefined;
  const spec = frontContainerSpec(request, [], input.machine.paths);
  return {
    name: 'front',
    image: spec.image,
    env: Object.entries(spec.env).map(([envName, value]) => ({ name: envName, value })),
    volumeMounts: [
      { ...etc, readOnly: true },
      { name: 'config', mountPath: dirname(IN_CONTAINER.envoyConfig), readOnly: true },
    ],
  };
}

/** The init container's script: copy (or decode) each file, then set its mode and owner. */
function unpackScript(placed: Placed[]): string {
  const dirs = [...new Set(placed.map((file) => dirname(file.target)))].sort();
  const authDir = IN_CONTAINER.authDir;
  return [
    'set -eu',
    `decode() { [ "$(cat "$(dirname "$1")/${ENCODING_CHECK.key}")" != ${ENCODING_CHECK.value} ]; }`,
    'put() { if [ "$5" = secret ] && decode "$1"; then base64 -d "$1" > "$2"; else cat "$1" > "$2"; fi; chmod "$3" "$2"; chown "$4" "$2"; }',
    // Podman keeps that volume between runs: what an earlier export put there must not linger.
    `rm -rf ${dirs.filter((dir) => dir !== CONFIG_ROOT).join(' ')} ${IN_CONTAINER.properties}`,
    `mkdir -p ${dirs.join(' ')}`,
    `chown ${SERVICE_UID}:${SERVICE_UID} ${authDir} && chmod 0700 ${authDir}`,
    ...placed.map((file) => `put ${file.source} ${file.target} ${file.mode.toString(8).padStart(4, '0')} ${file.owner}:${file.owner} ${file.secret ? 'secret' : 'plain'}`),
  ].join('\n');
}

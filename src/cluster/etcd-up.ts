import { createHash } from 'node:crypto';
import { chown, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inputError, runtimeError } from '../base/errors.js';
import type { PodEngine } from '../engine/pod-engine.js';
import { LABEL_CLUSTER, toolLabels } from '../engine/labels.js';
import type { Mount } from '../engine/containers.js';
import type { ClusterSpec } from './cluster-file.js';
import { waitForMember } from './etcd-health.js';
import { ensureEtcdMaterial } from './etcd-material.js';
import {
  DEFAULT_ETCD_IMAGE,
  ETCD_CLIENT_PORT,
  ETCD_IN_CONTAINER,
  ETCD_PEER_PORT,
  ETCD_UID,
  etcdStatePaths,
  OPERATOR_CLIENT,
  type EtcdMember,
} from './etcd-spec.js';
import { removePodSecrets, secretPrefix } from './secret-delivery.js';

export const LABEL_ETCD_MEMBER = 'io.dh-podman.etcd-member';
const LABEL_ETCD_CONFIG = 'io.dh-podman.etcd-config';

export type EtcdMemberAction = 'create' | 'replace' | 'start' | 'unchanged';

export interface EtcdUpResult {
  members: { name: string; pod: string; ip: string; action: EtcdMemberAction }[];
  issued: string[];
}

/**
 * Brings the cluster's etcd members up before its machines: the network with the subnet the
 * members' fixed addresses come from, the etcd material, then one pod per member. Engine facts
 * that can refuse the run (the image, a network on another subnet) are asked before anything is
 * written. A member pod is replaced only when what it runs changed (a reissued certificate, a new
 * image), one at a time, each healthy again before the next; its data directory stays on the
 * host, so a replaced member comes back as the same member.
 */
export async function etcdUp(engine: PodEngine, spec: ClusterSpec, stateDir: string, network: string, onStep: (line: string) => void): Promise<EtcdUpResult> {
  const etcd = spec.etcd!;
  const { image, imageInfo, existing } = await checkEtcdEngine(engine, spec, network);
  const material = await ensureEtcdMaterial(spec, stateDir, onStep);
  if (!existing) {
    onStep(`creating network ${network} (subnet ${etcd.subnet})`);
    await engine.networks.create(network, toolLabels({ [LABEL_CLUSTER]: spec.cluster }), { subnet: etcd.subnet });
  }
  const initialCluster = initialClusterOf(material.members);
  const members = [];
  for (const member of material.members) {
    const action = await memberUp(engine, spec, stateDir, network, member, { imageId: imageInfo.id, image, initialCluster, caFile: material.caFile }, onStep);
    members.push({ name: member.name, pod: member.pod, ip: member.ip, action });
    // One member down at a time: a replaced member must be back in the cluster before the next
    // goes, so a three-member cluster keeps its quorum of two throughout. New members are not
    // waited for: the first has no quorum until the others exist.
    if (action === 'replace' && material.members.length > 1) {
      onStep(`waiting for etcd member ${member.name} to be healthy`);
      await waitForMember(member, material.caFile, material.clients.get(OPERATOR_CLIENT)!);
    }
  }
  return { members, issued: material.issued };
}

export interface MemberInputs {
  imageId: string;
  image: string;
  initialCluster: string;
  caFile: string;
}

/** What a member pod should run, from its files on the host; its config digest labels the pod. */
export async function desiredMember(spec: ClusterSpec, stateDir: string, network: string, member: EtcdMember, inputs: MemberInputs) {
  const key = await readFile(join(member.tlsVolume, 'tls.key'));
  const cert = await readFile(join(member.tlsVolume, 'tls.crt'));
  const ca = await readFile(inputs.caFile);
  const filesDigest = createHash('sha256').update(key).update('\0').update(cert).update('\0').update(ca).digest('hex').slice(0, 12);
  const secret = `${secretPrefix(member.pod)}${filesDigest}.etcd-tls.key`;
  const dataDir = etcdStatePaths(stateDir, spec.cluster).data(member.name);
  const mounts: Mount[] = [
    { source: join(member.tlsVolume, 'tls.crt'), destination: ETCD_IN_CONTAINER.cert, readOnly: true },
    { source: inputs.caFile, destination: ETCD_IN_CONTAINER.ca, readOnly: true },
    { source: dataDir, destination: ETCD_IN_CONTAINER.dataDir, readOnly: false },
  ];
  const command = memberFlags(spec.cluster, member, inputs.initialCluster);
  const config = createHash('sha256').update(JSON.stringify({ imageId: inputs.imageId, command, mounts, secret, ip: member.ip, network })).digest('hex').slice(0, 16);
  const labels = toolLabels({ [LABEL_CLUSTER]: spec.cluster, [LABEL_ETCD_MEMBER]: member.name, [LABEL_ETCD_CONFIG]: config });
  return { key, secret, dataDir, mounts, command, config, labels };
}

/** What `up` would do with a member pod now, given the config digest it should carry (undefined: not known yet). */
export async function memberAction(engine: PodEngine, spec: ClusterSpec, member: EtcdMember, config: string | undefined): Promise<{ action: EtcdMemberAction; reason: string }> {
  const pod = await engine.pods.inspect(member.pod);
  if (pod && pod.labels[LABEL_CLUSTER] !== spec.cluster) {
    throw runtimeError('POD_NOT_OURS', `a pod named ${member.pod} exists and is not this cluster's etcd member`, {
      subject: 'etcd',
      fix: 'remove that pod yourself, or rename the cluster',
    });
  }
  if (!pod) return { action: 'create', reason: 'no such pod yet' };
  if (pod.labels[LABEL_ETCD_CONFIG] !== config || pod.containers.length === 0) return { action: 'replace', reason: 'its certificate, image or settings changed' };
  if (pod.state !== 'Running') return { action: 'start', reason: `it is ${pod.state.toLowerCase()}` };
  return { action: 'unchanged', reason: 'running with these settings' };
}

export async function memberUp(engine: PodEngine, spec: ClusterSpec, stateDir: string, network: string, member: EtcdMember, inputs: MemberInputs, onStep: (line: string) => void): Promise<EtcdMemberAction> {
  const { key, secret, dataDir, mounts, command, config, labels } = await desiredMember(spec, stateDir, network, member, inputs);
  const { action, reason } = await memberAction(engine, spec, member, config);
  if (action === 'unchanged') return action;
  if (action === 'start') {
    onStep(`starting etcd member ${member.name}`);
    await engine.pods.start(member.pod);
    return action;
  }
  // etcd refuses a data directory others may read; it belongs to the image's etcd account.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chown(dataDir, ETCD_UID, ETCD_UID);
  if (!(await engine.secrets.exists(secret))) await engine.secrets.create(secret, key);
  let mac: string | undefined;
  if (action === 'replace') {
    onStep(`replacing etcd member ${member.name} (${reason})`);
    // Its MAC with its address: the host's neighbour cache would send the health checks to the old one.
    mac = (await engine.pods.attachment(member.pod, network).catch(() => undefined))?.mac;
    await engine.pods.remove(member.pod);
  } else {
    onStep(`creating etcd member ${member.name} at ${member.ip}`);
  }
  await engine.pods.create({ name: member.pod, hostname: `${member.name}.${spec.cluster}.etcd`, network, aliases: [], ports: [], labels, staticIp: member.ip, staticMac: mac });
  await engine.containers.create({
    name: `${member.pod}-etcd`,
    pod: member.pod,
    image: inputs.image,
    env: {},
    mounts,
    labels,
    command,
    secrets: [{ source: secret, target: ETCD_IN_CONTAINER.key, uid: ETCD_UID, gid: ETCD_UID, mode: 0o400 }],
  });
  await engine.pods.start(member.pod);
  await removePodSecrets(engine, member.pod, [secret]);
  return action;
}

/** etcd's --initial-cluster: every member's name and peer URL. */
export function initialClusterOf(members: EtcdMember[]): string {
  return members.map((m) => `${m.name}=https://${m.ip}:${ETCD_PEER_PORT}`).join(',');
}

/**
 * TLS both ways on both ports: clients and peers must present a certificate from the etcd CA
 * (client-cert-auth), and members check each other's IP SANs when they dial. The initial
 * cluster is read only while the data directory is empty.
 */
export function memberFlags(cluster: string, member: EtcdMember, initialCluster: string): string[] {
  const tls = (prefix: string) => [
    `--${prefix}cert-file=${ETCD_IN_CONTAINER.cert}`,
    `--${prefix}key-file=${ETCD_IN_CONTAINER.key}`,
    `--${prefix}trusted-ca-file=${ETCD_IN_CONTAINER.ca}`,
    `--${prefix}client-cert-auth=true`,
  ];
  return [
    `--name=${member.name}`,
    `--data-dir=${ETCD_IN_CONTAINER.dataDir}`,
    `--listen-client-urls=https://0.0.0.0:${ETCD_CLIENT_PORT}`,
    `--advertise-client-urls=https://${member.clientIp}:${ETCD_CLIENT_PORT}`,
    `--listen-peer-urls=https://0.0.0.0:${ETCD_PEER_PORT}`,
    `--initial-advertise-peer-urls=https://${member.ip}:${ETCD_PEER_PORT}`,
    `--initial-cluster=${initialCluster}`,
    `--initial-cluster-token=dh-podman-${cluster}`,
    '--initial-cluster-state=new',
    ...tls(''),
    ...tls('peer-'),
  ];
}

/**
 * What the engine must already say before `up` writes anything for etcd: the image exists, and
 * the cluster network, when it exists, is on etcd.subnet (the members' addresses are in it).
 */
export async function checkEtcdEngine(engine: PodEngine, spec: ClusterSpec, network: string) {
  const etcd = spec.etcd!;
  const image = etcd.image ?? DEFAULT_ETCD_IMAGE;
  const imageInfo = await engine.images.inspect(image);
  if (!imageInfo) {
    throw runtimeError('IMAGE_MISSING', `the etcd image ${image} does not exist`, {
      subject: 'etcd.image',
      fix: 'build it with "dh-podman build --only etcd", or name an etcd image you have in etcd.image',
    });
  }
  const existing = await engine.networks.inspect(network);
  if (existing && !existing.subnets.includes(etcd.subnet)) {
    throw inputError('ETCD_SUBNET_MISMATCH', `the network ${network} exists with subnet ${existing.subnets.join(', ') || 'none'}, not ${etcd.subnet}`, {
      subject: 'etcd.subnet',
      fix: `set etcd.subnet to ${existing.subnets[0] ?? 'its subnet'}, or take the cluster down ("dh-podman down -f") so up makes the network again`,
    });
  }
  return { image, imageInfo, existing };
}

import { join } from 'node:path';
import { pathExists } from '../base/atomic-write.js';
import type { PodEngine } from '../engine/pod-engine.js';
import type { ClusterSpec } from './cluster-file.js';
import { etcdCaFile, etcdMembers } from './etcd-spec.js';
import { checkEtcdEngine, desiredMember, initialClusterOf, memberAction, type EtcdMemberAction } from './etcd-up.js';

export interface EtcdPlan {
  network: { name: string; subnet: string; action: 'create' | 'exists' };
  members: { name: string; pod: string; ip: string; clientIp: string; certificate: 'given' | 'issued' | 'to be issued'; action: EtcdMemberAction; reason: string }[];
}

/**
 * What `up -f` would do for etcd, asked of the disk and the engine without changing either.
 * A certificate that `up` would still reissue (near expiry, addresses changed) shows as
 * `issued` here; `up` says when it reissues one.
 */
export async function planEtcd(engine: PodEngine, spec: ClusterSpec, stateDir: string, network: string): Promise<EtcdPlan> {
  const { image, imageInfo, existing } = await checkEtcdEngine(engine, spec, network);
  const members = etcdMembers(spec, stateDir);
  const caFile = etcdCaFile(spec, stateDir);
  const initialCluster = initialClusterOf(members);
  const planned = [];
  for (const member of members) {
    const issued = member.given || ((await pathExists(join(member.tlsVolume, 'tls.crt'))) && (await pathExists(join(member.tlsVolume, 'tls.key'))) && (await pathExists(caFile)));
    const config = issued ? (await desiredMember(spec, stateDir, network, member, { imageId: imageInfo.id, image, initialCluster, caFile })).config : undefined;
    const { action, reason } = await memberAction(engine, spec, member, config);
    planned.push({ name: member.name, pod: member.pod, ip: member.ip, clientIp: member.clientIp, certificate: member.given ? 'given' as const : issued ? 'issued' as const : 'to be issued' as const, action, reason });
  }
  return { network: { name: network, subnet: spec.etcd!.subnet, action: existing ? 'exists' : 'create' }, members: planned };
}

import { join } from 'node:path';
import { pathExists } from '../base/atomic-write.js';
import { runtimeError } from '../base/errors.js';
import type { PodEngine } from '../engine/pod-engine.js';
import { formatFingerprint } from '../pki/certificate.js';
import { decodePemText } from '../pki/material.js';
import type { ClusterSpec } from './cluster-file.js';
import type { PlannedWrite } from './cluster-issue.js';
import { clusterNetwork } from './cluster-paths.js';
import { waitForMembers } from './etcd-health.js';
import { etcdCa, etcdClientDir, issueClientPair, issueMemberPair, operatorHostname, readPair, writePair, type EtcdPair } from './etcd-material.js';
import type { EtcdPlan } from './etcd-plan.js';
import { etcdCaFile, etcdMembers, etcdStatePaths, OPERATOR_CLIENT, type EtcdMember } from './etcd-spec.js';
import { checkEtcdEngine, initialClusterOf, memberUp } from './etcd-up.js';
import { planWithFiles, type MachinePlan } from './machine-plan.js';

export interface EtcdRenewal {
  /** In member order: renew (a new certificate dh-podman issues), restart (a given certificate changed), or unchanged. */
  members: { name: string; pod: string; ip: string; action: 'renew' | 'restart' | 'unchanged'; reason: string }[];
  /** The owners whose etcd client certificates are renewed: machine pods, then the operator. */
  clients: string[];
}

/**
 * What `rotate` renews of etcd, worked out without writing: every member certificate dh-podman
 * issued (given ones are picked up when their files changed), and a new etcd client certificate
 * for every selected machine, issued here in memory. The machines' plans come back with their
 * new client files in place, and the files as writes of their own pod, so each machine's turn
 * in the roll-out writes them and its put-back restores them. Every member must be up: a
 * rolling renewal keeps a quorum only of a cluster that has one.
 */
export async function planEtcdRenewal(spec: ClusterSpec, stateDir: string, etcd: EtcdPlan, machines: MachinePlan[]): Promise<{ renewal: EtcdRenewal; machines: MachinePlan[]; writes: PlannedWrite[] }> {
  const down = etcd.members.filter((member) => member.action === 'create' || member.action === 'start' || member.certificate === 'to be issued');
  if (down.length > 0 || !(await pathExists(etcdCaFile(spec, stateDir)))) {
    throw runtimeError('ETCD_NOT_UP', `etcd member(s) ${(down.length > 0 ? down : etcd.members).map((m) => m.name).join(', ')} of cluster ${spec.cluster} are not running with their certificates, so a rolling renewal would have no quorum to keep`, {
      subject: 'etcd',
      fix: 'bring the cluster up with "dh-podman up -f FILE" first, then rotate',
    });
  }
  const members = etcdMembers(spec, stateDir);
  const renewal: EtcdRenewal = {
    members: etcd.members.map((planned, index) => {
      const member = members[index]!;
      if (!member.given) return { name: member.name, pod: member.pod, ip: member.ip, action: 'renew', reason: 'a new certificate from the etcd CA' };
      return planned.action === 'replace'
        ? { name: member.name, pod: member.pod, ip: member.ip, action: 'restart', reason: 'its given certificate changed' }
        : { name: member.name, pod: member.pod, ip: member.ip, action: 'unchanged', reason: 'its given certificate did not change' };
    }),
    clients: [...machines.map((machine) => machine.pod.name), OPERATOR_CLIENT],
  };
  // The CA exists (checked above): loading it writes nothing.
  const ca = await etcdCa(spec, stateDir, () => undefined);
  const writes: PlannedWrite[] = [];
  const renewed: MachinePlan[] = [];
  for (const machine of machines) {
    const dir = etcdClientDir(stateDir, machine.pod.name);
    const pair = await issueClientPair(ca, machine.pod.hostname);
    const own: PlannedWrite[] = [
      { purpose: 'etcd client key', path: join(dir, 'tls.key'), mode: 0o600, action: 'update', content: Buffer.from(pair.keyPem), pod: machine.pod.name },
      { purpose: 'etcd client certificate', path: join(dir, 'tls.crt'), mode: 0o644, action: 'update', content: Buffer.from(pair.chainPem), pod: machine.pod.name },
    ];
    writes.push(...own);
    renewed.push(planWithFiles(machine, new Map(own.map((write) => [write.path, write.content])), 'a new etcd client certificate'));
  }
  return { renewal, machines: renewed, writes };
}

export interface RenewOptions {
  healthTimeoutMs: number;
  onStep: (line: string) => void;
}

/**
 * Renews the members one at a time: a member's new certificate written, its pod replaced, and
 * then every member of the cluster must answer /health over TLS (the renewed one with its new
 * certificate) before the next goes, so a three-member cluster never has fewer than two up.
 * A member that does not come back gets its previous certificate and pod back, and the
 * renewal stops there. Then the operator's client certificate, checked against every member.
 */
export async function renewEtcdMembers(engine: PodEngine, spec: ClusterSpec, stateDir: string, renewal: EtcdRenewal, options: RenewOptions): Promise<string[]> {
  const network = clusterNetwork(spec);
  const { image, imageInfo } = await checkEtcdEngine(engine, spec, network);
  const members = etcdMembers(spec, stateDir);
  const caFile = etcdCaFile(spec, stateDir);
  const inputs = { imageId: imageInfo.id, image, initialCluster: initialClusterOf(members), caFile };
  const operatorDir = etcdStatePaths(stateDir, spec.cluster).client(OPERATOR_CLIENT);
  const ca = await etcdCa(spec, stateDir, () => undefined);
  const renewed: string[] = [];
  const allHealthy = (presents: Map<string, string>) => waitForMembers(members, caFile, operatorDir, options.healthTimeoutMs, presents);
  for (const [index, member] of members.entries()) {
    const planned = renewal.members[index]!;
    if (planned.action === 'unchanged') continue;
    const untouched = renewal.members.slice(index + 1).filter((m) => m.action !== 'unchanged').map((m) => m.name);
    const previous = await readPair(member.tlsVolume);
    const pair = planned.action === 'renew' ? await issueMemberPair(spec, ca, member) : previous!;
    try {
      if (planned.action === 'renew') {
        options.onStep(`renewing the etcd certificate of ${member.name} in ${member.tlsVolume}`);
        await writePair(member.tlsVolume, pair);
      }
      await memberUp(engine, spec, stateDir, network, member, inputs, options.onStep);
      options.onStep(`waiting for every etcd member to be healthy (${member.name} with its new certificate)`);
      await allHealthy(new Map([[member.name, fingerprintOf(pair)]]));
      renewed.push(member.name);
    } catch (error) {
      const putBack = previous && planned.action === 'renew' ? await putMemberBack(engine, spec, stateDir, network, member, previous, inputs, options, allHealthy) : 'its certificate was given, so there was nothing to put back';
      throw runtimeError('ETCD_RENEWAL_STOPPED', `the etcd renewal stopped at ${member.name}: ${(error as Error).message}; ${putBack}`, {
        subject: member.pod,
        fix: `${untouched.length > 0 ? `not touched: ${untouched.join(', ')}; ` : ''}see "podman logs ${member.pod}-etcd", fix the cause, and run rotate again`,
        cause: error,
      });
    }
  }
  const previousOperator = await readPair(operatorDir);
  options.onStep(`renewing the operator's etcd client certificate in ${operatorDir}`);
  await writePair(operatorDir, await issueClientPair(ca, operatorHostname(spec)));
  try {
    await allHealthy(new Map());
  } catch (error) {
    if (previousOperator) await writePair(operatorDir, previousOperator);
    throw runtimeError('ETCD_RENEWAL_STOPPED', `the operator's new etcd client certificate was not accepted: ${(error as Error).message}; the previous one was put back`, {
      subject: operatorDir,
      fix: 'see the members\' logs ("podman logs POD-etcd"), fix the cause, and run rotate again',
      cause: error,
    });
  }
  return renewed;
}

async function putMemberBack(
  engine: PodEngine,
  spec: ClusterSpec,
  stateDir: string,
  network: string,
  member: EtcdMember,
  previous: EtcdPair,
  inputs: Parameters<typeof memberUp>[5],
  options: RenewOptions,
  allHealthy: (presents: Map<string, string>) => Promise<void>,
): Promise<string> {
  try {
    options.onStep(`putting the previous etcd certificate of ${member.name} back`);
    await writePair(member.tlsVolume, previous);
    await memberUp(engine, spec, stateDir, network, member, inputs, options.onStep);
    await allHealthy(new Map([[member.name, fingerprintOf(previous)]]));
    return 'its previous certificate was put back and every member is healthy';
  } catch (error) {
    return `putting its previous certificate back failed too (${(error as Error).message})`;
  }
}

/** The fingerprint node's TLS socket reports for the leaf of a chain. */
function fingerprintOf(pair: EtcdPair): string {
  const leaf = decodePemText(pair.chainPem, 'tls.crt').material?.certificates[0];
  return leaf ? formatFingerprint(leaf.sha256) : '';
}

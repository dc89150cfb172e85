import { join } from 'node:path';
import { pathExists } from '../base/atomic-write.js';
import type { ClusterSpec } from './cluster-file.js';
import { etcdClientDir } from './etcd-material.js';
import { probeMember } from './etcd-health.js';
import { ETCD_CLIENT_PORT, etcdCaFile, etcdMembers, etcdStatePaths, OPERATOR_CLIENT } from './etcd-spec.js';

/** One etcd path of a running cluster: whose client certificate, which member, and the answer. */
export interface EtcdPath {
  /** `operator`, or the machine pod whose etcd client certificate was presented. */
  from: string;
  /** The member's etcd name. */
  to: string;
  target: string;
  ok: boolean;
  reason?: string;
  fix?: string;
}

/**
 * etcd's own trust, live: from this host, each member's GET /health with the operator's client
 * certificate (verified against the etcd CA, by the member's IP), then each machine's etcd
 * client certificate at the first member that answered, as etcd would accept or refuse that
 * machine. The same call `etcdctl endpoint health` makes with the files `etcd endpoints` names.
 */
export async function etcdPaths(spec: ClusterSpec, stateDir: string, clusterFile: string): Promise<EtcdPath[]> {
  const members = etcdMembers(spec, stateDir);
  if (members.length === 0) return [];
  const caFile = etcdCaFile(spec, stateDir);
  const paths: EtcdPath[] = [];
  const check = async (from: string, clientDir: string, member: (typeof members)[number]): Promise<EtcdPath> => {
    const target = `https://${member.clientIp}:${ETCD_CLIENT_PORT} with ${from === OPERATOR_CLIENT ? "the operator's" : `${from}'s`} etcd client certificate`;
    if (!(await pathExists(caFile)) || !(await pathExists(join(clientDir, 'tls.crt')))) {
      return { from, to: member.name, target, ok: false, reason: `no etcd client files in ${clientDir} (or no ${caFile})`, fix: `bring the cluster up first: dh-podman up -f ${clusterFile}` };
    }
    const answer = await probeMember(member.clientIp, caFile, clientDir);
    return answer === 'ok' ? { from, to: member.name, target, ok: true } : { from, to: member.name, target, ok: false, ...explain(answer, member.pod, clusterFile) };
  };
  for (const member of members) paths.push(await check(OPERATOR_CLIENT, etcdStatePaths(stateDir, spec.cluster).client(OPERATOR_CLIENT), member));
  // A machine's certificate is judged at a member that answers: a member that is down says
  // nothing of the certificate.
  const answering = members[Math.max(0, paths.findIndex((path) => path.ok))]!;
  for (const pod of spec.pods) paths.push(await check(pod.name, etcdClientDir(stateDir, pod.name), answering));
  return paths;
}

/** Node's words, sorted into what the operator does next: bring a member back, or renew certificates. */
function explain(answer: string, memberPod: string, clusterFile: string): { reason: string; fix: string } {
  if (/ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|timed out|ECONNRESET/.test(answer)) {
    return { reason: `unreachable: ${answer}`, fix: `see "podman logs ${memberPod}-etcd"; dh-podman up -f ${clusterFile} brings a missing member back` };
  }
  if (/certificate|self.signed|verify|alert|handshake|IP: /i.test(answer)) {
    return { reason: `TLS refused: ${answer}`, fix: `dh-podman rotate -f ${clusterFile} renews the member and client certificates dh-podman issued` };
  }
  return { reason: answer, fix: `see "podman logs ${memberPod}-etcd"` };
}

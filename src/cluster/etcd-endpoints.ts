import { join } from 'node:path';
import { pathExists } from '../base/atomic-write.js';
import { inputError, runtimeError } from '../base/errors.js';
import type { ClusterSpec } from './cluster-file.js';
import { clientUrls, etcdCaFile, etcdMembers, etcdStatePaths, OPERATOR_CLIENT } from './etcd-spec.js';

export interface EtcdEndpoints {
  endpoints: string[];
  members: { name: string; pod: string; ip: string; url: string }[];
  /** What an operator passes to etcdctl: the etcd CA, and the operator's client certificate and key. */
  cacert: string;
  cert: string;
  key: string;
}

/**
 * Where a cluster's etcd answers and the files to log in with, from the cluster file and its
 * state alone: the engine is not asked, so it also works while members are down.
 */
export async function etcdEndpoints(spec: ClusterSpec, stateDir: string): Promise<EtcdEndpoints> {
  if (!spec.etcd) {
    throw inputError('ETCD_NOT_CONFIGURED', 'has no etcd section', { subject: 'etcd', fix: 'add etcd: { members: 3, subnet: 10.89.77.0/24 } to the cluster file and run "dh-podman up -f" (see docs/cluster.md)' });
  }
  const members = etcdMembers(spec, stateDir);
  const client = etcdStatePaths(stateDir, spec.cluster).client(OPERATOR_CLIENT);
  const files = { cacert: etcdCaFile(spec, stateDir), cert: join(client, 'tls.crt'), key: join(client, 'tls.key') };
  for (const file of Object.values(files)) {
    if (!(await pathExists(file))) {
      throw runtimeError('ETCD_NOT_UP', `${file} does not exist: the cluster's etcd material has not been made yet`, { subject: stateDir, fix: 'run "dh-podman up -f" with this cluster file first (or pass the --state-dir it used)' });
    }
  }
  const urls = clientUrls(members);
  return { endpoints: urls, members: members.map((m, i) => ({ name: m.name, pod: m.pod, ip: m.clientIp, url: urls[i]! })), ...files };
}

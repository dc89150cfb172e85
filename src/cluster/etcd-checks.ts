import { resolve } from 'node:path';
import { isDhError } from '../base/errors.js';
import { loadCaFromFiles } from '../pki/ca-source.js';
import { isIssuedBy } from '../pki/chain.js';
import { canonicalIp } from '../pki/hostname.js';
import { loadFromVolume, loadPemFile } from '../pki/material.js';
import type { ClusterIssue } from './cluster-file-parse.js';
import { etcdMembers, parseSubnet, type EtcdSpec } from './etcd-spec.js';

type At = (path: (string | number)[]) => { line?: number; column?: number };

/**
 * What the schema cannot say about the `etcd` section: a usable subnet, one entry per member
 * in tlsVolumes and etcdIp, and every given member certificate good for what etcd does with
 * it (unless the caller turns certificate checks off, as `down` does): issued by the given etcd CA, for serverAuth and clientAuth (members are each other's
 * clients), with the member's addresses as IP SANs, since clients and peers dial members by IP.
 * Runs on whatever part is well formed, so one run reports every problem.
 */
export async function etcdIssues(data: unknown, base: string, at: At, checkCertificates = true): Promise<ClusterIssue[]> {
  const raw = (data as { etcd?: unknown; cluster?: unknown })?.etcd;
  if (typeof raw !== 'object' || raw === null) return [];
  const etcd = raw as Partial<Record<keyof EtcdSpec, unknown>>;
  const issues: ClusterIssue[] = [];
  const issue = (code: string, path: (string | number)[], message: string, fix: string) =>
    issues.push({ code, path: `/${path.join('/')}`, line: at(path).line, column: at(path).column, message, fix });
  const members: 1 | 3 | undefined = etcd.members === 1 || etcd.members === 3 ? etcd.members : undefined;
  const subnetOk = typeof etcd.subnet === 'string' && parseSubnet(etcd.subnet) !== undefined;
  if (typeof etcd.subnet === 'string' && !subnetOk) {
    issue('ETCD_SUBNET_INVALID', ['etcd', 'subnet'], `"${etcd.subnet}" is not an IPv4 subnet from /8 to /29 with its host bits zero`, 'write it as a network address and prefix, e.g. 10.89.77.0/24, that no other Podman network uses');
  }
  for (const key of ['tlsVolumes', 'etcdIp'] as const) {
    const list = etcd[key];
    if (members !== undefined && Array.isArray(list) && list.length !== members) {
      issue('ETCD_MEMBER_COUNT', ['etcd', key], `has ${list.length} entries for ${members} member(s)`, `give one entry per member, in member order (etcd-1 first)`);
    }
  }
  const cluster = (data as { cluster?: unknown }).cluster;
  const pods = (data as { pods?: unknown }).pods;
  if (members !== undefined && typeof cluster === 'string' && Array.isArray(pods)) {
    const memberPods = Array.from({ length: members }, (_, i) => `${cluster}-etcd-${i + 1}`);
    pods.forEach((pod, index) => {
      const name = (pod as { name?: unknown } | null)?.name;
      if (typeof name === 'string' && memberPods.includes(name)) issue('ETCD_POD_NAME_TAKEN', ['pods', index, 'name'], `pod name "${name}" is the name of an etcd member's pod`, 'give the machine another name');
    });
  }
  const givenCa = etcd.ca as { cert?: unknown; key?: unknown } | undefined;
  if (checkCertificates && typeof givenCa?.cert === 'string' && typeof givenCa.key === 'string') {
    // The CA's own rules (a CA, may sign, unexpired, the key is its key), as for `cert issue`.
    try {
      await loadCaFromFiles(resolve(base, givenCa.cert), resolve(base, givenCa.key));
    } catch (error) {
      if (!isDhError(error)) throw error;
      issue(error.code, ['etcd', 'ca'], `${error.subject ?? 'etcd.ca'}: ${error.message}`, error.fix ?? 'give the etcd CA certificate and its key');
    }
  }
  const volumes = Array.isArray(etcd.tlsVolumes) ? etcd.tlsVolumes : [];
  if (!checkCertificates || members === undefined || !subnetOk || volumes.length !== members) return issues;
  const etcdIp = Array.isArray(etcd.etcdIp) && etcd.etcdIp.length === members && etcd.etcdIp.every((ip) => typeof ip === 'string') ? (etcd.etcdIp as string[]) : undefined;
  const ca = etcd.ca as { cert?: unknown } | undefined;
  const caCert = typeof ca?.cert === 'string' ? await loadPemFile(resolve(base, ca.cert)) : undefined;
  const issuer = caCert?.material?.certificates[0];
  const spec = { cluster: '', etcd: { members, subnet: etcd.subnet as string, tlsVolumes: volumes.map((v) => resolve(base, String(v))), ...(etcdIp ? { etcdIp } : {}) } };
  for (const member of etcdMembers(spec, '/')) {
    const path = ['etcd', 'tlsVolumes', member.index - 1];
    const loaded = await loadFromVolume(member.tlsVolume, 'tls.crt', true);
    const error = loaded.findings.find((f) => f.severity === 'error');
    const leaf = loaded.material?.certificates[0];
    if (error || !leaf) {
      issue(error?.code ?? 'FILE_MISSING', path, `${member.name}: ${error ? `${error.file}: ${error.message}` : `${member.tlsVolume}/tls.crt holds no certificate`}`, error?.fix ?? 'put the member certificate in its TLS volume as tls.crt');
      continue;
    }
    const key = await loadFromVolume(member.tlsVolume, 'tls.key', true);
    const keyError = key.findings.find((f) => f.severity === 'error');
    if (keyError) issue(keyError.code, path, `${member.name}: ${keyError.file}: ${keyError.message}`, keyError.fix);
    const ips = (leaf.san?.ip ?? []).map(canonicalIp);
    const wanted = [{ ip: member.ip, what: 'its address on the cluster network, where peers dial it' }];
    if (member.clientIp !== member.ip) wanted.push({ ip: member.clientIp, what: 'its etcdIp, where clients dial it' });
    for (const { ip, what } of wanted) {
      if (!ips.includes(canonicalIp(ip))) {
        issue('ETCD_MEMBER_IP_MISSING', path, `${member.name}: ${member.tlsVolume}/tls.crt has no IP SAN ${ip} (${what}); it has ${ips.length > 0 ? ips.join(', ') : 'none'}`, `reissue ${member.name}'s certificate with IP:${ip} in its subjectAltName, or leave tlsVolumes out and dh-podman issues member certificates itself`);
      }
    }
    const usages = leaf.extKeyUsage;
    if (usages && !usages.includes('anyExtendedKeyUsage') && !(usages.includes('serverAuth') && usages.includes('clientAuth'))) {
      issue('ETCD_MEMBER_USAGE', path, `${member.name}: ${member.tlsVolume}/tls.crt is not for both serverAuth and clientAuth (members are each other's clients over peer TLS)`, `reissue it with extendedKeyUsage serverAuth,clientAuth`);
    }
    if (issuer && !isIssuedBy(leaf, issuer)) {
      issue('ETCD_MEMBER_NOT_FROM_CA', path, `${member.name}: ${member.tlsVolume}/tls.crt was not issued by the etcd CA (${issuer.subject})`, 'reissue it from etcd.ca, or give the CA that issued it as etcd.ca');
    }
  }
  return issues;
}

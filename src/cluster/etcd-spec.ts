import { join } from 'node:path';
import { clusterStatePaths } from './layout.js';

/**
 * etcd, the cluster's third trust boundary: members reached by IP address, with certificates
 * from a CA of their own that nothing else trusts. This file holds what follows from the cluster
 * file alone (names, addresses, where files live); nothing here reads or writes a file.
 */

/** The cluster file's `etcd` section, paths resolved against the file's directory. */
export interface EtcdSpec {
  members: 1 | 3;
  /** The cluster network's IPv4 subnet (CIDR): members take fixed addresses in it. */
  subnet: string;
  image?: string;
  /** The etcd CA given (else one is made for this cluster and kept in its state). */
  ca?: { cert: string; key: string };
  /** Given member certificates, one TLS volume (tls.crt, tls.key) per member, in member order. */
  tlsVolumes?: string[];
  /** Where clients reach each member when not at its address on the network (NAT, a host address). */
  etcdIp?: string[];
}

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
export const DEFAULT_ETCD_IMAGE = 'localhost/dh-podman/etcd:latest';
/** The uid of the etcd account images/etcd creates: it owns a member's data directory. */
export const ETCD_UID = 9100;

/** Inside a member container. */
export const ETCD_IN_CONTAINER = {
  tlsDir: '/etc/etcd/tls',
  cert: '/etc/etcd/tls/tls.crt',
  ca: '/etc/etcd/ca.crt',
  /** Delivered as a Podman secret, never mounted from the host. */
  key: '/run/secrets/etcd-tls.key',
  dataDir: '/var/lib/etcd/data',
} as const;

/**
 * Inside every machine: the machine's etcd client certificate, its key and the etcd CA. A
 * directory of its own, beside and never inside the truststores of the services' TLS.
 */
export const ETCD_CLIENT_IN_CONTAINER = {
  dir: '/etc/sysconfig/deephaven/etcd/client',
  cert: '/etc/sysconfig/deephaven/etcd/client/tls.crt',
  key: '/etc/sysconfig/deephaven/etcd/client/tls.key',
  ca: '/etc/sysconfig/deephaven/etcd/client/ca.crt',
} as const;

export interface EtcdMember {
  /** 1-based, as in DH_NODE_N_ETCD_IP. */
  index: number;
  /** The member's etcd name (--name). */
  name: string;
  pod: string;
  /** Its fixed address on the cluster network: peers dial it there. */
  ip: string;
  /** Where clients dial it: etcdIp when given, else ip. */
  clientIp: string;
  tlsVolume: string;
  /** The certificate came with the cluster file; dh-podman never reissues it. */
  given: boolean;
}

/** The host side of a cluster's etcd files. */
export function etcdStatePaths(stateDir: string, cluster: string) {
  const root = join(clusterStatePaths(stateDir, cluster).root, 'etcd');
  return {
    root,
    caDir: join(root, 'ca'),
    memberTls: (name: string) => join(root, 'members', name),
    data: (name: string) => join(root, 'data', name),
    /** One client certificate per machine pod; `operator` is the one `etcd endpoints` names. */
    client: (owner: string) => join(root, 'clients', owner),
  };
}

export const OPERATOR_CLIENT = 'operator';

/** The etcd CA certificate clients trust: the given one, or the cluster's own. */
export function etcdCaFile(spec: { cluster: string; etcd?: EtcdSpec | undefined }, stateDir: string): string {
  return spec.etcd?.ca?.cert ?? join(etcdStatePaths(stateDir, spec.cluster).caDir, 'ca.crt');
}

export function etcdMembers(spec: { cluster: string; etcd?: EtcdSpec | undefined }, stateDir: string): EtcdMember[] {
  const etcd = spec.etcd;
  if (!etcd) return [];
  const paths = etcdStatePaths(stateDir, spec.cluster);
  return Array.from({ length: etcd.members }, (_, i) => {
    const name = `etcd-${i + 1}`;
    const ip = memberAddress(etcd.subnet, i + 1);
    const given = etcd.tlsVolumes?.[i];
    return { index: i + 1, name, pod: `${spec.cluster}-${name}`, ip, clientIp: etcd.etcdIp?.[i] ?? ip, tlsVolume: given ?? paths.memberTls(name), given: given !== undefined };
  });
}

/**
 * Member N's address: the Nth from the top of the subnet (.254, .253, .252 in a /24). Podman's
 * address management hands out addresses from the bottom, so machine pods never take these.
 */
export function memberAddress(subnet: string, index: number): string {
  const { network, prefix } = parseSubnet(subnet)!;
  const broadcast = (network | (2 ** (32 - prefix) - 1)) >>> 0;
  return fromInt(broadcast - index);
}

/** An IPv4 CIDR whose host bits are zero and which holds a gateway and three members; else undefined. */
export function parseSubnet(subnet: string): { network: number; prefix: number } | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(subnet);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix < 8 || prefix > 29) return undefined;
  const network = octets.reduce((acc, o) => acc * 256 + o, 0);
  const hostBits = 2 ** (32 - prefix) - 1;
  if ((network & hostBits) !== 0) return undefined;
  return { network, prefix };
}

function fromInt(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

/** The URLs clients use, one per member. */
export function clientUrls(members: EtcdMember[]): string[] {
  return members.map((member) => `https://${member.clientIp}:${ETCD_CLIENT_PORT}`);
}

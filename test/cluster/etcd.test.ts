import t from 'tap';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadClusterFile } from '../../src/cluster/cluster-file.js';
import { ensureEtcdMaterial } from '../../src/cluster/etcd-material.js';
import { etcdMembers, memberAddress, parseSubnet } from '../../src/cluster/etcd-spec.js';
import { memberFlags } from '../../src/cluster/etcd-up.js';
import { decodePemText } from '../../src/pki/material.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';

const leafOf = (file: string) => decodePemText(readFileSync(file, 'utf8'), file).material!.certificates[0]!;

t.test('members take the top addresses of the subnet; a subnet without room or with host bits is refused', async (t) => {
  t.same([1, 2, 3].map((n) => memberAddress('10.89.77.0/24', n)), ['10.89.77.254', '10.89.77.253', '10.89.77.252']);
  t.equal(memberAddress('172.30.0.0/16', 1), '172.30.255.254');
  t.equal(memberAddress('192.168.1.8/29', 3), '192.168.1.12');
  t.equal(parseSubnet('10.89.77.1/24'), undefined, 'host bits set');
  t.equal(parseSubnet('10.89.77.0/30'), undefined, 'no room for a gateway and three members');
  t.equal(parseSubnet('10.89.300.0/24'), undefined);
  t.equal(parseSubnet('fd00::/64'), undefined, 'IPv4 only');
});

t.test('member flags: TLS with client certificates on both ports, peers by address, clients at etcdIp', async (t) => {
  const spec = { cluster: 'c', etcd: { members: 3 as const, subnet: '10.89.77.0/24', etcdIp: ['192.0.2.1', '192.0.2.2', '192.0.2.3'] } };
  const [first] = etcdMembers(spec, '/state');
  const flags = memberFlags('c', first!, 'etcd-1=https://10.89.77.254:2380');
  t.ok(flags.includes('--client-cert-auth=true') && flags.includes('--peer-client-cert-auth=true'));
  t.ok(flags.includes('--advertise-client-urls=https://192.0.2.1:2379'), 'clients are told etcdIp');
  t.ok(flags.includes('--initial-advertise-peer-urls=https://10.89.77.254:2380'), 'peers dial the network address');
  t.notOk(flags.some((flag) => /BEGIN|PRIVATE/.test(flag)), 'only paths, never key material, in argv');
});

t.test('the etcd section is checked with the rest of the file, every problem at once', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'c.yaml');
  writeFileSync(file, [
    'cluster: c',
    'etcd:',
    '  members: 2',
    '  subnet: 10.89.77.1/24',
    'pods:',
    '  - { name: c-etcd-1, hostname: m.test, certificate: { mode: generate } }',
    '',
  ].join('\n'));
  const first = await loadClusterFile(file);
  t.same(first.issues.map((i) => [i.code, i.path]).sort(), [['CLUSTER_SCHEMA', '/etcd/members'], ['ETCD_SUBNET_INVALID', '/etcd/subnet']].sort());
  t.match(first.issues.find((i) => i.path === '/etcd/members')?.message, 'must be one of 1, 3');

  writeFileSync(file, ['cluster: c', 'etcd:', '  members: 3', '  subnet: 10.89.77.0/24', '  etcdIp: [192.0.2.1]', '  tlsVolumes: [./a]', 'pods:', '  - { name: c-etcd-3, hostname: m.test, certificate: { mode: generate } }', ''].join('\n'));
  const second = await loadClusterFile(file);
  t.same(second.issues.map((i) => i.code).sort(), ['CLUSTER_SCHEMA', 'ETCD_MEMBER_COUNT', 'ETCD_MEMBER_COUNT', 'ETCD_POD_NAME_TAKEN'].sort(), 'tlsVolumes needs ca; one entry per member; member pod names are taken');
});

t.test('a given member certificate must name the member\'s addresses, be for server and client, and come from etcd.ca', async (t) => {
  const dir = t.testdir();
  const ca = makeCa(dir, 'etcd-ca');
  const other = makeCa(dir, 'other-ca');
  makeVolume(dir, 'm1', makeLeaf(dir, 'm1', ca, ['etcd-1.test'], ['subjectAltName=DNS:etcd-1.test,IP:10.89.77.254']));
  makeVolume(dir, 'm2', makeLeaf(dir, 'm2', ca, ['etcd-2.test']));
  makeVolume(dir, 'm3', makeLeaf(dir, 'm3', other, ['etcd-3.test'], ['subjectAltName=IP:10.89.77.252,IP:192.0.2.3', 'extendedKeyUsage=serverAuth']));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, [
    'cluster: c',
    'etcd:',
    '  members: 3',
    '  subnet: 10.89.77.0/24',
    '  ca: { cert: ./etcd-ca.crt, key: ./etcd-ca.key }',
    '  tlsVolumes: [./m1, ./m2, ./m3]',
    '  etcdIp: [10.89.77.254, 192.0.2.2, 192.0.2.3]',
    'pods:',
    '  - { name: m, hostname: m.test, certificate: { mode: generate } }',
    '',
  ].join('\n'));
  const { spec, issues } = await loadClusterFile(file);
  t.equal(spec, undefined);
  t.same(issues.map((i) => `${i.path} ${i.code}`), [
    '/etcd/tlsVolumes/1 ETCD_MEMBER_IP_MISSING',
    '/etcd/tlsVolumes/1 ETCD_MEMBER_IP_MISSING',
    '/etcd/tlsVolumes/2 ETCD_MEMBER_USAGE',
    '/etcd/tlsVolumes/2 ETCD_MEMBER_NOT_FROM_CA',
  ]);
  t.match(issues[0]!.message, /^etcd-2: .*m2\/tls\.crt has no IP SAN 10\.89\.77\.253 \(its address on the cluster network/);
  t.match(issues[1]!.message, /^etcd-2: .*no IP SAN 192\.0\.2\.2 \(its etcdIp/);
  t.equal(issues[0]!.line, 6, 'the line of the member\'s entry');
  t.same((await loadClusterFile(file, { checkCertificates: false })).issues, [], 'down and endpoints do not judge certificates');
});

t.test('etcd material: its own CA, member certificates for their addresses, client-only certificates, kept when still good', async (t) => {
  const dir = t.testdir();
  const stateDir = join(dir, 'state');
  const spec = {
    cluster: 'c',
    etcd: { members: 3 as const, subnet: '10.89.77.0/24', etcdIp: ['10.89.77.254', '192.0.2.2', '10.89.77.252'] },
    pods: [{ name: 'm1', hostname: 'm1.test', certificate: { mode: 'generate' as const } }],
  };
  const made = await ensureEtcdMaterial(spec, stateDir, () => undefined);
  t.same(made.issued, ['etcd-1', 'etcd-2', 'etcd-3', 'm1', 'operator']);
  const caFile = join(stateDir, 'clusters', 'c', 'etcd', 'ca', 'ca.crt');
  t.equal(made.caFile, caFile);
  t.notOk(statSync(join(stateDir, 'clusters', 'c', 'ca', 'ca.crt'), { throwIfNoEntry: false }), 'the cluster CA is not made for etcd');
  t.equal(statSync(join(stateDir, 'clusters', 'c', 'etcd', 'ca', 'ca.key')).mode & 0o777, 0o600);
  const ca = leafOf(caFile);
  const member2 = leafOf(join(made.members[1]!.tlsVolume, 'tls.crt'));
  t.same(member2.san?.ip.sort(), ['10.89.77.253', '192.0.2.2'], 'address on the network and etcdIp');
  t.same(member2.extKeyUsage?.sort(), ['clientAuth', 'serverAuth']);
  t.ok(member2.x509.checkIssued(ca.x509));
  const client = join(stateDir, 'pods', 'm1', 'etcd-client');
  t.same(leafOf(join(client, 'tls.crt')).extKeyUsage, ['clientAuth'], 'a machine\'s etcd certificate is for logging in only');
  t.equal(statSync(join(client, 'tls.key')).mode & 0o777, 0o600);
  t.equal(readFileSync(join(client, 'ca.crt'), 'utf8'), readFileSync(caFile, 'utf8'));

  const again = await ensureEtcdMaterial(spec, stateDir, () => undefined);
  t.same(again.issued, [], 'nothing reissued when all is still good');
  const moved = await ensureEtcdMaterial({ ...spec, etcd: { ...spec.etcd, etcdIp: ['10.89.77.254', '192.0.2.9', '10.89.77.252'] } }, stateDir, () => undefined);
  t.same(moved.issued, ['etcd-2'], 'a member whose etcdIp changed gets a new certificate, and only it');
});

t.test('cert expiry finds the etcd certificates where up keeps them', async (t) => {
  const { clusterCertificateFiles } = await import('../../src/cluster/cluster-certificates.js');
  const dir = t.testdir();
  const stateDir = join(dir, 'state');
  const spec = { cluster: 'c', etcd: { members: 1 as const, subnet: '10.89.77.0/24' }, pods: [{ name: 'm1', hostname: 'm1.test', certificate: { mode: 'generate' as const } }] };
  const before = await clusterCertificateFiles(spec, stateDir);
  t.same(before.filter((f) => !f.issued).map((f) => f.owner), ['m1', 'etcd CA', 'c-etcd-1', 'm1 etcd client', 'operator etcd client'], 'not issued yet before up');
  await ensureEtcdMaterial(spec, stateDir, () => undefined);
  const after = await clusterCertificateFiles(spec, stateDir);
  t.same(after.filter((f) => f.issued).map((f) => `${f.owner} ${f.role}`), ['etcd CA ca', 'c-etcd-1 tls', 'm1 etcd client tls', 'operator etcd client tls']);
});

t.test('a given etcd CA is checked as a CA with its key before anything is issued from it', async (t) => {
  const dir = t.testdir();
  makeCa(dir, 'etcd-ca');
  const other = makeCa(dir, 'other-ca');
  const file = join(dir, 'c.yaml');
  writeFileSync(file, ['cluster: c', 'etcd:', '  members: 1', '  subnet: 10.89.77.0/24', `  ca: { cert: ./etcd-ca.crt, key: ${other.key} }`, 'pods:', '  - { name: m, hostname: m.test, certificate: { mode: generate } }', ''].join('\n'));
  const { issues } = await loadClusterFile(file);
  t.same(issues.map((i) => `${i.path} ${i.code}`), ['/etcd/ca CA_KEY_MISMATCH']);
});

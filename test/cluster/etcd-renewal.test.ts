import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterSpec } from '../../src/cluster/cluster-file.js';
import { renewEtcdMembers, type EtcdRenewal } from '../../src/cluster/etcd-renewal.js';
import { etcdMembers } from '../../src/cluster/etcd-spec.js';
import { etcdUp } from '../../src/cluster/etcd-up.js';
import { startFakePodman } from '../support/fake-podman.js';

/**
 * A renewal whose member never comes back: the fake engine runs nothing, and the members'
 * addresses are on loopback, where nothing answers etcd's port. The member gets its previous
 * certificate and pod back, and the members after it are not touched.
 */
t.test('a member that is not healthy after its renewal gets its previous certificate back, and the renewal stops there', async (t) => {
  const fake = await startFakePodman();
  t.teardown(() => fake.close());
  const image = 'localhost/et-renewal/etcd:latest';
  fake.addImage(image);
  const stateDir = t.testdir();
  const spec: ClusterSpec = { cluster: 'et-renewal', etcd: { members: 3, subnet: '127.0.0.0/24', image }, pods: [] };
  await etcdUp(fake.engine, spec, stateDir, 'dh-et-renewal', () => undefined);
  const members = etcdMembers(spec, stateDir);
  const before = members.map((member) => readFileSync(join(member.tlsVolume, 'tls.crt'), 'utf8'));
  const keyBefore = readFileSync(join(members[0]!.tlsVolume, 'tls.key'), 'utf8');
  fake.calls.length = 0;

  const renewal: EtcdRenewal = {
    members: members.map((m) => ({ name: m.name, pod: m.pod, ip: m.ip, action: 'renew' as const, reason: 'a new certificate from the etcd CA' })),
    clients: ['operator'],
  };
  const steps: string[] = [];
  const error = await renewEtcdMembers(fake.engine, spec, stateDir, renewal, { healthTimeoutMs: 300, onStep: (line) => steps.push(line) }).then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string; fix?: string; exitCode: number },
  );
  t.ok(error, 'the renewal fails');
  t.equal(error?.code, 'ETCD_RENEWAL_STOPPED');
  t.equal(error?.exitCode, 4);
  t.match(error?.message, /^the etcd renewal stopped at etcd-1: etcd member etcd-1 /);
  t.match(error?.fix, /not touched: etcd-2, etcd-3/);
  t.equal(readFileSync(join(members[0]!.tlsVolume, 'tls.crt'), 'utf8'), before[0], "etcd-1's previous certificate is back");
  t.equal(readFileSync(join(members[0]!.tlsVolume, 'tls.key'), 'utf8'), keyBefore, 'and its key');
  t.same(members.slice(1).map((m) => readFileSync(join(m.tlsVolume, 'tls.crt'), 'utf8')), before.slice(1), 'etcd-2 and etcd-3 untouched');
  t.equal(fake.calls.filter((call) => call === `DELETE /pods/${members[0]!.pod}`).length, 2, 'etcd-1 replaced with the new certificate, then again with the previous one');
  t.notOk(fake.calls.some((call) => call.includes(members[1]!.pod) && call.startsWith('DELETE')), 'etcd-2 was not replaced');
  t.match(steps.join('\n'), /renewing the etcd certificate of etcd-1[\s\S]*putting the previous etcd certificate of etcd-1 back/);
  t.notMatch(steps.join('\n'), /operator/, "the operator's certificate is left as it was");
});

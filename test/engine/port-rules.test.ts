import t from 'tap';
import { readFileSync } from 'node:fs';
import { hostPortRules, publishes, splitWords, teardownOf, type NatRule } from '../../src/engine/port-rules.js';

const recorded = readFileSync(new URL('../../../test/fixtures/netavark-1.4/nat-stale-shared.txt', import.meta.url), 'utf8');
const STALE = 'f7b2aaac593eef9ae9a6e2157a2bd21aa31da2aa7d9634ee1ec386e7735002c3';
const LIVE = '5620d6c769d8245946ca6f13c225ca9c00aa373da24f722289392cda3cd766a3';
const line = (rule: NatRule) => `-A ${rule.chain} ${rule.args.join(' ')}`;

t.test("each published host port is read with its owner and its rules in the network's chain", async (t) => {
  const rules = hostPortRules(recorded);
  t.same(
    rules.map((r) => [r.hostPort, r.network, r.containerId.slice(0, 12), r.dnChain, r.dnRules.length]),
    [
      [18431, 'dh-podman', '279c3a13bc5f', 'NETAVARK-DN-E15E892173EFA', 3],
      [35881, 'out-faults', 'f7b2aaac593e', 'NETAVARK-DN-7F466F986FB3C', 4],
      [35881, 'out-faults', '5620d6c769d8', 'NETAVARK-DN-7F466F986FB3C', 4],
    ],
  );
  t.same(rules[1]!.jump.args.slice(-4), ['--comment', `dnat name: out-faults id: ${STALE}`, '-j', 'NETAVARK-DN-7F466F986FB3C'], 'the comment comes back unquoted, one argument');
  t.ok(publishes(rules[1]!, 35881));
  t.notOk(publishes(rules[1]!, 35882));
});

t.test('a gone container alone on its port: its jump, then its marks and DNAT, as netavark tears them down', async (t) => {
  const alone = recorded.split('\n').filter((l) => !l.includes(LIVE) && !l.includes('10.89.1.7')).join('\n');
  const all = hostPortRules(alone);
  const { rules, undecided } = teardownOf(all, all.filter((r) => r.containerId === STALE), () => undefined);
  t.same(undecided, []);
  t.same(rules.map(line), [
    `-A NETAVARK-HOSTPORT-DNAT -p tcp -m tcp --dport 35881 -m comment --comment dnat name: out-faults id: ${STALE} -j NETAVARK-DN-7F466F986FB3C`,
    '-A NETAVARK-DN-7F466F986FB3C -s 10.89.1.0/24 -p tcp -m tcp --dport 35881 -j NETAVARK-HOSTPORT-SETMARK',
    '-A NETAVARK-DN-7F466F986FB3C -s 127.0.0.1/32 -p tcp -m tcp --dport 35881 -j NETAVARK-HOSTPORT-SETMARK',
    '-A NETAVARK-DN-7F466F986FB3C -p tcp -m tcp --dport 35881 -j DNAT --to-destination 10.89.1.6:8123',
  ]);
});

t.test("sharing the port with a live container: only the gone one's jump and DNAT go, the live one's address decides", async (t) => {
  const all = hostPortRules(recorded);
  const { rules, undecided } = teardownOf(all, all.filter((r) => r.containerId === STALE), (id) => (id === LIVE ? '10.89.1.7' : undefined));
  t.same(undecided, []);
  t.same(rules.map(line), [
    `-A NETAVARK-HOSTPORT-DNAT -p tcp -m tcp --dport 35881 -m comment --comment dnat name: out-faults id: ${STALE} -j NETAVARK-DN-7F466F986FB3C`,
    '-A NETAVARK-DN-7F466F986FB3C -p tcp -m tcp --dport 35881 -j DNAT --to-destination 10.89.1.6:8123',
  ]);
});

t.test("a live sharer whose address is unknown: nothing of that port's chain is chosen, it is reported", async (t) => {
  const all = hostPortRules(recorded);
  const { rules, undecided } = teardownOf(all, all.filter((r) => r.containerId === STALE), () => undefined);
  t.same(undecided.map((r) => r.containerId), [STALE]);
  t.same(rules.map((r) => r.chain), ['NETAVARK-HOSTPORT-DNAT'], 'only the jump, which is the gone container’s alone');
});

t.test('only the stale rules given are torn down: nothing of containers that exist, nor of other networks', async (t) => {
  t.same(teardownOf(hostPortRules(recorded), [], () => undefined).rules, []);
  const all = hostPortRules(recorded);
  const { rules } = teardownOf(all, all.filter((r) => r.containerId === STALE), (id) => (id === LIVE ? '10.89.1.7' : undefined));
  t.notOk(rules.some((r) => r.chain === 'NETAVARK-DN-E15E892173EFA' || r.args.includes('10.89.1.7:8123')));
});

t.test('iptables-save quoting is undone', async (t) => {
  t.same(splitWords('-A X -m comment --comment "a \\"b\\" c" -j Y'), ['-A', 'X', '-m', 'comment', '--comment', 'a "b" c', '-j', 'Y']);
  t.same(splitWords('  -A X  --comment ""  '), ['-A', 'X', '--comment', '']);
});

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runtimeError } from '../base/errors.js';
import type { Engine } from './engine.js';
import { hostPortState } from './host-ports.js';
import { hostPortRules, publishes, teardownOf, type HostPortRule, type NatRule } from './port-rules.js';

const run = promisify(execFile);

/**
 * Host ports still captured by netavark rules of containers Podman no longer has.
 *
 * Podman 4.3 records a container's network namespace only after netavark has set it up. When
 * the Podman process dies in between (killed while a pod starts), netavark finishes on its own
 * and its rules stay, but Podman has no record of them: removing that container later runs no
 * teardown, and no Podman command (`pod rm -f`, `network reload`, `container cleanup`) reaches
 * them again. Such a rule answers first for its host port, on loopback too, and sends the
 * traffic to an address nobody holds, so a new pod publishing that port never answers there.
 * Nothing binds the port (conmon, which would hold it, is gone), so a bind check sees it free.
 *
 * Only rules whose container Podman says does not exist, on a port no process holds, are stale
 * here: a rule of a container Podman still has is Podman's to tear down.
 */
export async function stalePortRules(engine: Engine, ports: number[]): Promise<HostPortRule[]> {
  const table = await readNatTable();
  if (table === undefined) return [];
  const rules = hostPortRules(table);
  const wanted = rules.filter((rule) => ports.length === 0 || ports.some((port) => publishes(rule, port)));
  const gone = new Set<string>();
  for (const id of new Set(wanted.map((rule) => rule.containerId))) {
    if ((await engine.containers.inspect(id)) === undefined) gone.add(id);
  }
  const stale: HostPortRule[] = [];
  for (const rule of wanted.filter((r) => gone.has(r.containerId))) {
    // A live container's conmon holds its published port bound. A bound port is someone's, even
    // when this engine does not know the container (another Podman's storage): not touched.
    if ((await hostPortState({ hostPort: rule.hostPort, containerPort: 0 })) === 'free') stale.push(rule);
  }
  return stale;
}

/**
 * Completes the teardown netavark would have done for the stale rules on `ports` (see
 * port-rules.ts teardownOf), then drops a network chain left with nothing in it, as netavark's
 * last teardown on a network does. Returns the host ports released. Nothing is deleted when a
 * rule to delete cannot be told from a live container's.
 */
export async function removeStalePortRules(engine: Engine, ports: number[], onStep: (line: string) => void = () => undefined): Promise<number[]> {
  if (ports.length === 0) return [];
  const stale = await stalePortRules(engine, ports);
  if (stale.length === 0) return [];
  const all = hostPortRules((await readNatTable()) ?? '');
  const gone = new Set(stale.map((rule) => rule.containerId));
  const addresses = new Map<string, string | undefined>();
  for (const rule of all.filter((r) => !gone.has(r.containerId) && stale.some((s) => s.dnChain === r.dnChain && s.hostPort === r.hostPort))) {
    addresses.set(rule.containerId, await engine.containers.addressOn(rule.containerId, rule.network).catch(() => undefined));
  }
  const { rules, undecided } = teardownOf(all, stale, (id) => addresses.get(id));
  if (undecided.length > 0) {
    const rule = undecided[0]!;
    throw runtimeError('STALE_PORT_RULE_SHARED', `host port ${rule.hostPort} is still captured by a leftover netavark rule of container ${short(rule.containerId)}, which no longer exists, and is published by a container whose address Podman does not say`, {
      subject: `port ${rule.hostPort}`,
      fix: 'remove the pod that publishes that port (podman pod rm -f), then run again',
    });
  }
  for (const rule of stale) onStep(`releasing host port ${rule.hostPort}: netavark left its rules for container ${short(rule.containerId)}, which Podman no longer has`);
  for (const rule of rules) await deleteRule(rule);
  for (const chain of new Set(stale.map((rule) => rule.dnChain))) await dropChainIfEmpty(chain);
  return [...new Set(stale.map((rule) => rule.hostPort))];
}

/** `iptables -t nat -S`, or undefined where it cannot be read (not root, no iptables): nothing to find then. */
async function readNatTable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    return (await run('iptables', ['-w', '10', '-t', 'nat', '-S'], { encoding: 'utf8' })).stdout;
  } catch {
    return undefined;
  }
}

async function deleteRule(rule: NatRule): Promise<void> {
  try {
    await run('iptables', ['-w', '10', '-t', 'nat', '-D', rule.chain, ...rule.args]);
  } catch (error) {
    const words = ((error as { stderr?: string }).stderr ?? (error as Error).message).trim().split('\n')[0];
    // Rules shared by two stale containers of one network (the marks) go with the first.
    if (/does a matching rule exist|No chain\/target\/match by that name/i.test(words ?? '')) return;
    throw runtimeError('STALE_PORT_RULE', `could not delete netavark's leftover rule "-A ${rule.chain} ${rule.args.join(' ')}": ${words}`, {
      subject: 'iptables -t nat',
      fix: `delete it by hand (iptables -t nat -D ${rule.chain} ...), then run again`,
    });
  }
}

/** As netavark's complete teardown: a network chain with no rule left and no jump to it goes. */
async function dropChainIfEmpty(chain: string): Promise<void> {
  const table = (await readNatTable()) ?? '';
  const lines = table.split('\n');
  const used = lines.some((line) => line.startsWith(`-A ${chain} `) || line.endsWith(`-j ${chain}`));
  if (used) return;
  await run('iptables', ['-w', '10', '-t', 'nat', '-X', chain]).catch(() => undefined);
}

function short(id: string): string {
  return id.slice(0, 12);
}

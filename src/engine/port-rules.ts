/**
 * The rules netavark (Podman 4.3's network backend, iptables driver) adds to the nat table to
 * publish a container's host port, read from `iptables -t nat -S`:
 *   -A NETAVARK-HOSTPORT-DNAT -p tcp -m tcp --dport P -m comment --comment "dnat name: NET id: CID" -j NETAVARK-DN-HASH
 * one such jump per container and port, and in NETAVARK-DN-HASH (one chain per network, shared
 * by its containers) three rules per host port: two that mark the traffic for masquerading and
 * `-p tcp -m tcp --dport P -j DNAT --to-destination IP:PORT`. netavark's teardown deletes
 * exactly these; they are described here so a teardown that never ran can be completed.
 */

/** One `-A` line of `iptables -S`, split into the arguments iptables would take back. */
export interface NatRule {
  chain: string;
  /** Everything after the chain name, unquoted: `iptables -t nat -D chain ...args` deletes it. */
  args: string[];
}

/** A published host port as netavark set it up for one container. */
export interface HostPortRule {
  /** The first host port (a range is published as P:Q). */
  hostPort: number;
  lastHostPort: number;
  protocol: string;
  network: string;
  containerId: string;
  /** The network's NETAVARK-DN-* chain the jump leads to. */
  dnChain: string;
  jump: NatRule;
  /** The rules of this host port in the network's chain (marks and DNAT). */
  dnRules: NatRule[];
}

const HOSTPORT_CHAIN = 'NETAVARK-HOSTPORT-DNAT';
const DN_PREFIX = 'NETAVARK-DN-';
const OWNER = /^dnat name: (\S+) id: ([0-9a-f]{12,64})$/;

/** Every host port netavark publishes, with the rules that publish it. */
export function hostPortRules(natTable: string): HostPortRule[] {
  const rules = natTable.split('\n').map(parseRule).filter((rule): rule is NatRule => rule !== undefined);
  const inChain = (chain: string) => rules.filter((rule) => rule.chain === chain);
  const found: HostPortRule[] = [];
  for (const jump of inChain(HOSTPORT_CHAIN)) {
    const target = option(jump.args, '-j');
    const owner = OWNER.exec(option(jump.args, '--comment') ?? '');
    const ports = option(jump.args, '--dport');
    if (!target?.startsWith(DN_PREFIX) || !owner || !ports) continue;
    const [first, last] = ports.split(':').map(Number);
    found.push({
      hostPort: first!,
      lastHostPort: last ?? first!,
      protocol: option(jump.args, '-p') ?? 'tcp',
      network: owner[1]!,
      containerId: owner[2]!,
      dnChain: target,
      jump,
      dnRules: inChain(target).filter((rule) => option(rule.args, '--dport') === ports && option(rule.args, '-p') === option(jump.args, '-p')),
    });
  }
  return found;
}

/** Whether a rule publishes `port` (a single port or inside a range). */
export function publishes(rule: HostPortRule, port: number): boolean {
  return port >= rule.hostPort && port <= rule.lastHostPort;
}

function parseRule(line: string): NatRule | undefined {
  const words = splitWords(line.trim());
  if (words[0] !== '-A' || words.length < 2) return undefined;
  return { chain: words[1]!, args: words.slice(2) };
}

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

/** Splits as iptables-save quotes: double quotes around words with spaces, \" and \\ inside. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) word += line[++i];
      else if (c === '"') quoted = false;
      else word += c;
    } else if (c === '"') {
      quoted = true;
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * The rules netavark's teardown would have deleted for the host port rules `stale` (of
 * containers gone), in the order to delete them (the jump first, so no packet meets a
 * half-removed chain). A host port rule of a container still there keeps its own rules in the
 * shared network chain: the marks (the same for every container of the port) and its DNAT, told
 * apart by the address `addressOf` gives (undefined: not known, then the chain's rules for that
 * port are left alone and the stale rule reported as undecided).
 */
export function teardownOf(all: HostPortRule[], stale: HostPortRule[], addressOf: (containerId: string) => string | undefined): { rules: NatRule[]; undecided: HostPortRule[] } {
  const rules: NatRule[] = [];
  const undecided: HostPortRule[] = [];
  const seen = new Set<string>();
  const add = (rule: NatRule) => {
    const key = `${rule.chain} ${rule.args.join(' ')}`;
    if (!seen.has(key)) rules.push(rule);
    seen.add(key);
  };
  const gone = new Set(stale.map((rule) => rule.containerId));
  for (const rule of stale) {
    add(rule.jump);
    const sharers = all.filter((other) => !gone.has(other.containerId) && other.dnChain === rule.dnChain && other.protocol === rule.protocol && other.hostPort === rule.hostPort);
    if (sharers.length === 0) {
      rule.dnRules.forEach(add);
      continue;
    }
    const kept = sharers.map((sharer) => addressOf(sharer.containerId));
    if (kept.some((address) => address === undefined)) {
      undecided.push(rule);
      continue;
    }
    for (const dn of rule.dnRules) {
      const to = option(dn.args, '--to-destination');
      if (to !== undefined && !kept.includes(addressPart(to))) add(dn);
    }
  }
  return { rules, undecided };
}

/** "10.89.1.6:8123" or "[fd00::6]:8123" → the address alone. */
function addressPart(destination: string): string {
  const host = destination.slice(0, destination.lastIndexOf(':'));
  return host.replace(/^\[|\]$/g, '');
}

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { splitWords } from '../src/engine/port-rules.js';
import { secretPrefix } from '../src/cluster/secret-delivery.js';

/**
 * What the fault benchmark leaves behind, removed at its end (after a failure too): its pods
 * and their secrets, its network, and the netavark rules of that network. Killing the engine
 * mid start is the benchmark's point, and a netavark setup Podman never recorded is torn down
 * by nobody (src/engine/stale-port-rules.ts): its rules would outlive the network. They are
 * all named after the network (netavark's chains are NETAVARK-[DN-]<first 13 hex digits of
 * sha512(network name)>) or its subnet, so only what this benchmark's network made is touched.
 * bench/run.ts skips this file (it has no run).
 */
export function leaveNoTrace(podman: (...args: string[]) => string, network: string, pods: Iterable<string>): string[] {
  const undone: string[] = [];
  const names = new Set(pods);
  for (const line of podman('pod', 'ls', '--format', '{{.Name}}').split('\n')) if (line.startsWith('out-f')) names.add(line.trim());
  for (const pod of names) podman('pod', 'rm', '-f', pod);
  const secrets = podman('secret', 'ls', '--format', '{{.Name}}').split('\n').map((line) => line.trim());
  const prefixes = [...names].map(secretPrefix);
  for (const secret of secrets) if (prefixes.some((prefix) => secret.startsWith(prefix))) podman('secret', 'rm', secret);
  const subnets = podman('network', 'inspect', network, '--format', '{{range .Subnets}}{{.Subnet}} {{end}}').split(/\s+/).filter(Boolean);
  podman('network', 'rm', '-f', network);
  const still = podman('network', 'ls', '--format', '{{range .Subnets}}{{.Subnet}} {{end}}').split(/\s+/);
  const hash = createHash('sha512').update(network).digest('hex').slice(0, 13).toUpperCase();
  const chains = [`NETAVARK-DN-${hash}`, `NETAVARK-${hash}`];
  // Rules that jump to the network's chains go first, then the chains themselves.
  for (const table of ['nat', 'filter']) {
    for (const line of iptables(['-t', table, '-S'])) {
      const words = splitWords(line);
      if (words[0] !== '-A') continue;
      const jumpsToOurs = chains.includes(words[words.indexOf('-j') + 1] ?? '') && !chains.includes(words[1]!);
      // netavark's forward rules name the subnet only; one another network has since is not ours.
      const forwardsOurs = words[1] === 'NETAVARK_FORWARD' && subnets.some((subnet) => !still.includes(subnet) && words.includes(subnet));
      if (jumpsToOurs || forwardsOurs) {
        iptables(['-t', table, '-D', ...words.slice(1)]);
        undone.push(`${table}: ${line}`);
      }
    }
  }
  for (const chain of chains) {
    if (iptables(['-t', 'nat', '-S']).some((line) => line === `-N ${chain}`)) {
      iptables(['-t', 'nat', '-F', chain]);
      iptables(['-t', 'nat', '-X', chain]);
      undone.push(`nat: chain ${chain}`);
    }
  }
  return undone;
}

function iptables(args: string[]): string[] {
  try {
    return execFileSync('iptables', ['-w', '10', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n');
  } catch {
    return [];
  }
}

import type { EtcdRenewal } from '../cluster/etcd-renewal.js';

/** The etcd steps of `rotate --dry-run`, in the order rotate takes them. */
export function renderEtcdRenewal(renewal: EtcdRenewal): string {
  const lines = ['etcd, one member at a time, every member healthy before the next:'];
  for (const member of renewal.members) {
    lines.push(member.action === 'unchanged' ? `  ${member.name} (${member.ip}): unchanged — ${member.reason}` : `  ${member.name} (${member.ip}): ${member.action} — ${member.reason}; replace ${member.pod}; wait for every member's /health`);
  }
  lines.push(`  etcd client certificates renewed: ${renewal.clients.join(', ')} (each machine restarts with its own below)`);
  return lines.join('\n');
}

import { relative } from 'node:path';
import { sha256Of } from '../base/sha256.js';
import type { MachinePlan } from '../cluster/machine-plan.js';
import { LABEL_TLS_PROFILE } from '../cluster/tls-profile.js';

/** The plan as data: what --dry-run --json prints. File contents and secrets never appear. */
export function planData(plan: MachinePlan) {
  return {
    pod: { name: plan.pod.name, hostname: plan.pod.hostname, action: plan.pod.action, reason: plan.pod.reason, ports: plan.pod.ports, aliases: plan.pod.aliases },
    network: plan.network,
    image: { name: plan.container.image, id: plan.container.imageId },
    trust: plan.trust,
    tlsProfile: plan.profile,
    stateDir: plan.paths.root,
    // The hash names the bytes a run writes (a removed file has none); it tells nothing of a
    // passphrase or key, which are random and far too long to guess.
    files: plan.derived.files.map((f) => ({ purpose: f.purpose, action: f.action, path: f.hostPath, mountedAt: f.containerPath, mode: `0${f.mode.toString(8)}`, sha256: f.action === 'remove' ? null : sha256Of(f.content) })),
    mounts: plan.container.mounts,
    properties: plan.derived.properties,
    env: { DH_JAVA_OPTS: plan.container.env.DH_JAVA_OPTS },
    front: plan.front ? { name: plan.front.name, image: plan.front.image, envoyConfig: plan.paths.envoyConfig } : null,
    changes: plan.changes,
    warnings: plan.check.findings.filter((f) => f.severity === 'warning'),
  };
}

const TRUST_TEXT: Record<MachinePlan['trust'], string> = {
  system: 'system trust (the image)',
  'truststore-iris': "truststore-iris (.p12, or .pem for the community profile) from the CA file (start's --ca-cert-file; a cluster's trust bundle)",
  internal: "truststore-internal.p12: only the CAs of the machines' certificates (Envoy in front)",
};

export function renderPlan(plan: MachinePlan): string {
  const lines = [
    `pod ${plan.pod.name} (hostname ${plan.pod.hostname}): ${plan.pod.action} — ${plan.pod.reason}`,
    `  image ${plan.container.image} (${plan.container.imageId.slice(0, 12)})`,
    `  network ${plan.network.name}: ${plan.network.action === 'create' ? 'create' : 'exists'}, alias ${plan.pod.aliases.join(', ')}`,
    `  ports ${plan.pod.ports.map((p) => `${p.hostIp ? `${p.hostIp}:` : ''}${p.hostPort}→${p.containerPort}`).join(', ') || '(none published)'}`,
    `  TLS profile ${plan.profile} (the image's ${LABEL_TLS_PROFILE} label; enterprise without one)`,
    `  trust for outgoing TLS: ${TRUST_TEXT[plan.trust]}`,
    `  files in ${plan.paths.root}:`,
    ...plan.derived.files.map((f) => `    ${f.action.padEnd(9)} ${relative(plan.paths.root, f.hostPath).padEnd(28)} → ${f.containerPath} (0${f.mode.toString(8)})${shortHash(f)}`),
    ...(plan.front ? [`  front: ${plan.front.image} in the same pod (Envoy bootstrap ${plan.paths.envoyConfig})`] : []),
    '  mounts (read-only):',
    ...plan.container.mounts.map((m) => `    ${m.source} → ${m.destination}`),
    '  properties:',
    ...Object.entries(plan.derived.properties).map(([key, value]) => `    ${key}=${value}`),
  ];
  return lines.join('\n');
}

/** The first 16 hex digits of the bytes to write: enough to tell two plans apart by eye. */
function shortHash(file: { action: string; content: Buffer }): string {
  return file.action === 'remove' ? '' : ` sha256:${sha256Of(file.content).slice(0, 16)}`;
}

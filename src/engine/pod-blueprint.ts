import type { ContainerSpec } from './containers.js';
import type { PodEngine } from './pod-engine.js';
import type { PodSpec } from './pods.js';

/** Everything needed to create a pod again as it is now, with its members. */
export interface PodBlueprint {
  pod: PodSpec;
  containers: Omit<ContainerSpec, 'pod'>[];
  /** Whether it was running: a pod put back is started only if it was. */
  running: boolean;
}

/**
 * Reads a pod's blueprint from Podman itself (pod, infra and member inspects) rather than from
 * dh-podman's plans or labels: it describes what actually ran, also for pods an older version
 * made, and needs nothing recorded beforehand. Members are pinned to the image id they run (the
 * name may name a newer image by now) and keep their full environment, command and mounts; the
 * pod keeps its hostname, labels, ports, aliases and address. Our pods sit on one network.
 * A pod without members (left by an interrupted run) has nothing worth putting back: undefined.
 */
export async function readBlueprint(engine: PodEngine, name: string): Promise<PodBlueprint | undefined> {
  const info = await engine.pods.inspect(name);
  if (!info || info.containers.length === 0) return undefined;
  const network = info.networks[0];
  if (!network) return undefined;
  // The address and every member are read at once: no answer depends on another.
  const [attachment, ...members] = await Promise.all([engine.pods.attachment(name, network), ...info.containers.map((member) => engine.containers.inspect(member.name))]);
  if (!attachment) return undefined;
  const containers: PodBlueprint['containers'] = [];
  for (const container of members) {
    if (!container) return undefined;
    containers.push({
      name: container.name,
      image: container.imageId,
      env: container.env,
      mounts: container.mounts,
      secrets: container.secrets,
      ...(container.user ? { user: container.user } : {}),
      labels: container.labels,
      ...(container.command.length > 0 ? { command: container.command } : {}),
    });
  }
  return {
    pod: {
      name: info.name,
      hostname: info.hostname,
      network,
      aliases: attachment.aliases,
      ports: info.ports,
      labels: info.labels,
      staticIp: attachment.ip,
      staticMac: attachment.mac,
    },
    containers,
    running: info.state === 'Running' || info.state === 'Degraded',
  };
}

/** Creates the pod and its members from a blueprint, and starts it if it was running. */
export async function createFromBlueprint(engine: PodEngine, blueprint: PodBlueprint): Promise<void> {
  await engine.pods.create(blueprint.pod);
  for (const container of blueprint.containers) await engine.containers.createReplacing({ ...container, pod: blueprint.pod.name });
  if (blueprint.running) await engine.pods.start(blueprint.pod.name);
}

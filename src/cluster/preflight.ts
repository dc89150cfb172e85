import { runtimeError } from '../base/errors.js';
import type { PodEngine } from '../engine/pod-engine.js';
import { hostPortState } from '../engine/host-ports.js';
import type { MachinePlan } from './machine-plan.js';

/**
 * What can be found out about applying a plan without touching anything, asked right before
 * the first change: its images still exist and nobody else holds its host ports. Podman itself
 * would find a taken port only when the new pod starts, after the old one was removed. (A
 * missing network is no such risk: it is created before the old pod goes, and undone.)
 */
export async function preflight(engine: PodEngine, plan: MachinePlan): Promise<void> {
  const images = [{ image: plan.container.image, what: 'image' }, ...(plan.front ? [{ image: plan.front.image, what: 'front image' }] : [])];
  // Ports the pod being replaced publishes are its own: they come free when it goes.
  const needsPod = plan.pod.ports.length > 0 && plan.pod.action !== 'create';
  const [existing, ...present] = await Promise.all([needsPod ? engine.pods.inspect(plan.pod.name) : undefined, ...images.map(({ image }) => engine.images.exists(image))]);
  for (const [index, { image, what }] of images.entries()) {
    if (!present[index]) {
      throw runtimeError('IMAGE_MISSING', `the ${what} ${image} no longer exists; pod ${plan.pod.name} was not touched`, {
        subject: image,
        fix: 'build it again, then run again',
      });
    }
  }
  if (plan.pod.ports.length === 0) return;
  const own = new Set((existing?.ports ?? []).map((port) => port.hostPort));
  const states = await Promise.all(plan.pod.ports.map((port) => (own.has(port.hostPort) ? 'free' : hostPortState(port))));
  for (const [index, port] of plan.pod.ports.entries()) {
    const state = states[index]!;
    if (state === 'free') continue;
    const address = `${port.hostIp || '0.0.0.0'}:${port.hostPort}`;
    throw runtimeError(
      state === 'in-use' ? 'PORT_IN_USE' : 'PORT_ADDRESS_MISSING',
      state === 'in-use'
        ? `host port ${address} is held by another process; pod ${plan.pod.name} was not touched`
        : `no network interface of this host has the address ${port.hostIp}; pod ${plan.pod.name} was not touched`,
      {
        subject: `port ${port.hostPort}`,
        fix: state === 'in-use' ? 'stop what holds it, or publish another host port' : 'publish on an address this host has, or on every address',
      },
    );
  }
}

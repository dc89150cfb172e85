import type { Containers } from './containers.js';
import type { Images } from './images.js';
import type { Networks } from './networks.js';
import type { Pods } from './pods.js';
import type { Secrets } from './secrets.js';

/**
 * What planning, applying and removing pods ask of Podman, and nothing more. `Engine` is one;
 * a unit test hands the planner another that answers from recorded Podman state, so plans can
 * be tested without a running engine. Each client keeps the shapes of the real one.
 */
export interface PodEngine {
  readonly images: Pick<Images, 'exists' | 'inspect'>;
  readonly pods: Pick<Pods, 'create' | 'inspect' | 'address' | 'attachment' | 'list' | 'start' | 'remove'>;
  readonly containers: Pick<Containers, 'create' | 'createReplacing' | 'inspect' | 'start' | 'remove' | 'removeIfPresent'>;
  readonly networks: Pick<Networks, 'exists' | 'create' | 'inspect' | 'list' | 'remove'>;
  readonly secrets: Pick<Secrets, 'create' | 'createIfAbsent' | 'exists' | 'list' | 'remove'>;
  /**
   * Deletes the host's netavark rules that still capture these host ports for containers Podman
   * no longer has (stale-port-rules.ts); returns the ports released. A fake engine has no host
   * firewall to touch.
   */
  releaseStalePortRules(ports: number[], onStep: (line: string) => void): Promise<number[]>;
}

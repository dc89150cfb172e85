import type Dockerode from 'dockerode';
import { timed, timingOn } from '../base/timing.js';
import { LibpodApi } from './api.js';
import { timeEngineCalls } from './call-timing.js';
import { discoverEngine, type DiscoveryOptions, type EngineEndpoint } from './discovery.js';
import { Containers } from './containers.js';
import { execIn, type ExecResult } from './exec.js';
import { Images } from './images.js';
import { readInfo, type EngineInfo } from './info.js';
import { Networks } from './networks.js';
import type { PodEngine } from './pod-engine.js';
import { Pods } from './pods.js';
import { Secrets } from './secrets.js';
import { removeStalePortRules } from './stale-port-rules.js';

/**
 * The one door to Podman. The only place a Dockerode client is made; nothing of dockerode's or
 * Podman's JSON types leaves this layer, only the small shapes each client returns. Libpod calls
 * go through LibpodApi (api.ts); dockerode is loaded only for a build or an exec.
 */
export class Engine implements PodEngine {
  readonly images: Images;
  readonly pods: Pods;
  readonly containers: Containers;
  readonly networks: Networks;
  readonly secrets: Secrets;
  /** Stops timing this engine's calls (DH_PODMAN_DEBUG=timing). */
  private readonly stopTiming: () => void;

  private readonly api: LibpodApi;
  private dockerode: Promise<Dockerode> | undefined;

  private constructor(private readonly endpoint: EngineEndpoint) {
    this.api = new LibpodApi(endpoint.socketPath);
    this.images = new Images(this.api, () => this.compat());
    this.pods = new Pods(this.api);
    this.containers = new Containers(this.api);
    this.networks = new Networks(this.api);
    this.secrets = new Secrets(this.api);
    this.stopTiming = timingOn() ? timeEngineCalls(endpoint.socketPath) : () => undefined;
  }

  static async connect(options: DiscoveryOptions = {}): Promise<Engine> {
    return new Engine(await timed('engine discovery', () => discoverEngine(options)));
  }

  /**
   * dockerode, for the Docker-compatible calls that are streams (build, exec). Loaded on first
   * use, not at the top: it brings gRPC and ssh2 along (200 ms and more), which starting,
   * rotating or removing pods should not pay for.
   */
  private compat(): Promise<Dockerode> {
    this.dockerode ??= timed('loading dockerode', () => import('dockerode')).then(
      ({ default: DockerodeClient }) => new DockerodeClient({ socketPath: this.endpoint.socketPath }),
    );
    return this.dockerode;
  }

  /** Runs `work` with an engine and always releases it (stops a private service). */
  static async with<T>(options: DiscoveryOptions, work: (engine: Engine) => Promise<T>): Promise<T> {
    const engine = await Engine.connect(options);
    try {
      return await work(engine);
    } finally {
      await engine.close();
    }
  }

  /** The engine's version, OCI runtime and network backend, as it reports them. */
  info(): Promise<EngineInfo> {
    return readInfo(this.api);
  }

  releaseStalePortRules(ports: number[], onStep: (line: string) => void): Promise<number[]> {
    return timed('looking for stale port rules (iptables -t nat -S)', () => removeStalePortRules(this, ports, onStep));
  }

  /** Runs `command` inside the running `container` (its files, its network) and waits for it. */
  async exec(container: string, command: string[]): Promise<ExecResult> {
    return execIn(await this.compat(), container, command);
  }

  get socketPath(): string {
    return this.endpoint.socketPath;
  }

  get source(): string {
    return this.endpoint.source;
  }

  async close(): Promise<void> {
    this.stopTiming();
    await this.endpoint.release();
  }
}

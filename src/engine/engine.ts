import type Dockerode from 'dockerode';
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
 * Podman's JSON types leaves this layer, only the small shapes each client returns.
 */
export class Engine implements PodEngine {
  readonly images: Images;
  readonly pods: Pods;
  readonly containers: Containers;
  readonly networks: Networks;
  readonly secrets: Secrets;

  private constructor(
    private readonly endpoint: EngineEndpoint,
    private readonly docker: Dockerode,
  ) {
    this.images = new Images(docker);
    this.pods = new Pods(docker);
    this.containers = new Containers(docker);
    this.networks = new Networks(docker);
    this.secrets = new Secrets(docker);
  }

  static async connect(options: DiscoveryOptions = {}): Promise<Engine> {
    const endpoint = await discoverEngine(options);
    // Loaded here, not at the top: dockerode brings gRPC and ssh2 along (about 200 ms), which
    // commands that never talk to Podman should not pay for.
    const { default: DockerodeClient } = await import('dockerode');
    return new Engine(endpoint, new DockerodeClient({ socketPath: endpoint.socketPath }));
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
    return readInfo(this.docker);
  }

  releaseStalePortRules(ports: number[], onStep: (line: string) => void): Promise<number[]> {
    return removeStalePortRules(this, ports, onStep);
  }

  /** Runs `command` inside the running `container` (its files, its network) and waits for it. */
  exec(container: string, command: string[]): Promise<ExecResult> {
    return execIn(this.docker, container, command);
  }

  get socketPath(): string {
    return this.endpoint.socketPath;
  }

  get source(): string {
    return this.endpoint.source;
  }

  async close(): Promise<void> {
    await this.endpoint.release();
  }
}

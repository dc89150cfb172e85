import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from './support.js';

/**
 * A Podman API service of its own for the fault benchmark (never the tests' one: it gets
 * killed), and a proxy socket in front of it that counts the calls passing through and kills
 * the service with SIGKILL (or another victim: the client) while a chosen call is being served.
 * bench/run.ts skips this file (it has no run).
 */

const defaultDir = join(repoRoot, '.test-work', 'podman-faults');

/** A call to kill during: the nth (1-based) request whose "METHOD path" matches. */
export interface KillPoint {
  label: string;
  call: RegExp;
  nth: number;
}

export class FaultEngine {
  readonly socket: string;
  readonly proxySocket: string;
  readonly conf: string;
  private readonly serviceEnv: NodeJS.ProcessEnv;
  private proxy: Server | undefined;
  private killAt: KillPoint | undefined;
  private victim: () => void = () => this.kill();
  private seen = 0;
  /** Whether the armed kill point was reached in the last run. */
  killed = false;

  /** `dir`: the service's directory (scripts/podman-env.sh DH_PODMAN_ENGINE_DIR). */
  constructor(private readonly dir = defaultDir) {
    this.proxySocket = join(dir, 'proxy.sock');
    this.conf = join(dir, 'containers.conf');
    this.serviceEnv = { ...process.env, DH_PODMAN_ENGINE_DIR: dir };
    this.socket = this.start();
  }

  /** Starts the service if it does not answer (scripts/podman-env.sh), returns its socket. */
  start(): string {
    return execFileSync('bash', ['scripts/podman-env.sh', 'start'], { cwd: repoRoot, env: this.serviceEnv, encoding: 'utf8' }).trim();
  }

  /** What a dh-podman run needs to talk to the engine through the proxy, or directly. */
  env(throughProxy: boolean): NodeJS.ProcessEnv {
    return { CONTAINER_HOST: `unix://${throughProxy ? this.proxySocket : this.socket}`, CONTAINERS_CONF: this.conf };
  }

  /** The next run through the proxy kills the engine at this point, or calls `victim` instead. */
  arm(point: KillPoint, victim?: () => void): void {
    this.killAt = point;
    this.seen = 0;
    this.killed = false;
    this.victim = victim ?? (() => this.kill());
  }

  kill(): void {
    const pid = Number.parseInt(readFileSync(join(this.dir, 'service.pid'), 'utf8'), 10);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    this.killed = true;
  }

  async listen(): Promise<void> {
    rmSync(this.proxySocket, { force: true });
    this.proxy = createServer((client) => this.forward(client));
    await new Promise<void>((resolve) => this.proxy!.listen(this.proxySocket, resolve));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.proxy ? this.proxy.close(() => resolve()) : resolve()));
    execFileSync('bash', ['scripts/podman-env.sh', 'stop'], { cwd: repoRoot, env: this.serviceEnv });
  }

  private forward(client: Socket): void {
    const upstream = connect(this.socket);
    let pending = '';
    client.on('data', (chunk: Buffer) => {
      // Request lines are counted as they pass; a chunk may end inside one, so the tail waits.
      pending += chunk.toString('latin1');
      const lines = pending.split('\r\n');
      pending = lines.pop()!.slice(-200);
      for (const line of lines) this.count(line);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }

  private count(line: string): void {
    // Not anchored at the start: on a kept-alive connection a request line follows the previous
    // request's body (JSON, no line end) directly.
    const request = /(GET|POST|DELETE|PUT|HEAD) (\/\S*) HTTP\/1\.[01]$/.exec(line);
    if (!request || !this.killAt || this.killed) return;
    if (!this.killAt.call.test(`${request[1]} ${request[2]}`)) return;
    this.seen++;
    // Killed 30 ms after the call reaches the engine: during a slow call (removing or starting a
    // pod), just after a fast one (creates take about 25 ms), so the next call meets a dead engine.
    if (this.seen === this.killAt.nth) {
      setTimeout(() => {
        this.victim();
        this.killed = true;
      }, 30);
    }
  }
}

import { debugAsks } from '../base/debug.js';
import { isDhError } from '../base/errors.js';
import type { DiscoveryOptions } from '../engine/discovery.js';
import { Engine } from '../engine/engine.js';
import type { Output } from './output.js';

/** What a command's engine is found from: its environment, and where tests move the rootful socket. */
export interface EngineContext {
  io: { env: NodeJS.ProcessEnv };
  rootfulSocket?: string;
}

/** Engine discovery as the CLI wants it: skipped strategies are said with DH_PODMAN_DEBUG=1. */
export function discoveryOptions(context: EngineContext, output: Output): DiscoveryOptions {
  const debug = debugAsks(context.io.env, '1');
  return {
    env: context.io.env,
    ...(context.rootfulSocket ? { rootfulSocket: context.rootfulSocket } : {}),
    ...(debug ? { debug: (line: string) => output.info(line) } : {}),
  };
}

/** Runs a command's work with an engine, releasing it (and any private service) afterwards. */
export function withEngine<T>(context: EngineContext, output: Output, work: (engine: Engine) => Promise<T>): Promise<T> {
  return Engine.with(discoveryOptions(context, output), work);
}

/** What a command does before it needs the engine, and what it reads from the engine meanwhile. */
export interface MeanwhileWork<C, R> {
  /** The checks of the command's input: their error, if any, is the command's error. */
  checks: () => Promise<C>;
  /** Reads that need the engine but not the checks' result. */
  reads: (engine: Engine) => Promise<R>;
}

/**
 * Like withEngine, but the engine is found and read while the checks run: the checks are work
 * on this process's core, the engine answers on another, and neither waits for the other. Only
 * a running service is looked for meanwhile; a private one (`podman system service` started for
 * this command) is started after the checks pass, so bad input still starts nothing. An error
 * of the checks comes first; an engine error only once the checks have passed.
 */
export async function withEngineMeanwhile<C, R, T>(
  context: EngineContext,
  output: Output,
  meanwhile: MeanwhileWork<C, R>,
  work: (engine: Engine, checked: C, read: R) => Promise<T>,
): Promise<T> {
  const options = discoveryOptions(context, output);
  const running = Engine.connect({ ...options, allowPrivateService: false });
  const reading = running.then(meanwhile.reads);
  // Both are awaited below, or dropped because the checks failed: never an unhandled rejection.
  reading.catch(() => undefined);
  const checked = await meanwhile.checks().catch(async (error: unknown) => {
    await running.then((engine) => engine.close(), () => undefined);
    throw error;
  });
  const late = await running.then(
    () => undefined,
    (error: unknown) => {
      if (isDhError(error) && error.code === 'ENGINE_NOT_FOUND') return Engine.connect(options);
      throw error;
    },
  );
  const engine = late ?? (await running);
  try {
    return await work(engine, checked, await (late ? meanwhile.reads(late) : reading));
  } finally {
    await engine.close();
  }
}

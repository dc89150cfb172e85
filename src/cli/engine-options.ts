
import { debugAsks } from '../base/debug.js';
import type { DiscoveryOptions } from '../engine/discovery.js';
import { Engine } from '../engine/engine.js';
import type { Output } from './output.js';

/** Engine discovery as the CLI wants it: skipped strategies are said with DH_PODMAN_DEBUG=1. */
export function discoveryOptions(context: { io: { env: NodeJS.ProcessEnv } }, output: Output): DiscoveryOptions {
  const debug = debugAsks(context.io.env, '1');
  return { env: context.io.env, ...(debug ? { debug: (line: string) => output.info(line) } : {}) };
}

/** Runs a command's work with an engine, releasing it (and any private service) afterwards. */
export function withEngine<T>(context: { io: { env: NodeJS.ProcessEnv } }, output: Output, work: (engine: Engine) => Promise<T>): Promise<T> {
  return Engine.with(discoveryOptions(context, output), work);
}


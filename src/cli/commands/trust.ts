import type { Command } from 'commander';
import type { CommandContext } from '../program.js';
import { registerTrustBundle } from './trust-bundle.js';
import { registerTrustKeystore } from './trust-keystore.js';
import { COMMAND_SUMMARIES } from '../command-summaries.js';

export function registerTrustCommands(program: Command, context: CommandContext): void {
  const trust = program.command('trust').description(COMMAND_SUMMARIES.trust.description);
  registerTrustBundle(trust, context);
  registerTrustKeystore(trust, context);
}

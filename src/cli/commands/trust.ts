import type { Command } from 'commander';
import type { CommandContext } from '../program.js';
import { registerTrustBundle } from './trust-bundle.js';
import { registerTrustKeystore } from './trust-keystore.js';

export function registerTrustCommands(program: Command, context: CommandContext): void {
  const trust = program.command('trust').description('build trust bundles, PKCS#12 truststores and keystores Java services load');
  registerTrustBundle(trust, context);
  registerTrustKeystore(trust, context);
}

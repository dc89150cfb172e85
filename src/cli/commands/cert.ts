import type { Command } from 'commander';
import type { CommandContext } from '../program.js';
import { registerCertInspect } from './cert-inspect.js';
import { registerCertCheck } from './cert-check.js';
import { registerCertCa } from './cert-ca.js';
import { registerCertIssue } from './cert-issue.js';
import { registerCertExpiry } from './cert-expiry.js';
import { COMMAND_SUMMARIES } from '../command-summaries.js';

export function registerCertCommands(program: Command, context: CommandContext): void {
  const cert = program
    .command('cert')
    .description(COMMAND_SUMMARIES.cert.description);
  registerCertInspect(cert, context);
  registerCertCheck(cert, context);
  registerCertCa(cert, context);
  registerCertIssue(cert, context);
  registerCertExpiry(cert, context);
}

import type { Command } from 'commander';
import type { CommandContext } from '../program.js';
import { registerCertInspect } from './cert-inspect.js';
import { registerCertCheck } from './cert-check.js';
import { registerCertCa } from './cert-ca.js';
import { registerCertIssue } from './cert-issue.js';
import { registerCertExpiry } from './cert-expiry.js';

export function registerCertCommands(program: Command, context: CommandContext): void {
  const cert = program
    .command('cert')
    .description("inspect, check and create TLS certificates, and list a cluster's by expiry (replaces create_dh_cert.sh)");
  registerCertInspect(cert, context);
  registerCertCheck(cert, context);
  registerCertCa(cert, context);
  registerCertIssue(cert, context);
  registerCertExpiry(cert, context);
}

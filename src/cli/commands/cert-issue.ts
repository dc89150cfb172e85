import type { Command } from 'commander';
import type { CommandContext } from '../program.js';

export function registerCertIssue(cert: Command, _context: CommandContext): void {
  cert.command('issue').description('(not yet implemented)');
}

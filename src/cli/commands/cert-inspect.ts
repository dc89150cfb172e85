import type { Command } from 'commander';
import type { CommandContext } from '../program.js';

export function registerCertInspect(cert: Command, _context: CommandContext): void {
  cert.command('inspect').description('(not yet implemented)');
}

import type { Command } from 'commander';
import type { CommandContext } from '../program.js';

export function registerCertCa(cert: Command, _context: CommandContext): void {
  cert.command('ca').description('(not yet implemented)');
}

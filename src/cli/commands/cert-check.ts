import type { Command } from 'commander';
import type { CommandContext } from '../program.js';

export function registerCertCheck(cert: Command, _context: CommandContext): void {
  cert.command('check').description('(not yet implemented)');
}

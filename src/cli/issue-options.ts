import { Option, type Command } from 'commander';
import { DEFAULT_KEY_ALGORITHM, KEY_ALGORITHMS } from '../pki/keys.js';
import { checkDays } from '../pki/validity-days.js';

/** Options shared by `cert ca` and `cert issue`; light, since --help builds them. */

export function addCaOptions(command: Command, role: string): Command {
  return command
    .addOption(new Option('--ca-dir <dir>', `${role}: a directory with ca.crt and ca.key (from 'cert ca')`).conflicts(['caCert', 'caKey']))
    .option('--ca-cert <file>', `${role}: your own CA certificate (PEM; the CA first, then its chain)`)
    .option('--ca-key <file>', `${role}: your own CA's private key (PEM, unencrypted)`);
}

export function daysOption(defaultDays: number): Option {
  return new Option('--days <n>', 'validity in days').default(defaultDays).argParser((value: string) => checkDays(value));
}

export function keyOption(): Option {
  return new Option('--key <algorithm>', 'key algorithm of the new key').choices(KEY_ALGORITHMS).default(DEFAULT_KEY_ALGORITHM);
}

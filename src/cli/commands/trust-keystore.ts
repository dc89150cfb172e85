import type { Command } from 'commander';
import { ExitCode } from '../../base/errors.js';
import { generatePassphrase, readPassphraseFile } from '../../trust/passphrase.js';
import type { CommandContext } from '../program.js';

interface KeystoreFlags {
  tlsVolume: string;
  out: string;
  passphraseFile?: string;
  alias?: string;
}

export function registerTrustKeystore(trust: Command, context: CommandContext): void {
  trust
    .command('keystore')
    .description("turn a TLS volume's tls.crt + tls.key into the PKCS#12 keystore a Java service loads")
    .requiredOption('--tls-volume <dir>', 'directory holding tls.crt and tls.key')
    .requiredOption('--out <file.p12>', 'keystore to write (0600)')
    .option('--passphrase-file <file>', 'read the passphrase from this file; when it does not exist, a random one is generated into it (0600). Default: <out>.passphrase')
    .option('--alias <name>', "entry alias (default: the leaf's first DNS name)")
    .addHelpText(
      'after',
      `
The passphrase is never printed or passed on the command line.

Example (one keystore per service for mutual TLS):
  dh-podman trust keystore --tls-volume tls/auth --out auth.p12`,
    )
    .action(async (flags: KeystoreFlags, command: Command) => {
      const { pathExists, writeFileAtomic, writeFileIfChanged } = await import('../../base/atomic-write.js');
      const { renderFindings } = await import('../findings-view.js');
      const { buildKeystore, readKeystoreMaterial } = await import('../../trust/keystore.js');
      const output = context.output(command);
      const { material, findings } = await readKeystoreMaterial(flags.tlsVolume, flags.alias);
      if (!material) {
        output.data({ ok: false, findings });
        output.essential(renderFindings(findings, output));
        output.info('nothing was written');
        context.exit(ExitCode.invalidInput);
        return;
      }
      const passphraseFile = flags.passphraseFile ?? `${flags.out.replace(/\.p12$/, '')}.passphrase`;
      const generated = !(await pathExists(passphraseFile));
      const passphrase = generated ? generatePassphrase() : await readPassphraseFile(passphraseFile);
      if (generated) await writeFileAtomic(passphraseFile, `${passphrase}\n`, { mode: 0o600 });
      const outcome = await writeFileIfChanged(flags.out, await buildKeystore(material, passphrase), 0o600);
      output.data({
        ok: true,
        keystore: flags.out,
        outcome,
        alias: material.alias,
        chain: material.chain.map((cert) => ({ subject: cert.subject, sha256: cert.sha256 })),
        passphraseFile,
        passphraseGenerated: generated,
      });
      output.result(
        `wrote ${flags.out}: alias "${material.alias}", chain of ${material.chain.length}\n` +
          `passphrase: ${passphraseFile}${generated ? ' (generated)' : ''}`,
      );
    });
}

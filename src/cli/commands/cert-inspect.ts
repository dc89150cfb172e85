import type { Command } from 'commander';
import { ExitCode } from '../../base/errors.js';
import type { CertificateDescription } from '../../pki/describe.js';
import type { Finding } from '../../pki/findings.js';
import type { CommandContext } from '../program.js';

interface InspectedFile {
  file: string;
  certificates: CertificateDescription[];
  /** Said so people know the file is sensitive; the key itself is never shown. */
  holdsPrivateKey: boolean;
}

export function registerCertInspect(cert: Command, context: CommandContext): void {
  cert
    .command('inspect')
    .description('show what certificates hold: names, usages, validity, key, fingerprint')
    .argument('<file...>', 'PEM (one or many certificates) or DER files')
    .addHelpText('after', '\nExample:\n  dh-podman cert inspect /etc/dh/tls/tls.crt\n  dh-podman cert inspect --json ca.der | jq .files[0].certificates[0].notAfter')
    .action(async (files: string[], _flags: object, command: Command) => {
      const { renderFindings } = await import('../findings-view.js');
      const { formatDescription } = await import('../../pki/describe.js');
      const output = context.output(command);
      const inspected: InspectedFile[] = [];
      const problems: Finding[] = [];
      for (const file of files) {
        const result = await inspectFile(file);
        if ('findings' in result) problems.push(...result.findings);
        else inspected.push(result);
      }
      output.data({ ok: problems.length === 0, files: inspected, findings: problems });
      for (const file of inspected) {
        file.certificates.forEach((description, index) => {
          output.result(`${file.file} [${index + 1}/${file.certificates.length}]\n${formatDescription(description)}`);
        });
        if (file.holdsPrivateKey) output.result(`${file.file}: also holds a private key (not shown)`);
      }
      if (problems.length > 0) {
        output.essential(renderFindings(problems, output));
        context.exit(ExitCode.invalidInput);
      }
    });
}

async function inspectFile(file: string): Promise<InspectedFile | { findings: Finding[] }> {
  const { describeCertificate } = await import('../../pki/describe.js');
  const { loadPemFile } = await import('../../pki/material.js');
  const { errorFinding } = await import('../../pki/findings.js');
  // Unlike `cert check`, inspect is where people look at DER files, so DER is read, not refused.
  const loaded = await loadPemFile(file, file, { acceptDer: true });
  if (!loaded.material || loaded.findings.length > 0) return { findings: loaded.findings };
  const { certificates, keyBlocks } = loaded.material;
  if (certificates.length === 0) {
    return { findings: [errorFinding('CERT_MISSING', file, 'holds no CERTIFICATE block', 'pass a PEM or DER certificate file')] };
  }
  return { file, certificates: certificates.map((c) => describeCertificate(c)), holdsPrivateKey: keyBlocks.length > 0 };
}

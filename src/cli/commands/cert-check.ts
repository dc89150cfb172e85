import { Option, type Command } from 'commander';
import { ExitCode } from '../../base/errors.js';
import { parseHostname, parseNonNegativeInt } from '../options.js';
import type { CommandContext } from '../program.js';

interface CheckFlags {
  hostname: string;
  tlsVolume: string;
  caCertFile?: string;
  envoyHostname?: string;
  mtls?: boolean;
  strict?: boolean;
  warnDays: number;
  handshake: boolean;
}

export function registerCertCheck(cert: Command, context: CommandContext): void {
  cert
    .command('check')
    .description('check a TLS volume against every certificate rule before it is used')
    .requiredOption('-h, --hostname <fqdn>', "the machine's FQDN, which the leaf's SAN must cover", parseHostname)
    .requiredOption('--tls-volume <dir>', 'directory holding tls.crt, tls.key and optionally envoy.pem')
    .option('--ca-cert-file <file>', 'PEM bundle the chain must verify up to')
    .option('--envoy-hostname <fqdn>', 'hostname Envoy answers on; envoy.pem (or tls.crt) must cover it', parseHostname)
    .option('--mtls', 'mutual TLS is on: clientAuth is required')
    .option('--strict', 'fail on warnings too')
    .option('--no-handshake', 'skip the final TLS handshake on loopback (done when a CA file is given and every rule passed)')
    .addOption(new Option('--warn-days <n>', 'warn when a certificate expires within n days').default(30).argParser(parseNonNegativeInt))
    .addHelpText(
      'after',
      `
Every rule is checked and every broken rule reported; the codes are listed in docs/cert-check-codes.md.
Exit status: 0 valid, 3 invalid (or warnings with --strict), 2 usage error.

Example:
  dh-podman cert check -h dh1.example.com --tls-volume /etc/dh/tls --ca-cert-file corp-ca.pem`,
    )
    .action(async (flags: CheckFlags, command: Command) => {
      const { renderFindings } = await import('../findings-view.js');
      const { checkTlsVolume } = await import('../../pki/check.js');
      const output = context.output(command);
      const report = await checkTlsVolume({
        hostname: flags.hostname,
        tlsVolume: flags.tlsVolume,
        caCertFile: flags.caCertFile,
        envoyHostname: flags.envoyHostname,
        mtls: flags.mtls === true,
        warnDays: flags.warnDays,
        handshake: flags.handshake,
      });
      const failed = !report.ok || (flags.strict === true && report.findings.length > 0);
      output.data({ ...report, ok: !failed });
      if (report.findings.length > 0) output.essential(renderFindings(report.findings, output));
      if (!failed) {
        const leaf = report.leaf;
        output.result(
          `${output.style('green', 'ok')}: ${flags.tlsVolume} is valid for ${flags.hostname}` +
            (leaf ? ` (leaf "${leaf.subject}", ${leaf.daysLeft} days left)` : ''),
        );
      }
      if (failed) context.exit(ExitCode.invalidInput);
    });
}

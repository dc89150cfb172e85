import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { usageError } from '../../base/errors.js';
import type { KeyAlgorithm } from '../../pki/keys.js';
import type { CommandContext } from '../program.js';
import type { PlannedWrite } from '../issue-support.js';
import { DEFAULT_CA_DAYS } from '../../pki/validity-days.js';
import { addCaOptions, daysOption, keyOption } from '../issue-options.js';

interface CaCommandFlags {
  out: string;
  cn?: string;
  days: number;
  key: KeyAlgorithm;
  intermediate?: boolean;
  caDir?: string;
  caCert?: string;
  caKey?: string;
  force?: boolean;
}

export function registerCertCa(cert: Command, context: CommandContext): void {
  const command = cert
    .command('ca')
    .description("create a CA for 'cert issue' (or, with --intermediate, an intermediate CA under an existing one)")
    .requiredOption('--out <dir>', 'the CA directory to create: ca.crt 0644, ca.key 0600')
    .option('--cn <name>', 'the CA common name (default "dh-podman CA", or "dh-podman Intermediate CA")')
    .addOption(daysOption(DEFAULT_CA_DAYS))
    .addOption(keyOption())
    .option('--intermediate', 'make an intermediate CA signed by --ca-dir (or --ca-cert/--ca-key)');
  addCaOptions(command, 'with --intermediate, the parent CA');
  command
    .option('--force', 'replace existing files in --out')
    .addHelpText(
      'after',
      `
With --intermediate, --out gets ca.crt (the intermediate, then the parent's intermediates),
ca.key, and root.crt (the self-signed root: the trust anchor for --ca-cert-file).
The CA key stays on this host; keep the directory private.

Examples:
  dh-podman cert ca --out ~/dh-root --cn "Example Corp Root"
  dh-podman cert ca --intermediate --ca-dir ~/dh-root --out ~/dh-ca
  dh-podman cert ca --intermediate --ca-cert corp-ca.pem --ca-key corp-ca.key --out ~/dh-ca`,
    )
    .action(async (flags: CaCommandFlags, command: Command) => {
      const { CA_CERT_FILE, CA_KEY_FILE, hasCaFlags, intermediatesOf, issuerOf, loadCaFromFlags, ROOT_CERT_FILE } = await import('../../pki/ca-source.js');
      const { checkCommonName, issueIntermediateCa, issueRootCa } = await import('../../pki/issue.js');
      const { toPem } = await import('../../pki/pem.js');
      const { describeHuman, describeWrite, refuseExisting, summarise, noteCutShort, writeAll } = await import('../issue-support.js');
      const output = context.output(command);
      const intermediate = flags.intermediate === true;
      if (flags.cn !== undefined) checkCommonName(flags.cn);
      if (!intermediate && hasCaFlags(flags)) {
        throw usageError('CA_FLAGS_WITHOUT_INTERMEDIATE', '--ca-dir, --ca-cert and --ca-key only apply with --intermediate', {
          fix: 'add --intermediate to make an intermediate CA under that CA, or drop them for a new root CA',
        });
      }
      if (intermediate && !hasCaFlags(flags)) {
        throw usageError('CA_MISSING', '--intermediate needs the parent CA', {
          fix: 'give --ca-dir DIR, or --ca-cert FILE --ca-key FILE',
        });
      }
      if (flags.caDir !== undefined && resolve(flags.caDir) === resolve(flags.out)) {
        throw usageError('CA_OUT_IS_PARENT', '--out is the parent CA directory; that would replace the parent CA', {
          fix: 'give the intermediate its own --out directory',
        });
      }
      const parent = intermediate ? await loadCaFromFlags(flags) : undefined;
      parent?.warnings.forEach((warning) => output.warn(warning));

      const paths = { crt: join(flags.out, CA_CERT_FILE), key: join(flags.out, CA_KEY_FILE), root: join(flags.out, ROOT_CERT_FILE) };
      const writesRoot = parent?.root !== undefined;
      await refuseExisting(flags.out, [paths.crt, paths.key, ...(writesRoot ? [paths.root] : [])], flags.force === true);

      const options = { ...(flags.cn !== undefined ? { commonName: flags.cn } : {}), days: flags.days, key: flags.key };
      const ca = parent ? await issueIntermediateCa(issuerOf(parent), options) : await issueRootCa(options);
      const parentChain = parent ? intermediatesOf(parent).map((certificate) => toPem('CERTIFICATE', certificate.der)) : [];
      const writes: PlannedWrite[] = [
        { path: paths.key, data: ca.privateKeyPem, mode: 0o600 },
        { path: paths.crt, data: [ca.certificatePem, ...parentChain].join(''), mode: 0o644 },
      ];
      if (parent?.root) writes.push({ path: paths.root, data: toPem('CERTIFICATE', parent.root.der), mode: 0o644 });
      await writeAll(writes, flags.force === true);

      if (parent) noteCutShort(output, 'intermediate CA', ca, parent);
      const trustAnchor = parent ? (parent.root ? paths.root : undefined) : paths.crt;
      output.data({
        ok: true,
        written: writes.map(describeWrite),
        ca: { path: resolve(paths.crt), ...summarise(ca) },
        trustAnchor: trustAnchor ? resolve(trustAnchor) : null,
      });
      output.result([`wrote ${writes.map((write) => resolve(write.path)).join(', ')}`, ...describeHuman(parent ? 'intermediate CA' : 'root CA', ca)].join('\n'));
      output.info(
        trustAnchor
          ? `trust anchor: ${resolve(trustAnchor)} (give it to --ca-cert-file)`
          : `the parent's self-signed root is not in ${parent?.certPath}; give your root CA file to --ca-cert-file`,
      );
      output.info(`next: dh-podman cert issue --ca-dir ${flags.out} --hostname <fqdn> --out <tls-dir>`);
    });
}

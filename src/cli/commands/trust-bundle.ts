import type { Command } from 'commander';
import type { WriteOutcome } from '../../base/atomic-write.js';
import { ExitCode, usageError } from '../../base/errors.js';
import type { Finding } from '../../pki/findings.js';
import type { TrustCode } from '../../trust/codes.js';
import { readPassphraseFile } from '../../trust/passphrase.js';
import type { SourceContents, TrustSource } from '../../trust/sources.js';
import { collect } from '../options.js';
import type { CommandContext } from '../program.js';

interface BundleFlags {
  from?: string[];
  fromInline?: string[];
  outPem?: string;
  outP12?: string;
  passwordFile?: string;
  allowLeaf?: boolean;
}

const identity = (value: string) => value;

export function registerTrustBundle(trust: Command, context: CommandContext): void {
  trust
    .command('bundle')
    .description('pool CA certificates from several sources into one PEM bundle and/or PKCS#12 truststore')
    .option('--from <source>', "'system' (the host's CA bundle) or a PEM/DER file; repeatable", collect(identity))
    .option('--from-inline <pem>', 'PEM text of one or more certificates; repeatable', collect(identity))
    .option('--out-pem <file>', 'write the bundle as PEM (0644)')
    .option('--out-p12 <file>', 'write a PKCS#12 truststore, one trustedCertEntry per CA (0644)')
    .option('--password-file <file>', 'truststore password (first line), checked by a MAC; without it the store is password-less and Java opens it with any password')
    .option('--allow-leaf', 'accept non-CA certificates (pinning), with a warning')
    .addHelpText(
      'after',
      `
Certificates are deduplicated by SHA-256 and sorted, so the same inputs give the same bytes;
nothing is written when any source has an error. Codes: docs/trust.md.

Example:
  dh-podman trust bundle --from system --from corp-ca.pem --out-pem trust.pem --out-p12 trust.p12`,
    )
    .action(async (flags: BundleFlags, command: Command) => {
      const { writeFileIfChanged } = await import('../../base/atomic-write.js');
      const { renderFindings } = await import('../findings-view.js');
      const { encodeTruststore } = await import('../../trust/pkcs12.js');
      const { buildPool } = await import('../../trust/pool.js');
      const { readSource } = await import('../../trust/sources.js');
      const { timed, timedSync } = await import('../../base/timing.js');
      const output = context.output(command);
      const sources = toSources(flags);
      if (sources.length === 0) {
        throw usageError('USAGE', 'no source given', { subject: '--from', fix: "pass --from system, --from FILE or --from-inline PEM" });
      }
      const read = await timed(`reading ${sources.length} source(s)`, () => Promise.all(sources.map(readSource)));
      const findings: Finding<TrustCode>[] = read.flatMap((result) => result.findings);
      const contents = read.map((result) => result.contents).filter((c): c is SourceContents => c !== undefined);
      const pool = timedSync('pooling and checking the certificates', () =>
        buildPool(contents, { allowLeaf: flags.allowLeaf === true, sourcesFailed: findings.some((f) => f.severity === 'error') }),
      );
      findings.push(...pool.findings);
      // Without a password of the user's own, the store is password-less (docs/pkcs12.md): a MAC
      // keyed by the published "changeit" would prove nothing.
      const password = flags.passwordFile ? await readPassphraseFile(flags.passwordFile) : undefined;

      const failed = findings.some((finding) => finding.severity === 'error');
      const written: { path: string; outcome: WriteOutcome }[] = [];
      if (!failed) {
        if (flags.outPem) {
          // Imported only when asked for: each module is paid again in every process.
          const { encodePemBundle } = await import('../../trust/pem-bundle.js');
          written.push({ path: flags.outPem, outcome: await writeFileIfChanged(flags.outPem, encodePemBundle(pool.entries), 0o644) });
        }
        if (flags.outP12) {
          const store = timedSync(`PKCS#12 of ${pool.entries.length} certificate(s)`, () =>
            encodeTruststore(pool.entries.map((e) => ({ alias: e.alias, der: e.certificate.der })), password),
          );
          written.push({ path: flags.outP12, outcome: await timed(`writing ${flags.outP12}`, () => writeFileIfChanged(flags.outP12!, store, 0o644)) });
        }
      }
      const passwordNote = flags.passwordFile ? { source: 'file', path: flags.passwordFile } : { source: 'none', opensWith: 'any password' };
      output.data({
        ok: !failed,
        read: pool.read,
        count: pool.entries.length,
        duplicates: pool.read - pool.entries.length,
        certificates: pool.entries.map((e) => ({
          alias: e.alias,
          subject: e.certificate.subject,
          sha256: e.certificate.sha256,
          notAfter: e.certificate.notAfter.toISOString(),
          sources: e.sources,
        })),
        findings,
        outputs: written,
        ...(flags.outP12 ? { password: passwordNote } : {}),
      });
      if (findings.length > 0) output.essential(renderFindings(findings, output));
      if (failed) {
        output.info('nothing was written');
        context.exit(ExitCode.invalidInput);
        return;
      }
      const lines = [`${pool.entries.length} certificate(s) from ${contents.length} source(s), ${pool.read - pool.entries.length} duplicate(s) dropped:`];
      for (const entry of pool.entries) lines.push(`  ${entry.alias}  ${entry.certificate.subject}`);
      for (const file of written) lines.push(`${file.outcome === 'unchanged' ? 'unchanged' : 'wrote'} ${file.path}`);
      if (flags.outP12 && !flags.passwordFile) {
        lines.push('truststore: password-less, as JDK 18+ writes its cacerts; Java opens it with any password ("changeit" included); --password-file sets one');
      }
      output.result(lines.join('\n'));
    });
}

function toSources(flags: BundleFlags): TrustSource[] {
  const sources: TrustSource[] = (flags.from ?? []).map((value) => (value === 'system' ? { kind: 'system' } : { kind: 'file', path: value }));
  (flags.fromInline ?? []).forEach((pem, index) => sources.push({ kind: 'inline', pem, index }));
  return sources;
}

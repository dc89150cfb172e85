import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import type { KeyAlgorithm } from '../../pki/keys.js';
import type { PlannedWrite } from '../issue-support.js';
import { collect } from '../options.js';
import type { CommandContext } from '../program.js';
import { DEFAULT_LEAF_DAYS } from '../../pki/validity-days.js';
import { addCaOptions, daysOption, keyOption } from '../issue-options.js';

interface IssueFlags {
  caDir?: string;
  caCert?: string;
  caKey?: string;
  hostname: string[];
  ip?: string[];
  client?: boolean;
  days: number;
  key: KeyAlgorithm;
  envoyHostname?: string;
  out: string;
  force?: boolean;
}

/** Past this, Apple platforms reject a TLS server certificate even from a private CA. */
const APPLE_MAX_LEAF_DAYS = 825;

export function registerCertIssue(cert: Command, context: CommandContext): void {
  const command = cert
    .command('issue')
    .description('issue a server certificate for one machine into a TLS volume (tls.crt, tls.key, optionally envoy.pem)');
  addCaOptions(command, 'the CA that signs');
  command
    .requiredOption('-h, --hostname <fqdn>', "the machine's DNS name; repeat for more SAN entries (the first is also the CN)", collect(String))
    .option('--ip <address>', 'an IP address SAN entry; repeatable', collect(String))
    // clientAuth is the default now; --client stays accepted so existing scripts keep working.
    .option('--client', 'allow client authentication (mutual TLS); the default, kept for compatibility')
    .option('--no-client', 'leave clientAuth out: the certificate serves TLS only, never authenticates as a client')
    .option('--envoy-hostname <fqdn>', 'also write envoy.pem: a separate leaf for the hostname Envoy answers on')
    .addOption(daysOption(DEFAULT_LEAF_DAYS))
    .addOption(keyOption())
    .requiredOption('--out <dir>', 'the TLS volume directory to write to')
    .option('--force', 'replace existing tls.crt, tls.key, envoy.pem')
    .addHelpText(
      'after',
      `
Writes tls.crt (the leaf, then the CA's intermediates; never the root) 0644 and tls.key (PKCS#8) 0600.
The leaf allows serverAuth and clientAuth (Deephaven services are clients of each other too);
--no-client leaves clientAuth out.
Nothing is written if any output file already exists, unless --force is given.

Example:
  dh-podman cert ca --out ~/dh-ca
  dh-podman cert issue --ca-dir ~/dh-ca -h dh1.example.com --ip 10.0.0.5 --out ~/dh1-tls
  dh-podman cert check -h dh1.example.com --tls-volume ~/dh1-tls --ca-cert-file ~/dh-ca/ca.crt`,
    )
    .action(async (flags: IssueFlags, command: Command) => {
      const { intermediatesOf, issuerOf, loadCaFromFlags } = await import('../../pki/ca-source.js');
      const { issueLeaf, parseSubjectNames } = await import('../../pki/issue.js');
      const { toPem } = await import('../../pki/pem.js');
      const { describeHuman, describeWrite, noteCutShort, refuseExisting, summarise, writeAll } = await import('../issue-support.js');
      const output = context.output(command);
      // Names first: a typo must not cost a CA load or a key generation.
      parseSubjectNames(flags.hostname, flags.ip ?? []);
      if (flags.envoyHostname !== undefined) parseSubjectNames([flags.envoyHostname], [], '--envoy-hostname');
      const ca = await loadCaFromFlags(flags);
      ca.warnings.forEach((warning) => output.warn(warning));
      const files = {
        crt: join(flags.out, 'tls.crt'),
        key: join(flags.out, 'tls.key'),
        envoy: join(flags.out, 'envoy.pem'),
      };
      const planned = [files.crt, files.key, ...(flags.envoyHostname !== undefined ? [files.envoy] : [])];
      await refuseExisting(flags.out, planned, flags.force === true);

      const leafOptions = { client: flags.client !== false, days: flags.days, key: flags.key };
      const leaf = await issueLeaf(issuerOf(ca), { ...leafOptions, hostnames: flags.hostname, ips: flags.ip ?? [] });
      const envoy =
        flags.envoyHostname !== undefined ? await issueLeaf(issuerOf(ca), { ...leafOptions, hostnames: [flags.envoyHostname] }) : undefined;
      const chain = intermediatesOf(ca).map((certificate) => toPem('CERTIFICATE', certificate.der));

      const writes: PlannedWrite[] = [
        // The key goes first: an interrupted --force run then leaves a mismatched pair, which
        // cert check reports, never an old key silently paired with a new certificate.
        { path: files.key, data: leaf.privateKeyPem, mode: 0o600 },
        { path: files.crt, data: [leaf.certificatePem, ...chain].join(''), mode: 0o644 },
      ];
      if (envoy) writes.push({ path: files.envoy, data: [envoy.certificatePem, ...chain, envoy.privateKeyPem].join(''), mode: 0o600 });
      await writeAll(writes, flags.force === true);

      const certificates = [
        { role: 'leaf', path: files.crt, issued: leaf },
        ...(envoy ? [{ role: 'envoy', path: files.envoy, issued: envoy }] : []),
      ];
      certificates.forEach((entry) => noteCutShort(output, entry.role, entry.issued, ca));
      if (flags.days > APPLE_MAX_LEAF_DAYS) {
        output.warn(`--days ${flags.days}: Apple clients reject server certificates valid for more than ${APPLE_MAX_LEAF_DAYS} days`);
      }
      output.data({
        ok: true,
        written: writes.map(describeWrite),
        certificates: certificates.map((entry) => ({ role: entry.role, path: resolve(entry.path), ...summarise(entry.issued) })),
        intermediates: chain.length,
        trustAnchor: ca.rootPath ? resolve(ca.rootPath) : null,
      });
      output.result(
        [
          `wrote ${planned.map((path) => resolve(path)).join(', ')}`,
          ...certificates.flatMap((entry) => describeHuman(entry.role, entry.issued)),
          `chain: leaf + ${chain.length} intermediate${chain.length === 1 ? '' : 's'}`,
        ].join('\n'),
      );
      output.info(
        ca.rootPath
          ? `trust anchor: ${resolve(ca.rootPath)} (give it to --ca-cert-file)`
          : `the CA's self-signed root is not in ${ca.certPath}; give your root CA file to --ca-cert-file`,
      );
    });
}

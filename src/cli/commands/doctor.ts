import { Option, type Command } from 'commander';
import { ExitCode } from '../../base/errors.js';
import { PACKAGED_IMAGES_DIR } from '../../base/version.js';
import { DEFAULT_BASE_IMAGE } from '../../cluster/base-image.js';
import { loadOrReport } from '../cluster-view.js';
import type { CommandContext } from '../program.js';
import { CLUSTER_STATE_DIR_HELP, clusterStateDir, STATE_DIR_FLAG } from '../state-dir-option.js';
import { DEFAULT_TAG_PREFIX } from '../../cluster/layout.js';
import { COMMAND_SUMMARIES } from '../command-summaries.js';

export function registerDoctor(program: Command, context: CommandContext): void {
  program
    .command('doctor')
    .description(COMMAND_SUMMARIES.doctor.description)
    .addOption(new Option('--base-image <image>', 'the OS image builds need').default(DEFAULT_BASE_IMAGE))
    .addOption(new Option('--tag-prefix <prefix>', 'the images are <prefix><name>:latest, as build tags them').default(DEFAULT_TAG_PREFIX))
    .option('-f, --file <file>', 'a cluster brought up by "up -f": check every trust path of it, live, instead of the host')
    .option(STATE_DIR_FLAG, `with -f: ${CLUSTER_STATE_DIR_HELP}`)
    .addHelpText(
      'after',
      `
One row per check: the engine (socket and version), OCI runtime, network backend, a container
start, port publishing on loopback, network alias DNS between containers, the base image, and
the images under images/. Each is ok, or says the problem and the fix. The checks run a few
short-lived containers of localhost/dh-podman/busybox:latest (made from the host's
busybox-static when missing) and remove them. Exit 0 when every check passes, 4 otherwise.

With -f FILE, one row per trust path of the running cluster: the host to each machine (with
the cluster's client bundle), each machine to each other one (OpenSSL inside the calling pod,
with the truststore it has), and each front to its machine. A failed path says why: which CA
is missing from which truststore, which name is not in which SAN, what expired, or what could
not be reached. Exit 0 when every path works, 4 otherwise.

Examples:
  dh-podman doctor --json | jq '.checks[] | select(.ok | not)'
  dh-podman doctor -f dh-podman.yaml`,
    )
    .action(async (flags: { baseImage: string; tagPrefix: string; file?: string; stateDir?: string }, command: Command) => {
      const { printCheckRows } = await import('../check-rows.js');
      const { runDoctor } = await import('../../cluster/doctor.js');
      const { discoveryOptions, withEngine } = await import('../engine-options.js');
      const output = context.output(command);
      const file = flags.file;
      if (file !== undefined) {
        // A doctor must still run when a certificate went bad: that is what it is there to explain.
        const spec = await loadOrReport(file, output, context, { checkCertificates: false });
        if (!spec) return;
        const stateDir = (await clusterStateDir(context, output, spec, file, flags.stateDir)).dir;
        const { runTrustDoctor } = await import('../../cluster/trust-doctor.js');
        const report = await withEngine(context, output, (engine) => runTrustDoctor(engine, spec, stateDir, file));
        output.data(report);
        printCheckRows(
          output,
          report.paths.map((path) => ({ name: `${path.from} → ${path.to}`, ok: path.ok, detail: path.ok ? path.target : `${path.target}: ${path.reason}`, fix: path.fix })),
        );
        if (!report.ok) {
          output.info(`${report.paths.filter((path) => !path.ok).length} of ${report.paths.length} trust paths failed`);
          context.exit(ExitCode.runtime);
        }
        return;
      }
      // The doctor reports an engine that cannot be reached as a row, instead of failing on it.
      const report = await runDoctor({
        discovery: discoveryOptions(context, output),
        imagesDir: PACKAGED_IMAGES_DIR,
        baseImage: flags.baseImage,
        tagPrefix: flags.tagPrefix,
      });
      output.data(report);
      printCheckRows(output, report.checks);
      if (!report.ok) {
        const failures = report.checks.filter((check) => !check.ok).length;
        output.info(`${failures} of ${report.checks.length} checks failed`);
        context.exit(ExitCode.runtime);
      }
    });
}

import { Option, type Command } from 'commander';
import { ExitCode } from '../../base/errors.js';
import { PACKAGED_IMAGES_DIR } from '../../base/version.js';
import { DEFAULT_BASE_IMAGE } from '../../cluster/base-image.js';
import { DEFAULT_TAG_PREFIX } from '../../cluster/build.js';
import { runDoctor } from '../../cluster/doctor.js';
import { discoveryOptions } from '../engine-options.js';
import type { CommandContext } from '../program.js';

export function registerDoctor(program: Command, context: CommandContext): void {
  program
    .command('doctor')
    .description("check that this host's Podman can run dh-podman's machines, and say how to fix what cannot")
    .addOption(new Option('--base-image <image>', 'the OS image builds need').default(DEFAULT_BASE_IMAGE))
    .addOption(new Option('--tag-prefix <prefix>', 'the images are <prefix><name>:latest, as build tags them').default(DEFAULT_TAG_PREFIX))
    .addHelpText(
      'after',
      `
One row per check: the engine (socket and version), OCI runtime, network backend, a container
start, port publishing on loopback, network alias DNS between containers, the base image, and
the images under images/. Each is ok, or says the problem and the fix. The checks run a few
short-lived containers of localhost/dh-podman/busybox:latest (made from the host's
busybox-static when missing) and remove them. Exit 0 when every check passes, 4 otherwise.

Example:
  dh-podman doctor --json | jq '.checks[] | select(.ok | not)'`,
    )
    .action(async (flags: { baseImage: string; tagPrefix: string }, command: Command) => {
      const output = context.output(command);
      // The doctor reports an engine that cannot be reached as a row, instead of failing on it.
      const report = await runDoctor({
        discovery: discoveryOptions(context, output),
        imagesDir: PACKAGED_IMAGES_DIR,
        baseImage: flags.baseImage,
        tagPrefix: flags.tagPrefix,
      });
      output.data(report);
      const width = Math.max(...report.checks.map((check) => check.name.length));
      for (const check of report.checks) {
        const fix = check.fix ? `; fix: ${check.fix}` : '';
        const line = `${check.ok ? output.style('green', 'ok  ') : output.style('red', 'FAIL')}  ${check.name.padEnd(width)}  ${check.detail}${fix}`;
        // Failures stay with --quiet, as errors do.
        if (check.ok) output.result(line);
        else output.essential(line);
      }
      if (!report.ok) {
        const failures = report.checks.filter((check) => !check.ok).length;
        output.info(`${failures} of ${report.checks.length} checks failed`);
        context.exit(ExitCode.runtime);
      }
    });
}

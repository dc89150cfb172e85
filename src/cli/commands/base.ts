import { Option, type Command } from 'commander';
import { bootstrapBaseImage, BOOTSTRAP_PHASES, DEFAULT_BASE_IMAGE, DEFAULT_SUITE } from '../../cluster/base-image.js';
import type { CommandContext } from '../program.js';
import { COMMAND_SUMMARIES } from '../command-summaries.js';

interface BootstrapFlags {
  suite: string;
  mirror?: string;
  tag: string;
  force?: boolean;
}

export function registerBaseCommands(program: Command, context: CommandContext): void {
  const base = program.command('base').description(COMMAND_SUMMARIES.base.description);
  base
    .command('bootstrap')
    .description('debootstrap a minimal Debian (CA tools, OpenSSL, JDK 17) and import it as an image')
    .addOption(new Option('--suite <name>', 'Debian suite').default(DEFAULT_SUITE))
    .option('--mirror <url>', "Debian mirror (default: the one this host's apt uses)")
    .addOption(new Option('--tag <image>', 'image name to give it').default(DEFAULT_BASE_IMAGE))
    .option('--force', 'rebuild even when the tag exists')
    .addHelpText('after', '\nNeeds root and debootstrap. Skips when the tag exists.\n\nExample:\n  sudo dh-podman base bootstrap --mirror http://deb.debian.org/debian')
    .action(async (flags: BootstrapFlags, command: Command) => {
      const { withEngine } = await import('../engine-options.js');
      const { progressView } = await import('../progress-view.js');
      const output = context.output(command);
      const progress = progressView(output, BOOTSTRAP_PHASES);
      const result = await withEngine(context, output, async (engine) => {
        const made = await bootstrapBaseImage(engine, {
          suite: flags.suite,
          mirror: flags.mirror,
          tag: flags.tag,
          force: flags.force === true,
          onProgress: (line) => progress.step(line),
          onBytes: (count) => progress.bytes(count),
        });
        progress.end();
        return made;
      }).finally(() => progress.abandon());
      output.data({ ok: true, ...result });
      output.result(
        result.status === 'exists'
          ? `${result.tag} exists; nothing to do (--force rebuilds it)`
          : `created ${result.tag} (${result.imageId.slice(0, 12)}) in ${result.seconds.toFixed(1)} s from ${result.mirror}`,
      );
    });
}

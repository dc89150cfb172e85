import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { ExitCode } from '../../base/errors.js';
import { PACKAGED_IMAGES_DIR } from '../../base/version.js';
import { DEFAULT_BASE_IMAGE } from '../../cluster/base-image.js';
import { collect } from '../options.js';
import type { CommandContext } from '../program.js';
import { DEFAULT_TAG_PREFIX } from '../../cluster/layout.js';
import { COMMAND_SUMMARIES } from '../command-summaries.js';

interface BuildFlags {
  caCertFile?: string;
  baseImage: string;
  only?: string[];
  tagPrefix: string;
  imagesDir: string;
  cache: boolean;
  cacheDir?: string;
}

export function registerBuild(program: Command, context: CommandContext): void {
  program
    .command('build')
    .description(COMMAND_SUMMARIES.build.description)
    .option('--ca-cert-file <file>', "PEM bundle of CAs to add to every image's system trust (OS store and Java cacerts)")
    .addOption(new Option('--base-image <image>', 'OS image the images build on').default(DEFAULT_BASE_IMAGE))
    .option('--only <name>', 'build only this image (and the images it is built FROM); repeatable', collect(String))
    .addOption(new Option('--tag-prefix <prefix>', 'images are tagged <prefix><name>:latest').default(DEFAULT_TAG_PREFIX))
    .addOption(new Option('--images-dir <dir>', 'where the image directories are (default: the images/ shipped with dh-podman)').default(PACKAGED_IMAGES_DIR, 'images/'))
    .option('--no-cache', 'build every layer afresh')
    .option('--cache-dir <dir>', 'where downloads (wheels, .debs) are kept, by content (default /var/cache/dh-podman as root, else the XDG cache dir)')
    .addHelpText(
      'after',
      `
Every directory under images/ with a Containerfile is an image; FROM dh-podman/<name> lines decide
the order. The CA file is checked before anything is built (PEM, CA certificates only, no key).
CAs are added as each image's last layer: changing only the CA rebuilds only that layer.

Example:
  dh-podman build --ca-cert-file corp-ca.pem --json`,
    )
    .action(async (flags: BuildFlags, command: Command) => {
      const { renderFindings } = await import('../findings-view.js');
      const { buildImages, checkBuild } = await import('../../cluster/build.js');
      const { withEngine } = await import('../engine-options.js');
      const { defaultCacheDir } = await import('../../cluster/wheelhouse.js');
      const output = context.output(command);
      const checked = await checkBuild({
        imagesDir: resolve(flags.imagesDir),
        caCertFile: flags.caCertFile,
        baseImage: flags.baseImage,
        only: flags.only ?? [],
        tagPrefix: flags.tagPrefix,
        noCache: !flags.cache,
        cacheDir: resolve(flags.cacheDir ?? defaultCacheDir(context.io.env)),
      });
      if (checked.findings.length > 0) output.essential(renderFindings(checked.findings, output));
      if (checked.findings.some((f) => f.severity === 'error')) {
        output.data({ ok: false, findings: checked.findings });
        output.info('nothing was built');
        context.exit(ExitCode.invalidInput);
        return;
      }
      const { progressView } = await import('../progress-view.js');
      const progress = progressView(output, checked.images.length);
      const report = await withEngine(context, output, async (engine) => {
        const built = await buildImages(engine, checked, {
          onImage: (_image, tag) => progress.step(`image ${tag}`),
          // One line per build step keeps a terminal readable; the full log is in the error.
          onLine: (image, line) => {
            if (line.startsWith('downloading ') || line.startsWith('making ')) progress.note(`${image}: ${line}`);
            if (/^STEP \d+\/\d+:/.test(line)) progress.note(`${image}: ${line.length > 110 ? `${line.slice(0, 107)}...` : line}`);
          },
          onBytes: (_image, count) => progress.bytes(count),
        });
        progress.end();
        return built;
      }).finally(() => progress.abandon());
      output.data({ ok: true, ...report, findings: checked.findings });
      const lines = report.images.map(
        (image) =>
          `${image.tag}  ${image.imageId.slice(0, 12)}  ${image.seconds.toFixed(1)} s  (${
            image.stages.every((stage) => stage.reused) ? 'up to date, nothing built' : `${image.stages[0]?.reused ? 'own build up to date; ' : ''}${image.cacheHits}/${image.steps} steps cached`
          })` +
          (image.wheelhouse ? `  ${image.wheelhouse.wheels} wheels ${image.wheelhouse.downloaded ? `downloaded in ${image.wheelhouse.seconds.toFixed(1)} s` : 'from the cache'}` : ''),
      );
      const trusted = report.images.find((image) => image.trust)?.trust;
      if (trusted) {
        const java = trusted.javaCacerts ? ` and ${trusted.javaCacerts}` : '';
        lines.push(`trust: ${report.caFingerprints.length} CA(s) added to the ${trusted.family} system trust (${trusted.osCertificates} OS CAs)${java}, computed on the host, as each image's last layer`);
      }
      output.result(lines.join('\n'));
    });
}

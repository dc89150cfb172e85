import { restoreExtraCaCertsVariable } from '../base/extra-ca-certs-variable.js';
import { run } from './program.js';

// scripts/dh-podman kept NODE_EXTRA_CA_CERTS from Node's start-up (see there): the processes
// this one starts get it back unchanged.
restoreExtraCaCertsVariable();

// `dh-podman … | head` closes the pipe early; the reader has what it wanted, so that is not an
// error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// Not a top-level await: the one-command bundles are CommonJS (scripts/bundle-cli.mjs).
void run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});

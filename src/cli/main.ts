#!/usr/bin/env node
import { debugAsks } from '../base/debug.js';
import { restoreExtraCaCertsVariable } from '../base/extra-ca-certs-variable.js';

// A stack trace (DH_PODMAN_DEBUG=1) names the source files, not the bundle's chunks. Node maps
// only the modules loaded after this, so the rest of the CLI is imported below.
if (debugAsks(process.env, '1')) process.setSourceMapsEnabled(true);

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

const { run } = await import('./program.js');
process.exitCode = await run(process.argv.slice(2));

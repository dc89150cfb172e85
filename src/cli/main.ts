#!/usr/bin/env node
import { run } from './program.js';

// `dh-podman … | head` closes the pipe early; the reader has what it wanted, so that is not an
// error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await run(process.argv.slice(2));

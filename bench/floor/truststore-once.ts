/**
 * One truststore from the host's CA bundle in a fresh process: the in-process steps of
 * `trust bundle --from system --out-p12` (import, read, pool, encode, write), each timed once,
 * as the CLI runs them, before V8 has optimised anything. bench/truststore runs it several
 * times; the loop there measures the same steps warmed. Argument: the output file.
 * Prints one JSON line: milliseconds per step and the CPU time of the whole.
 */
import { performance } from 'node:perf_hooks';

const [out] = process.argv.slice(2) as [string];
const started = performance.now();
const cpuStarted = process.cpuUsage();
// The modules the CLI's command loads, imported here as it imports them: their cost is a step.
const { timeTruststoreSteps } = await import('../truststore-steps.js');
const imported = performance.now();
const importCpu = process.cpuUsage(cpuStarted);
const steps = await timeTruststoreSteps(out);
process.stdout.write(
  `${JSON.stringify({
    import: imported - started,
    read: steps.read,
    pool: steps.pool,
    encode: steps.encode,
    write: steps.write,
    total: imported - started + steps.total,
    cpu: (importCpu.user + importCpu.system) / 1000 + steps.cpu,
  })}\n`,
);

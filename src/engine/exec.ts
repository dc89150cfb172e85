import type Dockerode from 'dockerode';
import { demultiplex } from './containers.js';
import { toEngineError } from './engine-error.js';

export interface ExecResult {
  exitCode: number;
  /** stdout and stderr, interleaved as the command wrote them. */
  output: string;
}

/**
 * Runs a command inside a running container and waits for it: what the container itself sees
 * (its files, its network, its name resolution), which a fresh container cannot stand in for.
 */
export async function execIn(docker: Dockerode, container: string, command: string[]): Promise<ExecResult> {
  try {
    const exec = await docker.getContainer(container).exec({ Cmd: command, AttachStdout: true, AttachStderr: true, AttachStdin: false, Tty: false });
    const stream = await exec.start({ hijack: true, stdin: false, Detach: false, Tty: false });
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? -1, output: demultiplex(Buffer.concat(chunks)) };
  } catch (error) {
    throw toEngineError(error as Error & { statusCode?: number }, `exec in ${container}`);
  }
}

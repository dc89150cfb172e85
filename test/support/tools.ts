import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './cli.js';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a host tool (java, keytool, openssl) and never throws: tests assert on the outcome. */
export function tool(command: string, args: string[], options: { cwd?: string; input?: string; timeoutMs?: number } = {}): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { cwd: options.cwd, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
    // A tool that never reads stdin (openssl with -passin file:) may exit before the write
    // lands; the broken pipe is then expected, and its outcome is in code/stdout/stderr.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

/** `java test/java/NAME.java ARGS…`: the single-file launcher, JDK only. */
export function java(name: string, args: string[]): Promise<ToolResult> {
  return tool('java', [join(repoRoot, 'test', 'java', `${name}.java`), ...args]);
}

/** Starts a long-running Java program and resolves once it prints a line matching `ready`. */
export function startJava(name: string, args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', [join(repoRoot, 'test', 'java', `${name}.java`), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${name} did not become ready: ${output}`));
    }, 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(ready);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}: ${output}`));
    });
  });
}

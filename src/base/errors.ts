/**
 * Errors are values: a stable code, one line that names the file or flag and the fix, and the
 * exit status the CLI uses. Every layer throws these; only the CLI turns them into output.
 */

export const ExitCode = {
  ok: 0,
  /** Something we did not foresee: a bug. The message asks for DH_PODMAN_DEBUG=1. */
  internal: 1,
  /** Bad flags or arguments. */
  usage: 2,
  /** Input files (certificates, keys, config) are invalid; nothing was started or written. */
  invalidInput: 3,
  /** The engine or the host failed us at run time (Podman, file system, network). */
  runtime: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface DhErrorOptions {
  /** The file or flag the problem is about, shown first in the message. */
  subject?: string;
  /** What to do about it. */
  fix?: string;
  /** Context printed before the one-line error (a build log's last lines); never secrets. */
  details?: string[];
  cause?: unknown;
}

export class DhError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly subject: string | undefined;
  readonly fix: string | undefined;
  readonly details: string[];

  constructor(code: string, exitCode: ExitCode, message: string, options: DhErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DhError';
    this.code = code;
    this.exitCode = exitCode;
    this.subject = options.subject;
    this.fix = options.fix;
    this.details = options.details ?? [];
  }

  /** The single line a person reads: "subject: message; fix". */
  oneLine(): string {
    const head = this.subject ? `${this.subject}: ${this.message}` : this.message;
    return this.fix ? `${head}; ${this.fix}` : head;
  }

  toJSON(): { code: string; message: string; subject?: string; fix?: string } {
    return {
      code: this.code,
      message: this.message,
      ...(this.subject ? { subject: this.subject } : {}),
      ...(this.fix ? { fix: this.fix } : {}),
    };
  }
}

export const usageError = (code: string, message: string, options?: DhErrorOptions) =>
  new DhError(code, ExitCode.usage, message, options);

export const inputError = (code: string, message: string, options?: DhErrorOptions) =>
  new DhError(code, ExitCode.invalidInput, message, options);

export const runtimeError = (code: string, message: string, options?: DhErrorOptions) =>
  new DhError(code, ExitCode.runtime, message, options);

export const isDhError = (value: unknown): value is DhError => value instanceof DhError;

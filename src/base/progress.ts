/**
 * What a long operation tells the person waiting for it: numbered steps, lines within a step,
 * and the bytes a step has moved when it knows them. How that is shown (a line rewritten in
 * place on a terminal, plain lines in a log) is for the caller to decide.
 */
export interface Progress {
  /** Starts the next step; the one before ends. */
  step(title: string): void;
  /** A line about the current step. */
  note(line: string): void;
  /** How many bytes the current step has handled so far. */
  bytes(count: number): void;
  /** The last step has ended. */
  end(): void;
}

export const SILENT_PROGRESS: Progress = { step() {}, note() {}, bytes() {}, end() {} };

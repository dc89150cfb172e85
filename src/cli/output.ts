import { styleText } from 'node:util';
import type { Writable } from 'node:stream';
import type { DhError } from '../base/errors.js';

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

type Style = 'red' | 'yellow' | 'green' | 'bold' | 'dim';

/**
 * Where each kind of output goes. With --json, stdout carries exactly one JSON document and
 * nothing else, so pipelines can parse it; people read stderr. Colour only reaches a terminal,
 * and never when NO_COLOR is set (no-color.org).
 */
export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  private readonly stdout: OutputOptions['stdout'];
  private readonly stderr: OutputOptions['stderr'];
  private readonly colourOut: boolean;
  private readonly colourErr: boolean;

  constructor(options: OutputOptions) {
    this.json = options.json;
    this.quiet = options.quiet;
    this.stdout = options.stdout;
    this.stderr = options.stderr;
    const noColor = options.env.NO_COLOR !== undefined && options.env.NO_COLOR !== '';
    this.colourOut = !noColor && options.stdout.isTTY === true;
    this.colourErr = !noColor && options.stderr.isTTY === true;
  }

  /** The command's human result. Suppressed with --json (the data goes out instead) and --quiet. */
  result(text: string): void {
    if (this.json || this.quiet) return;
    this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Human output that --quiet keeps (findings: errors and warnings); suppressed with --json. */
  essential(text: string): void {
    if (this.json) return;
    this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** The command's machine result: printed only with --json. */
  data(value: unknown): void {
    if (!this.json) return;
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Progress and notes for people; never on stdout, silenced by --quiet. */
  info(line: string): void {
    if (this.quiet) return;
    this.stderr.write(`${line}\n`);
  }

  /** Whether progress may rewrite its line in place: stderr is a terminal and --quiet is off. */
  get liveProgress(): boolean {
    return !this.quiet && this.stderr.isTTY === true;
  }

  /** Replaces the current line of stderr (a terminal's; see liveProgress); '' clears it. */
  statusLine(text: string): void {
    this.stderr.write(`\r\x1b[2K${text}`);
  }

  warn(line: string): void {
    this.stderr.write(`${this.paint('yellow', 'warning:', this.colourErr)} ${line}\n`);
  }

  error(error: DhError): void {
    for (const line of error.details) this.stderr.write(`  | ${line}\n`);
    this.stderr.write(`${this.paint('red', 'error:', this.colourErr)} ${error.oneLine()} [${error.code}]\n`);
  }

  /** Styles text for stdout (styleErr for stderr); plain text when colour is off. */
  style(style: Style, text: string): string {
    return this.paint(style, text, this.colourOut);
  }

  styleErr(style: Style, text: string): string {
    return this.paint(style, text, this.colourErr);
  }

  private paint(style: Style, text: string, enabled: boolean): string {
    // validateStream: false because we decided about the stream ourselves above.
    return enabled ? styleText(style, text, { validateStream: false } as never) : text;
  }
}

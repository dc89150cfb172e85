import type { Progress } from '../base/progress.js';
import type { Output } from './output.js';

/** How often a terminal's progress line is redrawn, and how often a log gets a "still" line. */
const REDRAW_MS = 1000;
const LOG_EVERY_MS = 30_000;

export interface ProgressView extends Progress {
  /** Stops drawing without calling the step done (the command failed). */
  abandon(): void;
}

/**
 * Shows a Progress on stderr, never stdout (with --json, stdout carries the JSON alone). On a
 * terminal, one line rewritten in place: "[n/m] title  12 s  34.5 MB", with notes printed above
 * it. Elsewhere (CI logs, pipes), plain lines: each step when it starts and ends, its notes, and
 * a line every 30 s while a step lasts, so a log shows that a long wait is not a hang.
 */
export function progressView(output: Output, total: number, now: () => number = Date.now): ProgressView {
  const live = output.liveProgress;
  let index = 0;
  let title = '';
  let started = 0;
  let lastLog = 0;
  let bytes: number | undefined;
  let timer: NodeJS.Timeout | undefined;

  const label = () => `[${index}/${total}] ${title}`;
  const facts = () => [seconds(now() - started), ...(bytes !== undefined ? [formatBytes(bytes)] : [])].join(', ');
  const draw = () => output.statusLine(`${label()}  ${facts()}`);
  const tick = () => {
    if (live) return draw();
    if (now() - lastLog >= LOG_EVERY_MS) {
      lastLog = now();
      output.info(`${label()}: still going, ${facts()}`);
    }
  };
  const finish = (done: boolean) => {
    if (timer) clearInterval(timer);
    timer = undefined;
    if (index === 0 || title === '') return;
    if (live) output.statusLine('');
    if (done) output.info(`${label()}: done in ${facts()}`);
    title = '';
  };

  return {
    step(next) {
      finish(true);
      index += 1;
      title = next;
      started = lastLog = now();
      bytes = undefined;
      if (live) draw();
      else output.info(label());
      timer = setInterval(tick, REDRAW_MS);
      // Never what keeps the process alive.
      timer.unref();
    },
    note(line) {
      if (live) output.statusLine('');
      output.info(`  ${line}`);
      if (live && title) draw();
    },
    bytes(count) {
      bytes = count;
    },
    end: () => finish(true),
    abandon: () => finish(false),
  };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

export function formatBytes(count: number): string {
  if (count < 1024) return `${count} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = count / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

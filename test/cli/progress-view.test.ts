import t from 'tap';
import { Writable } from 'node:stream';
import { Output } from '../../src/cli/output.js';
import { formatBytes, progressView } from '../../src/cli/progress-view.js';

/** What `up` shows while it works: on stderr only, rewritten in place on a terminal, plain lines elsewhere. */

class Sink extends Writable {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    done();
  }
}

function outputs(tty: boolean, json = false) {
  const stdout = new Sink(tty);
  const stderr = new Sink(tty);
  return { stdout, stderr, output: new Output({ json, quiet: false, stdout, stderr, env: {} }) };
}

t.test('without a terminal: one plain line per step start and end, with elapsed time and bytes', async (t) => {
  const { stdout, stderr, output } = outputs(false, true);
  let clock = 0;
  const progress = progressView(output, 2, () => clock);
  progress.step('wheels');
  progress.note('downloading');
  clock = 12_400;
  progress.bytes(330 * 1024 * 1024);
  progress.step('server');
  clock = 20_000;
  progress.end();
  t.equal(stdout.text, '', 'nothing on stdout (it carries the JSON)');
  t.same(stderr.text.split('\n'), [
    '[1/2] wheels',
    '  downloading',
    '[1/2] wheels: done in 12 s, 330 MiB',
    '[2/2] server',
    '[2/2] server: done in 7.6 s',
    '',
  ]);
  t.notMatch(stderr.text, /\r|\x1b/, 'no carriage returns or escapes in a log');
});

t.test('a long step without a terminal says it is still going, every 30 s', async (t) => {
  const { stderr, output } = outputs(false);
  let clock = 0;
  const progress = progressView(output, 1, () => clock);
  t.teardown(() => progress.abandon());
  progress.step('waiting for the server');
  clock = 31_000;
  await new Promise((resolve) => setTimeout(resolve, 1200));
  t.match(stderr.text, /\[1\/1\] waiting for the server: still going, 31 s\n/);
});

t.test('on a terminal: one line rewritten in place, notes above it, cleared when a step ends', async (t) => {
  const { stderr, output } = outputs(true);
  let clock = 0;
  const progress = progressView(output, 3, () => clock);
  progress.step('image');
  progress.bytes(2048);
  clock = 1500;
  await new Promise((resolve) => setTimeout(resolve, 1200));
  t.match(stderr.text, '\r\x1b[2K[1/3] image  1.5 s, 2.0 KiB', 'the redrawn line carries elapsed time and bytes');
  progress.note('STEP 1/2: FROM base');
  t.match(stderr.text, '\r\x1b[2K  STEP 1/2: FROM base\n\r\x1b[2K[1/3] image', 'a note goes above the line, which is drawn again');
  progress.abandon();
  t.ok(stderr.text.endsWith('\r\x1b[2K'), 'a failed run leaves the line cleared, not called done');
});

t.test('bytes read as people read them', async (t) => {
  t.equal(formatBytes(512), '512 B');
  t.equal(formatBytes(1536), '1.5 KiB');
  t.equal(formatBytes(346_030_080), '330 MiB');
  t.equal(formatBytes(3 * 1024 ** 3), '3.0 GiB');
});

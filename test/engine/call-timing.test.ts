import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTiming } from '../../src/base/timing.js';
import { LibpodApi, libpod } from '../../src/engine/api.js';
import { timeEngineCalls } from '../../src/engine/call-timing.js';

/**
 * Each call to the engine's socket is one timing line: method, path without its query, status.
 * Requests elsewhere (a health check, another socket) are not the engine's and are left out.
 */
t.test('engine calls are timed with their status, the query left out', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dhp-call-timing-'));
  const socketPath = join(dir, 'engine.sock');
  const otherPath = join(dir, 'other.sock');
  const answer = (status: number) => createServer((req, res) => {
    req.resume();
    res.writeHead(req.url?.includes('missing') ? 404 : status, { 'Content-Type': 'application/json' }).end('{"Id":"x"}');
  });
  const engine = answer(200);
  const other = answer(200);
  await new Promise<void>((resolve) => engine.listen(socketPath, resolve));
  await new Promise<void>((resolve) => other.listen(otherPath, resolve));
  t.teardown(() => {
    engine.close();
    other.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const lines: string[] = [];
  const finish = startTiming((line) => lines.push(line));
  const stop = timeEngineCalls(socketPath);
  await libpod(new LibpodApi(socketPath), 'POST', '/secrets/create', { query: { name: 'dhp.secret-name' }, body: { a: 1 } });
  await libpod(new LibpodApi(socketPath), 'GET', '/pods/missing/json').catch(() => undefined);
  await libpod(new LibpodApi(otherPath), 'GET', '/pods/elsewhere/json');
  stop();
  await libpod(new LibpodApi(socketPath), 'GET', '/pods/after/json');
  // The line is written when the answer's stream closes, a tick after the call resolves.
  await new Promise((resolve) => setImmediate(resolve));
  finish();

  const calls = lines.filter((line) => line.includes(' engine '));
  t.equal(calls.length, 2, `only the engine's calls while timing: ${calls.join(' | ')}`);
  t.match(calls[0], /engine POST \/v4\.0\.0\/libpod\/secrets\/create 200 \d+\.\d ms$/);
  t.notMatch(calls[0], /dhp\.secret-name/, 'the query stays out of the line');
  t.match(calls[1], /engine GET \/v4\.0\.0\/libpod\/pods\/missing\/json 404 \d+\.\d ms$/);
});

import t from 'tap';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LibpodApi, libpod } from '../../src/engine/api.js';
import { repoRoot } from '../support/cli.js';

/**
 * Podman 4.3's recorded answers, replayed by a socket server so that they pass through the same
 * client (api.ts's libpod) as in production: each must become one line naming Podman's cause.
 */
interface Recorded {
  request: string;
  status: number;
  body: string;
}
const recorded = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/podman-4.3/responses.json'), 'utf8')) as Record<string, Recorded>;

const expected: Record<string, { code: string; words: RegExp; fix?: RegExp }> = {
  podStartPortTaken: { code: 'ENGINE_CONFLICT', words: /listen tcp4 127\.0\.0\.1:18999: bind: address already in use/, fix: /free that host port/ },
  podStartNoIptables: { code: 'ENGINE_CONFLICT', words: /netavark: No such file or directory/, fix: /apt-get install iptables/ },
  podInspectMissing: { code: 'ENGINE_NOT_FOUND_OBJECT', words: /no pod with name or ID nope found: no such pod/ },
  containerCreateNoImage: { code: 'ENGINE_REQUEST_FAILED', words: /localhost\/nope:latest: image not known/, fix: /dh-podman build/ },
  podKillNothingRunning: { code: 'ENGINE_CONFLICT', words: /cannot kill a pod with no running containers/ },
  podRemoveReportError: { code: 'ENGINE_REQUEST_FAILED', words: /removing container 3f1a: device or resource busy/ },
  proxyNotJson: { code: 'ENGINE_REQUEST_FAILED', words: /502 Bad Gateway/ },
  emptyBody: { code: 'ENGINE_REQUEST_FAILED', words: /HTTP 500/ },
  unknownObject: { code: 'ENGINE_REQUEST_FAILED', words: /disk quota exceeded/ },
};

const dir = mkdtempSync(join(tmpdir(), 'dhp-err-'));
const socketPath = join(dir, 'podman.sock');
const server = createServer((req, res) => {
  const name = decodeURIComponent((req.url ?? '').split('/').pop()?.split('?')[0] ?? '');
  const answer = recorded[name];
  req.resume();
  res.writeHead(answer?.status ?? 500, { 'Content-Type': answer?.body.startsWith('{') ? 'application/json' : 'text/html' });
  res.end(answer?.body ?? '');
});
await new Promise<void>((resolve) => server.listen(socketPath, resolve));
t.teardown(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});
const api = new LibpodApi(socketPath);

for (const [name, want] of Object.entries(expected)) {
  t.test(`${name}: ${recorded[name]!.request}`, async (t) => {
    const error = await libpod(api, 'POST', `/replay/${name}`).then(
      () => undefined,
      (caught: unknown) => caught as { code: string; oneLine(): string; fix?: string },
    );
    if (!error) return t.fail('the call should have failed');
    const line = error.oneLine();
    t.equal(error.code, want.code);
    t.match(line, want.words, 'the line carries Podman\'s own words');
    t.match(line, /^POST \/replay\//, 'and names the request');
    t.notMatch(line, /\[object Object\]|: ;|Podman:\s*$/, 'never an unreadable or empty cause');
    t.equal(line.split('\n').length, 1, 'one line');
    if (want.fix) t.match(error.fix ?? '', want.fix, 'a known host problem comes with its fix');
  });
}

t.test('a report that succeeded is not an error', async (t) => {
  recorded.podStartOk = { request: 'POST …/start', status: 200, body: '{"Errs":[],"Id":"abc"}' };
  t.same(await libpod(api, 'POST', '/replay/podStartOk'), { Errs: [], Id: 'abc' });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { tool } from './tools.js';

/**
 * A real browser for the tests: Debian's headless Chromium (scripts/ensure-tools.sh installs it
 * with NSS's certutil). Chromium on Linux trusts the CAs in $HOME/.pki/nssdb, so each browser
 * gets a throwaway HOME whose NSS database trusts exactly the CA given: the CA is trusted the
 * way a user trusts it, with no flag that weakens certificate checks.
 *
 * It is driven over the DevTools protocol on a pipe (--remote-debugging-pipe: fds 3 and 4, JSON
 * messages ended by NUL), so a test waits for what the page renders instead of guessing a
 * --virtual-time-budget, which ends early while a page waits on a streaming request.
 */

export interface PageVisit {
  /** Chromium's network error for the navigation (net::ERR_…), if it failed. */
  error?: string | undefined;
  /** Whether `selector` appeared before the timeout. */
  found: boolean;
  /** The document as rendered when the visit ended. */
  html: string;
}

/** A browser in `dir` trusting only `caFile` for TLS servers, resolving `hostname` to 127.0.0.1. */
export async function browserTrusting(dir: string, caFile: string, hostname: string) {
  const home = join(dir, 'home');
  const nssdb = `sql:${join(home, '.pki', 'nssdb')}`;
  mkdirSync(join(home, '.pki', 'nssdb'), { recursive: true });
  for (const args of [
    ['-d', nssdb, '-N', '--empty-password'],
    ['-d', nssdb, '-A', '-t', 'C,,', '-n', 'dh-podman test CA', '-i', caFile],
  ]) {
    const result = await tool('certutil', args);
    if (result.code !== 0) throw new Error(`certutil ${args.join(' ')}: ${result.stderr.trim()}`);
  }
  return {
    /**
     * Opens `url`, waits up to `timeoutMs` for `selector` to be in the document, and keeps a
     * screenshot (PNG) when `screenshot` names a file.
     */
    async visit(url: string, selector: string, options: { timeoutMs?: number; screenshot?: string } = {}): Promise<PageVisit> {
      const chromium = spawn('chromium', [
        '--headless',
        // Chromium refuses to run as root with its sandbox; the sandbox has no part in TLS checks.
        '--no-sandbox',
        '--disable-gpu',
        `--user-data-dir=${join(dir, 'profile')}`,
        // *.localhost may not resolve here; the URL keeps the FQDN, so SNI and the SAN check use it.
        `--host-resolver-rules=MAP ${hostname} 127.0.0.1`,
        '--window-size=1280,800',
        '--remote-debugging-pipe',
        'about:blank',
      ], { env: { ...process.env, HOME: home }, stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
      const cdp = devtools(chromium);
      try {
        // The page's session can end under us: leaving about:blank for a site may move the page
        // to another renderer, and on a busy machine a command can land in between ("Not
        // attached to an active page"). Then the page is found and attached to again.
        const attach = async () => {
          const targets = (await cdp.send('Target.getTargets')) as { targetInfos: { targetId: string; type: string }[] };
          const page = targets.targetInfos.find((target) => target.type === 'page');
          if (!page) throw new Error('Chromium opened no page');
          return ((await cdp.send('Target.attachToTarget', { targetId: page.targetId, flatten: true })) as { sessionId: string }).sessionId;
        };
        let sessionId = await attach();
        const inPage = async (method: string, params: Record<string, unknown>): Promise<unknown> => {
          for (let attempt = 1; ; attempt++) {
            try {
              return await cdp.send(method, params, sessionId);
            } catch (error) {
              if (attempt >= 5 || !/not attached|session/i.test((error as Error).message)) throw error;
              await new Promise((resolve) => setTimeout(resolve, 500));
              sessionId = await attach();
            }
          }
        };
        const evaluate = async (expression: string) =>
          ((await inPage('Runtime.evaluate', { expression, returnByValue: true })) as { result: { value: unknown } }).result.value;
        // Chromium abandons a navigation with ERR_NETWORK_CHANGED when the host's interfaces
        // change under it, as they do whenever another test's pod network comes or goes: the
        // page is loaded again, as a user would reload it.
        let navigation = (await inPage('Page.navigate', { url })) as { errorText?: string };
        for (let retry = 0; retry < 5 && navigation.errorText === 'net::ERR_NETWORK_CHANGED'; retry++) {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          navigation = (await inPage('Page.navigate', { url })) as { errorText?: string };
        }
        let found = false;
        if (!navigation.errorText) {
          const deadline = Date.now() + (options.timeoutMs ?? 120_000);
          while (!found && Date.now() < deadline) {
            found = (await evaluate(`document.querySelector(${JSON.stringify(selector)}) !== null`)) === true;
            if (!found) await new Promise((resolve) => setTimeout(resolve, 1000));
          }
        }
        if (options.screenshot) {
          const shot = (await inPage('Page.captureScreenshot', { format: 'png' })) as { data: string };
          writeFileSync(options.screenshot, Buffer.from(shot.data, 'base64'));
        }
        const html = String(await evaluate('document.documentElement.outerHTML'));
        return { error: navigation.errorText, found, html };
      } finally {
        await stopped(chromium);
      }
    },
  };
}

/**
 * Chromium ended and waited for: it writes its profile (under the test's directory) while it
 * shuts down, and the test's teardown removes that directory.
 */
async function stopped(chromium: ChildProcess): Promise<void> {
  if (chromium.exitCode !== null || chromium.signalCode !== null) return;
  const exited = new Promise((resolve) => chromium.once('exit', resolve));
  chromium.kill('SIGTERM');
  const killer = setTimeout(() => chromium.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

/** The DevTools protocol over Chromium's pipe: send a command, get its result (or its error). */
function devtools(chromium: ChildProcess) {
  const input = chromium.stdio[3] as Writable;
  const output = chromium.stdio[4] as Readable;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let buffered = '';
  output.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let end: number;
    while ((end = buffered.indexOf('\0')) >= 0) {
      const message = JSON.parse(buffered.slice(0, end)) as { id?: number; result?: unknown; error?: { message: string } };
      buffered = buffered.slice(end + 1);
      const waiter = message.id === undefined ? undefined : pending.get(message.id);
      if (!waiter) continue;
      pending.delete(message.id!);
      if (message.error) waiter.reject(new Error(message.error.message));
      else waiter.resolve(message.result);
    }
  });
  chromium.on('exit', () => {
    for (const waiter of pending.values()) waiter.reject(new Error('Chromium exited'));
  });
  return {
    send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<unknown> {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
      });
    },
  };
}

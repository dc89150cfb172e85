import t from 'tap';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { waitForHealth } from '../../src/cluster/health.js';
import { makeCa, makeLeaf } from '../support/openssl.js';

/**
 * The health wait asks as a client of the machine would: TLS verified for its hostname, the
 * hostname as Host (Jetty, in Deephaven, answers 400 to a Host that is not the SNI name), and
 * the profile's path.
 */
t.test('the machine is asked by its name, at its path, and verified against the CA given', async (t) => {
  const dir = t.testdir();
  const ca = makeCa(dir, 'ca');
  const leaf = makeLeaf(dir, 'dh1', ca, ['dh1.example.test']);
  const seen: { host?: string; path?: string; servername?: string }[] = [];
  const server = createServer({ cert: readFileSync(leaf.cert), key: readFileSync(leaf.key) }, (req, res) => {
    const servername = (req.socket as { servername?: string }).servername;
    seen.push({ host: req.headers.host, path: req.url, servername });
    res.writeHead(req.headers.host === `dh1.example.test:${port}` && req.url === '/ide/' ? 200 : 400).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const caPem = readFileSync(ca.cert, 'utf8');

  await t.resolves(waitForHealth({ hostname: 'dh1.example.test', port, path: '/ide/', caPem }, 5000, 50));
  t.same(seen[0], { host: `dh1.example.test:${port}`, path: '/ide/', servername: 'dh1.example.test' });
  await t.rejects(waitForHealth({ hostname: 'dh1.example.test', port, caPem }, 300, 50), { code: 'NOT_HEALTHY', message: /\/health .*HTTP 400/ }, 'elsewhere than its path: not healthy');
  const other = makeCa(dir, 'other');
  await t.rejects(waitForHealth({ hostname: 'dh1.example.test', port, path: '/ide/', caPem: readFileSync(other.cert, 'utf8') }, 300, 50), { code: 'NOT_HEALTHY' }, 'another CA: not healthy');
  await t.rejects(waitForHealth({ hostname: 'dh2.example.test', port, path: '/ide/', caPem }, 300, 50), { code: 'NOT_HEALTHY', message: /dh2\.example\.test/ }, 'another name: not healthy');
});

import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromOpenssl, opensslCommand } from '../../src/cluster/tls-reach.js';
import { explainFailure } from '../../src/cluster/trust-explain.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';

/** The reasons doctor -f gives come from the files; each rule once, with material made by OpenSSL. */

t.test('explainFailure names the broken rule from the certificates and the truststore', async (t) => {
  const dir = t.testdir();
  const a = makeCa(dir, 'a', '/CN=CA A');
  const b = makeCa(dir, 'b', '/CN=CA B');
  const storeA = join(dir, 'truststore-iris.pem');
  writeFileSync(storeA, readFileSync(a.cert));
  const verifier = { who: 'dh1', truststore: storeA, source: 'trust.caCertFile' };

  const trusted = makeVolume(dir, 'trusted', makeLeaf(dir, 'trusted', a, ['dh2.example.test']));
  t.equal(await explainFailure(verifier, { who: 'dh2', hostname: 'dh2.example.test', tlsVolume: trusted }), undefined, 'nothing wrong in the files');

  const other = makeVolume(dir, 'other', makeLeaf(dir, 'other', b, ['dh2.example.test']));
  t.match(await explainFailure(verifier, { who: 'dh2', hostname: 'dh2.example.test', tlsVolume: other }, { rotate: 'dh-podman rotate -f dh-podman.yaml' }), {
    reason: `dh1's truststore-iris.pem lacks the CA "CN=CA B" that issued dh2's certificate (it holds "CN=CA A")`,
    fix: 'add that CA to trust.caCertFile, then dh-podman rotate -f dh-podman.yaml',
  });

  t.match(await explainFailure(verifier, { who: 'dh2', hostname: 'dh3.example.test', tlsVolume: trusted }), {
    reason: "dh3.example.test is not in the SAN of dh2's certificate (SAN DNS:dh2.example.test)",
  });

  const expired = makeVolume(dir, 'expired', makeLeaf(dir, 'expired', a, ['dh2.example.test']));
  const later = new Date(Date.now() + 40 * 86_400_000);
  t.match(await explainFailure(verifier, { who: 'dh2', hostname: 'dh2.example.test', tlsVolume: expired }, { now: later }), { reason: /^dh2's certificate expired on \d{4}-/ });
  const earlier = new Date(Date.now() - 86_400_000);
  t.match(await explainFailure(verifier, { who: 'dh2', hostname: 'dh2.example.test', tlsVolume: expired }, { now: earlier }), { reason: /^dh2's certificate is not valid before / });

  t.equal(await explainFailure({ ...verifier, truststore: undefined }, { who: 'dh2', hostname: 'dh2.example.test', tlsVolume: other }), undefined, 'system trust cannot be read from here');
});

t.test("fromOpenssl reads s_client's outcome", async (t) => {
  t.same(fromOpenssl(0, 'CONNECTION ESTABLISHED\nProtocol version: TLSv1.3\nVerification: OK\nDONE\n'), { ok: true });
  t.same(fromOpenssl(1, 'depth=0 CN = dh2\nverify error:num=20:unable to get local issuer certificate\n40F7:error:0A000086:SSL routines::certificate verify failed\n'), {
    ok: false,
    unreachable: false,
    detail: 'verify error:num=20:unable to get local issuer certificate',
  });
  t.match(fromOpenssl(1, '4007:error:10080002:BIO routines:BIO_connect:system lib\nconnect:errno=111\n'), { ok: false, unreachable: true });
  t.match(fromOpenssl(124, ''), { ok: false, unreachable: true, detail: 'timed out after 10 s' });
  t.match(fromOpenssl(127, 'sh: 1: exec: openssl: not found'), { ok: false, unreachable: false, detail: 'openssl is not in the image' });
  const command = opensslCommand('dh2.example.test', 8123, '/etc/sysconfig/deephaven/trust/truststore-iris.pem');
  t.same(command.slice(0, 4), ['sh', '-c', 'exec "$@" </dev/null 2>&1', 'sh']);
  t.ok(command.includes('-verify_return_error') && command.includes('-verify_hostname'), 'verifies the chain and the name');
});

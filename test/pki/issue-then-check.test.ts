import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseHostname } from '../../src/cli/options.js';
import { checkTlsVolume } from '../../src/pki/check.js';
import { canonicalIp, normaliseHost } from '../../src/pki/hostname.js';
import { issueLeaf, issueRootCa, parseSubjectNames } from '../../src/pki/issue.js';
import { runCli } from '../support/cli.js';

/**
 * `cert issue` and `cert check` share one host normaliser: whatever name or address issue
 * accepts, check matches, however either side spells it.
 */

// [what --hostname is given to issue, the spellings cert check is then given]
const TABLE: [string, string[]][] = [
  ['dh1.example.test', ['dh1.example.test', 'DH1.Example.TEST', 'dh1.example.test.']],
  ['DH1.Example.Test.', ['dh1.example.test', 'dh1.example.test.']],
  ['10.0.0.1', ['10.0.0.1']],
  ['::1', ['::1', '0:0:0:0:0:0:0:1', '0000::0001']],
  ['::ffff:10.0.0.1', ['::ffff:10.0.0.1', '::FFFF:10.0.0.1', '::ffff:a00:1', '0:0:0:0:0:ffff:a00:1', '0:0:0:0:0:ffff:10.0.0.1']],
  ['2001:DB8:0:0:0:0:0:1', ['2001:db8::1', '2001:0db8::0001', '2001:DB8:0:0:0:0:0:1']],
  ['2001:db8:0:0:1:0:0:1', ['2001:db8::1:0:0:1', '2001:db8:0:0:1::1']],
  ['fe80::a:0:0:0:1', ['fe80:0:0:a::1', 'FE80::A:0:0:0:1', 'fe80:0:0:a:0:0:0:1']],
  ['64:ff9b::192.0.2.33', ['64:ff9b::c000:221']],
];

t.test('every issued name or address passes cert check, in every spelling', async (t) => {
  const dir = t.testdir();
  const root = await issueRootCa();
  const issuer = { certificateDer: root.certificateDer, privateKey: root.privateKey, label: 'root' };
  for (const [issued, spellings] of TABLE) {
    parseSubjectNames([issued], []); // cert issue validates first; it must accept every row
    const leaf = await issueLeaf(issuer, { hostnames: [issued] });
    const volume = join(dir, issued.replace(/\W/g, '_'));
    mkdirSync(volume);
    writeFileSync(join(volume, 'tls.crt'), leaf.certificatePem);
    writeFileSync(join(volume, 'tls.key'), leaf.privateKeyPem);
    for (const spelling of spellings) {
      // The hostname as the cert check command line hands it over.
      const report = await checkTlsVolume({ hostname: parseHostname(spelling), tlsVolume: volume });
      t.same(report.findings.filter((finding) => finding.severity === 'error'), [], `issued ${issued}, checked as ${spelling}`);
    }
  }
});

t.test('the normal form', async (t) => {
  const cases: [string, string][] = [
    ['Dh1.Example.Test.', 'dh1.example.test'],
    [' dh1.example.test ', 'dh1.example.test'],
    ['10.0.0.1', '10.0.0.1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::', '::'],
    ['::FFFF:10.0.0.1', '::ffff:10.0.0.1'],
    ['::ffff:a00:1', '::ffff:10.0.0.1'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    // RFC 5952 4.2.3: the first of two equally long zero runs; 4.2.2: never "::" for one group.
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
  ];
  for (const [input, expected] of cases) t.equal(normaliseHost(input), expected, JSON.stringify(input));
  t.equal(canonicalIp('::ffff:a00:1'), canonicalIp('::ffff:10.0.0.1'));
});

t.test('the reported case end to end: cert issue --hostname ::ffff:10.0.0.1, then cert check', async (t) => {
  const dir = t.testdir();
  const ca = join(dir, 'ca');
  const tls = join(dir, 'tls');
  t.equal((await runCli(['cert', 'ca', '--out', ca, '--quiet'])).code, 0);
  const issued = await runCli(['cert', 'issue', '--ca-dir', ca, '--hostname', '::ffff:10.0.0.1', '--out', tls, '--quiet']);
  t.equal(issued.code, 0, issued.stderr);
  const check = await runCli(['cert', 'check', '--hostname', '::ffff:10.0.0.1', '--tls-volume', tls, '--ca-cert-file', join(ca, 'ca.crt'), '--strict']);
  t.equal(check.code, 0, check.stdout + check.stderr);
});

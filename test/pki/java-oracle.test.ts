import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTlsVolume } from '../../src/pki/check.js';
import { STRICTER_THAN_JAVA } from '../../src/pki/findings.js';
import { JAVA_RULES } from '../../src/pki/java-policy.js';
import { repoRoot } from '../support/corpus.js';

/**
 * `cert check` against the JVM: test/fixtures/make-java-corpus.sh makes TLS volumes with
 * openssl (keys, curves, signature algorithms, chain shapes, extensions, hostnames), and
 * test/java/HandshakeOracle.java has a real Java server and client (trusting only the volume's
 * CA file, SNI and HTTPS hostname verification) judge all of them in one JVM. `cert check` may
 * never pass what the JVM refuses, and may refuse what the JVM takes only for a policy reason
 * listed here (and in docs/limbo.md).
 */

/**
 * Cases where cert check is stricter than Java on purpose, with the error codes that say so;
 * each code is one of the documented refusals (STRICTER_THAN_JAVA, or a policy row of JAVA_RULES).
 */
const POLICY: Record<string, { codes: string[]; why: string }> = {
  'leaf-is-ca': { codes: ['LEAF_IS_CA'], why: 'trust model rule 4: a service never holds a CA key' },
  'critical-root': { codes: ['CRITICAL_EXTENSION_UNKNOWN'], why: 'RFC 5280 and x509-limbo: Java does not look at the trust anchor, we do' },
  'rsa-2050': { codes: ['JAVA_KEY_REFUSED'], why: 'an RSA modulus not a multiple of 8 bits comes from a broken key generator' },
  'int-dsa': { codes: ['JAVA_KEY_REFUSED'], why: 'DSA is withdrawn for signing (FIPS 186-5) and a Java 25 client refuses DSA-signed certificates' },
  'host-wildcard-public-suffix': { codes: ['SAN_WILDCARD_PUBLIC_SUFFIX'], why: 'Java checks public suffixes only under its own cacerts; a wildcard over co.uk names no cluster machine' },
  'aia-malformed': { codes: ['CERT_MALFORMED'], why: 'Java skips a non-critical extension it cannot parse; an extension that is not its RFC 5280 syntax makes the certificate malformed' },
  'nc-noncritical': { codes: ['CERT_MALFORMED'], why: 'a client that ignores non-critical name constraints accepts names the CA may not issue' },
};

interface Judged {
  name: string;
  jvm: string;
  ok: boolean;
  codes: string[];
  text: string;
}

/** What the finding must say: the certificate by role and subject, and the real reason. */
const MESSAGES: Record<string, RegExp> = {
  'int-no-keycertsign': /ISSUER_NO_KEY_CERT_SIGN: the intermediate "CN=Oracle Intermediate no_certsign" lacks keyCertSign/,
  'int-not-ca': /ISSUER_NOT_CA: the intermediate "CN=Oracle Intermediate not_ca" issues leaf "CN=int-not-ca" but is not a CA/,
  'pathlen0-broken': /PATH_LENGTH_EXCEEDED: the intermediate "CN=Oracle Pathlen0 Intermediate" allows 0 CA\(s\) below it/,
  'chain-duplicate': /CHAIN_ORDER: .*certificate 3 repeats certificate 2 \("CN=Oracle Intermediate"\)/,
  'chain-reversed': /CHAIN_ORDER: .*fix: write \S+ as "CN=chain-reversed", then "CN=Oracle Intermediate"/,
  'nc-excluded-host': /NAME_CONSTRAINTS_VIOLATED: the leaf "CN=nc-excluded-host" breaks the name constraints of the intermediate/,
  'critical-int': /CRITICAL_EXTENSION_UNKNOWN: the intermediate "CN=Oracle Intermediate critical" has a critical extension 1\.3\.6\.1\.4\.1\.55555\.1/,
  'ec-secp256k1': /JAVA_KEY_REFUSED: the leaf "CN=ec-secp256k1" has an EC key on secp256k1/,
  'sig-md5': /JAVA_SIGNATURE_REFUSED: the leaf "CN=sig-md5" is signed with md5WithRSAEncryption/,
  'host-cn-only': /SAN_MISSING: .*never use the Common Name/,
  'int-dsa': /JAVA_KEY_REFUSED: the intermediate "CN=Oracle DSA Intermediate" has a DSA key of 2048 bits \(policy/,
  'host-wildcard-public-suffix': /SAN_WILDCARD_PUBLIC_SUFFIX: dh1\.co\.uk matches only the wildcard \*\.co\.uk, which covers the public suffix co\.uk/,
  'aia-malformed': /CERT_MALFORMED: the leaf "CN=aia-malformed" has the authorityInfoAccess extension, whose value is not a non-empty SEQUENCE OF AccessDescription \(RFC 5280 4\.2\.2\.1\)/,
};

t.test('every policy refusal is a documented one', async (t) => {
  const documented = new Set<string>([...STRICTER_THAN_JAVA.map((rule) => rule.code), ...JAVA_RULES.filter((rule) => rule.why.startsWith('policy')).map((rule) => rule.code)]);
  const undocumented = Object.entries(POLICY).flatMap(([name, policy]) => policy.codes.filter((code) => !documented.has(code)).map((code) => `${name}: ${code}`));
  t.same(undocumented, [], 'each code of POLICY is in docs/cert-check-codes.md as a refusal Java does not make');
  const untested = STRICTER_THAN_JAVA.filter((rule) => !Object.values(POLICY).some((policy) => policy.codes.includes(rule.code))).map((rule) => rule.what);
  t.same(untested, [], 'each documented refusal has a volume of the corpus');
});

t.test('cert check never passes what a Java 17 TLS pair refuses', async (t) => {
  // openssl makes the volumes (about 20 s), one JVM judges them all (about 10 s).
  t.setTimeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), 'dh-java-oracle-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('bash', [join(repoRoot, 'test/fixtures/make-java-corpus.sh'), dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const verdicts = new Map(
    execFileSync('java', [join(repoRoot, 'test/java/HandshakeOracle.java'), dir], { encoding: 'utf8', maxBuffer: 1 << 24 })
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)] as const),
  );
  const cases = readFileSync(join(dir, 'cases.txt'), 'utf8').trim().split('\n').map((line) => line.split(' '));
  t.ok(cases.length >= 40, `at least 40 volumes (${cases.length})`);

  const judged: Judged[] = [];
  for (const [name, , checkHost] of cases) {
    const report = await checkTlsVolume({ hostname: checkHost!, tlsVolume: join(dir, 'cases', name!), caCertFile: join(dir, 'cases', name!, 'ca.pem') });
    const codes = [...new Set(report.findings.filter((f) => f.severity === 'error').map((f) => f.code))];
    const text = report.findings.map((f) => `${f.code}: ${f.message} fix: ${f.fix}`).join('\n');
    judged.push({ name: name!, jvm: verdicts.get(name!) ?? 'FAIL no verdict', ok: report.ok, codes, text });
  }
  const jvmOk = (j: Judged) => j.jvm.startsWith('OK');
  const agree = judged.filter((j) => j.ok === jvmOk(j));
  const policy = judged.filter((j) => !j.ok && jvmOk(j) && POLICY[j.name] && j.codes.every((code) => POLICY[j.name]!.codes.includes(code)));
  t.comment(`${judged.length} volumes: ${agree.length} agree with the JVM, ${policy.length} refused by policy (${policy.map((j) => j.name).join(', ')})`);
  for (const j of judged) t.comment(`${j.name}: JVM ${j.jvm.slice(0, 140)}; cert check ${j.ok ? 'OK' : j.codes.join(', ')}`);

  for (const [name, pattern] of Object.entries(MESSAGES)) {
    t.match(judged.find((j) => j.name === name)?.text ?? '', pattern, `${name}: the finding names the certificate and the reason`);
  }
  const tooLenient = judged.filter((j) => j.ok && !jvmOk(j));
  t.same(tooLenient.map((j) => `${j.name}: ${j.jvm}`), [], 'cert check says OK only where the JVM connects');
  const tooStrict = judged.filter((j) => !j.ok && jvmOk(j) && !policy.includes(j));
  t.same(tooStrict.map((j) => `${j.name}: ${j.codes.join(', ')}`), [], 'cert check refuses what the JVM takes only for a listed policy reason');
});

import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { RULES, STRICTER_THAN_JAVA } from '../../src/pki/findings.js';
import { JAVA_RULES } from '../../src/pki/java-policy.js';

/**
 * docs/cert-check-codes.md is the public list of codes. It is rendered from the code table so
 * the two cannot drift; DH_PODMAN_UPDATE_DOCS=1 rewrites it after a deliberate change.
 */
const docPath = new URL('../../../docs/cert-check-codes.md', import.meta.url);

const RULE_TITLES: Record<number, string> = {
  1: 'Files are PEM, keys unencrypted',
  2: 'The key belongs to the leaf',
  3: 'The SAN covers the hostname',
  4: 'The leaf is a server certificate',
  5: 'The chain is in order and trusted',
  6: 'Every certificate is valid now',
  7: "The services' JVMs accept the keys and signatures",
};

function render(): string {
  const lines = [
    '# `cert check` codes',
    '',
    'Every finding of `dh-podman cert check` (and of the checks `start` runs first) carries one of',
    'these codes. They are stable: scripts may match on them. Rules are those of',
    "the trust model's \"Certificate rules\". Codes marked *warning* fail only with `--strict`;",
    '`EKU_NO_CLIENT_AUTH` is an error with `--mtls` and a warning otherwise.',
    '',
  ];
  for (const rule of [1, 2, 3, 4, 5, 6, 7]) {
    lines.push(`## Rule ${rule}: ${RULE_TITLES[rule]}`, '', '| code | meaning |', '|---|---|');
    for (const [code, entry] of Object.entries(RULES)) {
      if (entry.rule === rule) lines.push(`| \`${code}\` | ${entry.summary} |`);
    }
    lines.push('');
  }
  lines.push(
    '### The JVM rules',
    '',
    'Java 17 defaults (`conf/security/java.security`), each checked against a real Java 17 handshake',
    'with hostname verification (`test/pki/java-oracle.test.ts`):',
    '',
    '| what | code | why |',
    '|---|---|---|',
    ...JAVA_RULES.map((rule) => `| ${rule.what} | \`${rule.code}\` | ${rule.why} |`),
    '',
    '### Where cert check is stricter than Java 17',
    '',
    'Besides the policy rows above, these are refused although a Java 17 TLS pair connects; each',
    'is a case of `test/pki/java-oracle.test.ts`, and [limbo.md](limbo.md) compares them with x509-limbo:',
    '',
    '| what | code | why |',
    '|---|---|---|',
    ...STRICTER_THAN_JAVA.map((rule) => `| ${rule.what} | \`${rule.code}\` | ${rule.why} |`),
    '',
  );
  return lines.join('\n');
}

t.test('docs/cert-check-codes.md lists every code', async (t) => {
  const expected = render();
  if (process.env.DH_PODMAN_UPDATE_DOCS === '1') writeFileSync(docPath, expected);
  t.equal(readFileSync(docPath, 'utf8'), expected, 'run the tests with DH_PODMAN_UPDATE_DOCS=1 to regenerate');
});

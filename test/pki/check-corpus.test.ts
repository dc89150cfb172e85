import t, { type Test } from 'tap';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../../src/pki/findings.js';
import { caseDir, corpusDir, runCli, type CliResult } from '../support/corpus.js';

/**
 * `cert check` graded by the corpus test/fixtures/make-corpus.sh makes with the openssl CLI:
 * each broken volume must be reported with its own code (and nothing that would send the
 * operator after the wrong problem), each legitimate variant must pass, and no run may print
 * key material.
 */

const HOST = 'dh1.example.test';
const ENVOY_HOST = 'dh.example.test';
// Paths are given relative to the corpus (the CLI runs there), so findings name short files.
const ROOT_BUNDLE = 'ca/bundle-root.pem';

type FileName = 'tls.crt' | 'tls.key' | 'envoy.pem';
/** A CA bundle of the corpus, named as it is given to --ca-cert-file. */
type CaFileName = `ca/${string}`;

interface Report {
  ok: boolean;
  hostname: string;
  tlsVolume: string;
  findings: Finding<string>[];
}

interface Run {
  json: CliResult;
  human: CliResult;
  report: Report | undefined;
}

interface CheckInput {
  volume: string;
  hostname?: string;
  caCertFile?: string;
  args?: string[];
}

function checkArgs(input: CheckInput): string[] {
  return [
    'cert', 'check',
    '--hostname', input.hostname ?? HOST,
    '--tls-volume', `cases/${input.volume}`,
    '--ca-cert-file', input.caCertFile ?? ROOT_BUNDLE,
    ...(input.args ?? []),
  ];
}

/** The same check with --json and for people, side by side; both are checked for key leaks. */
async function check(t: Test, input: CheckInput): Promise<Run> {
  const args = checkArgs(input);
  const [json, human] = await Promise.all([
    runCli([...args, '--json'], { cwd: corpusDir }),
    runCli(args, { cwd: corpusDir }),
  ]);
  noKeyMaterial(t, input, json);
  noKeyMaterial(t, input, human);
  t.equal(human.code, json.code, 'the same exit code with and without --json');
  return { json, human, report: parseReport(t, json) };
}

function parseReport(t: Test, result: CliResult): Report | undefined {
  let value: unknown;
  try {
    value = JSON.parse(result.stdout);
  } catch {
    t.fail(`stdout is one JSON document (exit ${result.code})`, { stdout: result.stdout.slice(0, 2000), stderr: result.stderr.slice(0, 2000) });
    return undefined;
  }
  const report = value as Report;
  t.type(report.ok, 'boolean', 'report.ok');
  t.ok(Array.isArray(report.findings), 'report.findings is an array');
  if (!Array.isArray(report.findings)) return undefined;
  for (const finding of report.findings) {
    t.match(
      finding,
      { code: /^[A-Z_]+$/, severity: /^(error|warning)$/, file: String, message: String, fix: String },
      `finding ${finding.code} has the Finding shape`,
    );
  }
  return report;
}

const codes = (report: Report, severity: Finding['severity']) =>
  report.findings.filter((finding) => finding.severity === severity).map((finding) => finding.code);

const summary = (run: Run) => ({ exit: run.json.code, findings: run.report?.findings, stderr: run.json.stderr });

// --- key material ---------------------------------------------------------------------------

const PEM_KEY_ARMOR = /-----(BEGIN|END) [A-Z ]*PRIVATE KEY-----/;
const keyLinesCache = new Map<string, string[]>();

/**
 * The base64 lines of every private key in a volume (symlinks followed: symlink-out's key lives
 * outside it, and is exactly what must not leak) and in the CA file, where a pasted key is a
 * defect of its own. Files too big to be PEM, and what is no file at all, are skipped.
 */
function keyLines(input: CheckInput): string[] {
  const caFile = join(corpusDir, input.caCertFile ?? ROOT_BUNDLE);
  const cacheKey = `${input.volume}\0${caFile}`;
  let lines = keyLinesCache.get(cacheKey);
  if (lines) return lines;
  lines = [];
  const dir = caseDir(input.volume);
  for (const path of [...readdirSync(dir).map((name) => join(dir, name)), caFile]) {
    const stats = existsSync(path) ? statSync(path) : undefined;
    if (!stats?.isFile() || stats.size > 1024 * 1024) continue;
    lines.push(...keyBlockLines(readFileSync(path, 'latin1')));
  }
  keyLinesCache.set(cacheKey, lines);
  return lines;
}

function keyBlockLines(text: string): string[] {
  const lines: string[] = [];
  let inKey = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (PEM_KEY_ARMOR.test(line)) inKey = line.startsWith('-----BEGIN');
    else if (inKey && /^[A-Za-z0-9+/=]{40,}$/.test(line)) lines.push(line);
  }
  return lines;
}

/**
 * Messages may name a "PRIVATE KEY block"; what must never appear is the key itself, so the PEM
 * armor and the key's own base64 lines are what is looked for.
 */
function noKeyMaterial(t: Test, input: CheckInput, result: CliResult): void {
  const output = result.stdout + result.stderr;
  t.notMatch(output, PEM_KEY_ARMOR, 'no PEM private key armor in the output');
  const lines = keyLines(input);
  t.not(lines.length, 0, 'the volume has key lines to look for');
  const leaked = lines.filter((line) => output.includes(line));
  t.same(leaked, [], 'no line of the private keys in the output');
}

// --- the cases ------------------------------------------------------------------------------

interface BrokenCase extends CheckInput {
  title?: string;
  /** The code this case exists for: an error (or `severity`) about `file`. */
  code: string;
  file: FileName | CaFileName;
  /** 'warning' for a code that fails only with --strict (which the case's args then give). */
  severity?: Finding['severity'];
  /** Other error codes that are a fair consequence of the same defect (rarely any). */
  alsoAllowed?: string[];
  extra?: (t: Test, finding: Finding<string>) => void;
}

const brokenCases: BrokenCase[] = [
  {
    volume: 'der',
    code: 'FILE_DER',
    file: 'tls.crt',
    extra: (t, finding) =>
      t.match(`${finding.message} ${finding.fix}`, 'openssl x509 -inform der -in cases/der/tls.crt', 'gives the exact conversion command'),
  },
  { volume: 'encrypted-key', code: 'KEY_ENCRYPTED', file: 'tls.key' },
  { volume: 'encrypted-key-legacy', code: 'KEY_ENCRYPTED', file: 'tls.key' },
  { volume: 'key-mismatch', code: 'KEY_MISMATCH', file: 'tls.key' },
  { volume: 'expired', code: 'CERT_EXPIRED', file: 'tls.crt' },
  { volume: 'not-yet-valid', code: 'CERT_NOT_YET_VALID', file: 'tls.crt' },
  { volume: 'san-without-host', code: 'SAN_HOST_MISMATCH', file: 'tls.crt' },
  { volume: 'cn-only', code: 'SAN_MISSING', file: 'tls.crt' },
  { volume: 'ca-as-leaf', code: 'LEAF_IS_CA', file: 'tls.crt' },
  { volume: 'ku-no-digital-signature', code: 'KU_NO_DIGITAL_SIGNATURE', file: 'tls.crt' },
  { volume: 'eku-client-only', code: 'EKU_NO_SERVER_AUTH', file: 'tls.crt' },
  {
    volume: 'chain-wrong-order',
    args: ['--strict'],
    severity: 'warning',
    code: 'CHAIN_ORDER',
    file: 'tls.crt',
    extra: (t, finding) => t.match(finding.fix, /^write \S+tls\.crt as "CN=dh1\.example\.test", then "CN=DH Test Intermediate"/, 'names the exact order'),
  },
  { volume: 'missing-intermediate', code: 'CHAIN_MISSING_INTERMEDIATE', file: 'tls.crt' },
  { volume: 'empty', code: 'FILE_EMPTY', file: 'tls.crt' },
  { volume: 'random-bytes', code: 'FILE_NOT_PEM', file: 'tls.crt' },
  { volume: 'large', code: 'FILE_TOO_LARGE', file: 'tls.crt' },
  { volume: 'symlink-out', code: 'FILE_OUTSIDE_VOLUME', file: 'tls.key' },
  {
    volume: 'crt-is-directory',
    code: 'FILE_UNREADABLE',
    file: 'tls.crt',
    extra: (t, finding) => t.match(finding.message, 'not a regular file', 'says why it cannot be read'),
  },
  { volume: 'csr-not-cert', code: 'CERT_MISSING', file: 'tls.crt' },
  {
    volume: 'cert-truncated',
    code: 'CERT_UNPARSABLE',
    file: 'tls.crt',
    extra: (t, finding) => t.match(finding.message, 'PEM block 3', 'names the damaged block'),
  },
  { volume: 'key-truncated', code: 'KEY_UNPARSABLE', file: 'tls.key' },
  {
    volume: 'root-instead-of-intermediate',
    code: 'CHAIN_BROKEN',
    file: 'tls.crt',
    extra: (t, finding) =>
      t.match(finding.fix, '"CN=DH Test Intermediate"', "names the missing link: the leaf's issuer"),
  },
  { title: 'good with the root key in the CA file', volume: 'good', caCertFile: 'ca/bundle-with-key.pem', code: 'KEY_IN_CA_FILE', file: 'ca/bundle-with-key.pem' },
  {
    title: 'good with a leaf in the CA file, --strict',
    volume: 'good',
    caCertFile: 'ca/bundle-with-leaf.pem',
    args: ['--strict'],
    severity: 'warning',
    code: 'CA_FILE_NOT_CA',
    file: 'ca/bundle-with-leaf.pem',
    extra: (t, finding) => t.match(finding.message, 'CN=dh2.example.test', 'names the certificate that is not a CA'),
  },
  { title: 'envoy-good without --envoy-hostname, --strict', volume: 'envoy-good', args: ['--strict'], severity: 'warning', code: 'ENVOY_HOSTNAME_MISSING', file: 'envoy.pem' },
  { title: 'good against an unrelated root', volume: 'good', caCertFile: 'ca/other-root.crt', code: 'CHAIN_UNTRUSTED', file: 'tls.crt' },
  { title: 'good for another hostname', volume: 'good', hostname: 'other.example.test', code: 'SAN_HOST_MISMATCH', file: 'tls.crt' },
  { volume: 'envoy-no-key', args: ['--envoy-hostname', ENVOY_HOST], code: 'KEY_MISSING', file: 'envoy.pem' },
  { volume: 'envoy-wrong-key', args: ['--envoy-hostname', ENVOY_HOST], code: 'KEY_MISMATCH', file: 'envoy.pem' },
  { volume: 'envoy-san-miss', args: ['--envoy-hostname', ENVOY_HOST], code: 'SAN_HOST_MISMATCH', file: 'envoy.pem' },
];

interface LegitCase extends CheckInput {
  title?: string;
  /** The warnings this variant is expected to draw; any other finding fails it. */
  warnings?: string[];
}

const legitCases: LegitCase[] = [
  { volume: 'good' },
  { volume: 'pkcs1-key' },
  { volume: 'sec1-key' },
  { volume: 'root-included' },
  { volume: 'upper-case-san' },
  { volume: 'text-before' },
  { volume: 'crlf' },
  { volume: 'chain-wrong-order', warnings: ['CHAIN_ORDER'] },
  { volume: 'wildcard', warnings: ['SAN_WILDCARD'] },
  { volume: 'no-client-auth', warnings: ['EKU_NO_CLIENT_AUTH'] },
  { volume: 'expires-soon', warnings: ['CERT_EXPIRES_SOON'] },
  { title: 'expires-soon with --warn-days 5', volume: 'expires-soon', args: ['--warn-days', '5'] },
  { volume: 'envoy-good', args: ['--envoy-hostname', ENVOY_HOST] },
  { title: 'envoy-good without --envoy-hostname', volume: 'envoy-good', warnings: ['ENVOY_HOSTNAME_MISSING'] },
  { title: 'good with a leaf in the CA file', volume: 'good', caCertFile: 'ca/bundle-with-leaf.pem', warnings: ['CA_FILE_NOT_CA'] },
];

function title(input: CheckInput & { title?: string }): string {
  return input.title ?? input.volume;
}

async function expectFailure(t: Test, input: CheckInput): Promise<Run> {
  const run = await check(t, input);
  t.equal(run.json.code, 3, 'exit code 3', summary(run));
  t.equal(run.report?.ok, false, 'ok: false');
  return run;
}

/** The finding with `code` about `file` (an error unless said), failing the test when there is none. */
function findingAbout(t: Test, run: Run, code: string, file: FileName | CaFileName, severity: Finding['severity'] = 'error'): Finding<string> | undefined {
  // Volume files are named under the volume; the CA file exactly as it was given.
  const names = (f: Finding<string>) => (file.startsWith('ca/') ? f.file === file : f.file.endsWith(`/${file}`));
  const finding = run.report?.findings.find((f) => f.code === code && f.severity === severity && names(f));
  t.ok(finding, `${severity === 'error' ? 'an error' : 'a warning'} ${code} about ${file}`, summary(run));
  return finding;
}

function main(): void {
  if (!existsSync(caseDir('good'))) {
    t.fail(`no certificate corpus at ${corpusDir}: test/fixtures/make-corpus.sh failed or did not run (node dist/test/setup/before.js makes it)`);
    return;
  }

  for (const broken of brokenCases) {
    t.test(`broken: ${title(broken)} → ${broken.code}${broken.severity === 'warning' ? ' (warning)' : ''}`, async (t) => {
      const run = await expectFailure(t, broken);
      const finding = findingAbout(t, run, broken.code, broken.file, broken.severity);
      if (finding) broken.extra?.(t, finding);
      // A second error would send the operator after a problem the volume does not have.
      const allowed = [broken.code, ...(broken.alsoAllowed ?? [])];
      const misdiagnosed = run.report ? codes(run.report, 'error').filter((code) => !allowed.includes(code)) : [];
      t.same(misdiagnosed, [], `no error besides ${allowed.join(', ')}`, summary(run));
      if (broken.severity === 'warning') {
        // Under --strict every warning fails the run, so a stray one would be a wrong diagnosis too.
        const strayWarnings = run.report ? codes(run.report, 'warning').filter((code) => !allowed.includes(code)) : [];
        t.same(strayWarnings, [], `no warning besides ${allowed.join(', ')}`, summary(run));
      }
      t.equal(run.human.code, 3, 'exit code 3 without --json too');
      t.match(run.human.stdout + run.human.stderr, broken.code, 'the human output names the code');
    });
  }

  for (const legit of legitCases) {
    t.test(`passes: ${title(legit)}${legit.warnings ? ` (warning ${legit.warnings.join(', ')})` : ''}`, async (t) => {
      const run = await check(t, legit);
      t.equal(run.json.code, 0, 'exit code 0', summary(run));
      t.equal(run.report?.ok, true, 'ok: true');
      if (!run.report) return;
      t.same(codes(run.report, 'error'), [], 'no error findings');
      t.same(codes(run.report, 'warning').sort(), [...(legit.warnings ?? [])].sort(), 'exactly the expected warnings');
      t.equal(run.human.code, 0, 'exit code 0 without --json too');
      for (const code of legit.warnings ?? []) t.match(run.human.stdout + run.human.stderr, code, `the human output names ${code}`);
    });
  }

  t.test('wildcard fails with --strict', async (t) => {
    const run = await expectFailure(t, { volume: 'wildcard', args: ['--strict'] });
    t.same(run.report && codes(run.report, 'warning'), ['SAN_WILDCARD'], 'still a warning, now fatal');
    t.same(run.report && codes(run.report, 'error'), [], 'and no error');
  });

  t.test('no-client-auth fails with --mtls: EKU_NO_CLIENT_AUTH becomes an error', async (t) => {
    const run = await expectFailure(t, { volume: 'no-client-auth', args: ['--mtls'] });
    findingAbout(t, run, 'EKU_NO_CLIENT_AUTH', 'tls.crt');
    t.same(run.report && codes(run.report, 'error'), ['EKU_NO_CLIENT_AUTH'], 'the only error');
  });

  t.test('multi-broken: every broken rule is reported in one run', async (t) => {
    const run = await expectFailure(t, { volume: 'multi-broken' });
    for (const code of ['CERT_EXPIRED', 'SAN_HOST_MISMATCH', 'EKU_NO_SERVER_AUTH']) findingAbout(t, run, code, 'tls.crt');
    t.same(run.report && codes(run.report, 'error').sort(), ['CERT_EXPIRED', 'EKU_NO_SERVER_AUTH', 'SAN_HOST_MISMATCH'], 'and nothing else');
  });
}

main();

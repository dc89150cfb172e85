import t, { type Test } from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliResult } from '../support/cli.js';
import { openssl } from '../support/openssl.js';
import type { CertificateDescription } from '../../src/pki/describe.js';

/**
 * `cert inspect` on what operators hand over: a PEM chain with prose around the blocks and CRLF
 * line ends, and DER. Every field is graded against what openssl itself reads from the same
 * certificate, so the parser is not compared with its own idea of the certificate.
 */

interface InspectReport {
  ok: boolean;
  files: { file: string; certificates: CertificateDescription[]; holdsPrivateKey: boolean }[];
  findings: unknown[];
}

/** The fields as openssl prints them, in the names `cert inspect` uses. */
type OpensslView = Omit<CertificateDescription, 'selfSigned' | 'daysLeft' | 'subjectAltName'> & {
  subjectAltName: { dns: string[]; ip: string[] } | null;
};

const KEY_USAGE_NAMES: Record<string, string> = {
  'Digital Signature': 'digitalSignature',
  'Non Repudiation': 'nonRepudiation',
  'Key Encipherment': 'keyEncipherment',
  'Data Encipherment': 'dataEncipherment',
  'Key Agreement': 'keyAgreement',
  'Certificate Sign': 'keyCertSign',
  'CRL Sign': 'cRLSign',
  'Encipher Only': 'encipherOnly',
  'Decipher Only': 'decipherOnly',
};

const EKU_NAMES: Record<string, string> = {
  'TLS Web Server Authentication': 'serverAuth',
  'TLS Web Client Authentication': 'clientAuth',
  'Code Signing': 'codeSigning',
  'E-mail Protection': 'emailProtection',
  'Time Stamping': 'timeStamping',
  'OCSP Signing': 'OCSPSigning',
};

const KEY_TYPES: Record<string, string> = { rsaEncryption: 'RSA', 'id-ecPublicKey': 'EC' };

/** openssl writes 2001:DB8:0:0:0:0:0:1 where RFC 5952 (and we) write 2001:db8::1. */
function canonicalIp(ip: string): string {
  return ip.includes(':') ? new URL(`http://[${ip}]`).hostname.slice(1, -1) : ip;
}

function opensslView(dir: string, file: string, inform: 'PEM' | 'DER'): OpensslView {
  const fields = openssl([
    'x509', '-in', file, '-inform', inform, '-noout', '-nameopt', 'sep_comma_plus_space',
    '-subject', '-issuer', '-serial', '-startdate', '-enddate', '-fingerprint', '-sha256',
    '-ext', 'subjectAltName,keyUsage,extendedKeyUsage,basicConstraints',
  ], dir);
  const value = (name: string) => {
    const match = new RegExp(`^${name}=(.*)$`, 'm').exec(fields);
    if (!match) throw new Error(`openssl printed no ${name}:\n${fields}`);
    return match[1]!.trim();
  };
  // `-ext` prints each extension as a header line and its value on the next line.
  const extension = (name: string) => {
    const match = new RegExp(`^X509v3 ${name}:.*\\n\\s+(.*)$`, 'm').exec(fields);
    return match ? match[1]!.split(', ').map((item) => item.trim()) : null;
  };
  const san = extension('Subject Alternative Name');
  const basic = extension('Basic Constraints');
  const pathLen = basic?.find((item) => item.startsWith('pathlen:'));

  const text = openssl(['x509', '-in', file, '-inform', inform, '-noout', '-text'], dir);
  const algorithm = /Public Key Algorithm: (\S+)/.exec(text)?.[1] ?? '';
  const bits = /Public-Key: \((\d+) bit\)/.exec(text)?.[1];
  const curve = /NIST CURVE: (\S+)/.exec(text)?.[1];

  return {
    subject: value('subject'),
    issuer: value('issuer'),
    serialNumber: value('serial'),
    notBefore: new Date(value('notBefore')).toISOString(),
    notAfter: new Date(value('notAfter')).toISOString(),
    sha256Fingerprint: value('sha256 Fingerprint'),
    subjectAltName: san
      ? {
          dns: san.filter((n) => n.startsWith('DNS:')).map((n) => n.slice('DNS:'.length)),
          ip: san.filter((n) => n.startsWith('IP Address:')).map((n) => canonicalIp(n.slice('IP Address:'.length))),
        }
      : null,
    keyUsage: extension('Key Usage')?.map((name) => KEY_USAGE_NAMES[name] ?? name) ?? null,
    extendedKeyUsage: extension('Extended Key Usage')?.map((name) => EKU_NAMES[name] ?? name) ?? null,
    ca: basic?.includes('CA:TRUE') ?? false,
    pathLength: pathLen ? Number(pathLen.slice('pathlen:'.length)) : null,
    publicKey: { type: KEY_TYPES[algorithm] ?? algorithm, bits: bits ? Number(bits) : null, curve: curve ?? null },
  };
}

interface Pki {
  dir: string;
  /** The three certificates as openssl sees them, leaf first. */
  leaf: OpensslView;
  intermediate: OpensslView;
  root: OpensslView;
}

/**
 * An RSA 2048 root (pathlen 1), an EC P-256 intermediate (pathlen 0) and an EC P-256 leaf with
 * DNS and IP (v4 and v6) SANs, all by openssl. The chain file is what a help desk ticket looks
 * like: prose, `openssl x509 -text` output before the leaf's block, notes between, CRLF.
 */
function makePki(t: Test): Pki {
  const dir = t.testdir();
  const run = (args: string[]) => openssl(args, dir);
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root.key', '-out', 'root.crt', '-days', '90',
    '-subj', '/O=Inspect Test/CN=Inspect Root',
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:1', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);

  writeFileSync(join(dir, 'int.ext'), 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n');
  run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'int.key', '-out', 'int.csr',
    '-subj', '/O=Inspect Test/CN=Inspect Intermediate']);
  run(['x509', '-req', '-in', 'int.csr', '-CA', 'root.crt', '-CAkey', 'root.key', '-CAcreateserial', '-days', '60', '-extfile', 'int.ext', '-out', 'int.crt']);

  writeFileSync(join(dir, 'leaf.ext'), [
    'subjectAltName=DNS:dh1.example.test,DNS:dh1,IP:10.1.2.3,IP:2001:db8::1',
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth,clientAuth',
    '',
  ].join('\n'));
  run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr',
    '-subj', '/O=Inspect Test/CN=dh1.example.test']);
  run(['x509', '-req', '-in', 'leaf.csr', '-CA', 'int.crt', '-CAkey', 'int.key', '-CAcreateserial', '-days', '30', '-extfile', 'leaf.ext', '-out', 'leaf.crt']);

  const chain = [
    'Certificate chain for dh1.example.test, as requested in ticket 4711.',
    '',
    run(['x509', '-in', 'leaf.crt', '-text']).trimEnd(),
    '',
    'Issued by:',
    readFileSync(join(dir, 'int.crt'), 'utf8').trimEnd(),
    'Root:',
    readFileSync(join(dir, 'root.crt'), 'utf8').trimEnd(),
    '-- ',
    'PKI team',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'chain.pem'), chain.replace(/\n/g, '\r\n'));
  run(['x509', '-in', 'leaf.crt', '-outform', 'DER', '-out', 'leaf.der']);

  return {
    dir,
    leaf: opensslView(dir, 'leaf.crt', 'PEM'),
    intermediate: opensslView(dir, 'int.crt', 'PEM'),
    root: opensslView(dir, 'root.crt', 'PEM'),
  };
}

/** The whole days left as of some moment during the run. */
function daysLeftDuring(notAfter: string, from: number, to: number): number[] {
  const days = (at: number) => Math.floor((Date.parse(notAfter) - at) / 86_400_000);
  return [...new Set([days(from), days(to)])];
}

async function inspect(t: Test, pki: Pki, args: string[]): Promise<CliResult & { started: number; ended: number }> {
  const started = Date.now();
  const result = await runCli(['cert', 'inspect', ...args], { cwd: pki.dir });
  const ended = Date.now();
  t.equal(result.code, 0, `exit 0: ${result.stderr}`);
  t.equal(result.stderr, '', 'nothing on stderr');
  t.notMatch(result.stdout, /PRIVATE KEY|BEGIN/, 'no PEM in the output');
  return { ...result, started, ended };
}

/** One certificate's human block, from its "FILE [i/n]" header to the next header. */
function humanBlock(stdout: string, header: string): string {
  const lines = stdout.split('\n');
  const start = lines.indexOf(header);
  if (start < 0) return '';
  const end = lines.findIndex((line, index) => index > start && /^\S.* \[\d+\/\d+\]$/.test(line));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

function field(block: string, name: string): string | undefined {
  return new RegExp(`^  ${name}:\\s+(.*)$`, 'm').exec(block)?.[1];
}

function humanMatchesOpenssl(t: Test, block: string, view: OpensslView, selfSigned: boolean, days: number[]): void {
  t.equal(field(block, 'Subject'), view.subject, 'subject');
  t.equal(field(block, 'Issuer'), view.issuer + (selfSigned ? ' (self-signed)' : ''), 'issuer');
  t.equal(field(block, 'Serial'), view.serialNumber, 'serial');
  const san = view.subjectAltName
    ? [...view.subjectAltName.dns.map((n) => `DNS:${n}`), ...view.subjectAltName.ip.map((n) => `IP:${n}`)].join(', ')
    : '(none)';
  t.equal(field(block, 'SAN'), san, 'SAN');
  t.equal(field(block, 'Key usage'), view.keyUsage?.join(', ') ?? '(not present)', 'key usage');
  t.equal(field(block, 'Ext. key usage'), view.extendedKeyUsage?.join(', ') ?? '(not present)', 'extended key usage');
  const ca = view.ca ? `yes${view.pathLength === null ? '' : `, path length ${view.pathLength}`}` : 'no';
  t.equal(field(block, 'CA'), ca, 'CA flag and path length');
  t.equal(field(block, 'Not before'), view.notBefore, 'not before');
  const notAfter = /^(\S+) \((\d+) day\(s\) left\)$/.exec(field(block, 'Not after') ?? '');
  t.equal(notAfter?.[1], view.notAfter, 'not after');
  t.ok(days.includes(Number(notAfter?.[2])), `days left: ${notAfter?.[2]} in ${days.join(' or ')}`);
  const key = view.publicKey.curve ? `${view.publicKey.type} ${view.publicKey.curve}` : `${view.publicKey.type} ${view.publicKey.bits} bits`;
  t.equal(field(block, 'Public key'), key, 'key type and size or curve');
  t.equal(field(block, 'SHA-256'), view.sha256Fingerprint, 'SHA-256 fingerprint as openssl prints it');
}

function jsonMatchesOpenssl(t: Test, description: CertificateDescription | undefined, view: OpensslView, selfSigned: boolean, days: number[]): void {
  if (!description) {
    t.fail(`no description for ${view.subject}`);
    return;
  }
  const { selfSigned: isSelfSigned, daysLeft, subjectAltName, ...rest } = description;
  const { subjectAltName: expectedSan, ...expected } = view;
  t.same(rest, expected, 'every field as openssl reads it');
  t.same(subjectAltName, expectedSan && { ...expectedSan, email: [], uri: [] }, 'SAN as openssl reads it');
  t.equal(isSelfSigned, selfSigned, 'selfSigned');
  t.ok(days.includes(daysLeft), `daysLeft: ${daysLeft} in ${days.join(' or ')}`);
}

t.test('a PEM chain with text around the blocks and CRLF, and a DER file, for people', async (t) => {
  const pki = makePki(t);
  const chainText = readFileSync(join(pki.dir, 'chain.pem'), 'utf8');
  t.match(chainText, /^Certificate:\r\n[\s\S]*-----BEGIN CERTIFICATE-----\r\n[\s\S]*PKI team\r\n$/m, 'the chain file has text around its blocks');
  t.notMatch(chainText, /[^\r]\n/, 'and CRLF line ends throughout');
  const result = await inspect(t, pki, ['chain.pem', 'leaf.der']);
  const headers = result.stdout.split('\n').filter((line) => /^\S.* \[\d+\/\d+\]$/.test(line));
  t.same(headers, ['chain.pem [1/3]', 'chain.pem [2/3]', 'chain.pem [3/3]', 'leaf.der [1/1]'], 'every certificate of every file, in order');

  const cases: [string, OpensslView, boolean][] = [
    ['chain.pem [1/3]', pki.leaf, false],
    ['chain.pem [2/3]', pki.intermediate, false],
    ['chain.pem [3/3]', pki.root, true],
    ['leaf.der [1/1]', pki.leaf, false],
  ];
  for (const [header, view, selfSigned] of cases) {
    t.test(header, async (t) => {
      humanMatchesOpenssl(t, humanBlock(result.stdout, header), view, selfSigned, daysLeftDuring(view.notAfter, result.started, result.ended));
    });
  }

  // The values that matter most, stated outright rather than only as "what openssl says".
  const leaf = humanBlock(result.stdout, 'chain.pem [1/3]');
  t.equal(field(leaf, 'SAN'), 'DNS:dh1.example.test, DNS:dh1, IP:10.1.2.3, IP:2001:db8::1');
  t.equal(field(leaf, 'Public key'), 'EC P-256');
  t.equal(field(leaf, 'CA'), 'no');
  t.equal(field(humanBlock(result.stdout, 'chain.pem [2/3]'), 'CA'), 'yes, path length 0');
  const root = humanBlock(result.stdout, 'chain.pem [3/3]');
  t.equal(field(root, 'Public key'), 'RSA 2048 bits');
  t.equal(field(root, 'CA'), 'yes, path length 1');
  t.equal(field(root, 'Key usage'), 'keyCertSign, cRLSign');
});

t.test('--json: one JSON document with the same certificates as data', async (t) => {
  const pki = makePki(t);
  const result = await inspect(t, pki, ['--json', 'chain.pem', 'leaf.der']);
  let report: InspectReport;
  try {
    report = JSON.parse(result.stdout) as InspectReport;
  } catch {
    t.fail('stdout is one JSON document', { stdout: result.stdout.slice(0, 2000) });
    return;
  }
  t.equal(report.ok, true, 'ok');
  t.same(report.findings, [], 'no findings');
  t.same(report.files.map((file) => [file.file, file.certificates.length, file.holdsPrivateKey]), [
    ['chain.pem', 3, false],
    ['leaf.der', 1, false],
  ], 'both files, every certificate');

  const [chain, der] = report.files;
  const expected: [string, CertificateDescription | undefined, OpensslView, boolean][] = [
    ['chain.pem leaf', chain?.certificates[0], pki.leaf, false],
    ['chain.pem intermediate', chain?.certificates[1], pki.intermediate, false],
    ['chain.pem root', chain?.certificates[2], pki.root, true],
    ['leaf.der', der?.certificates[0], pki.leaf, false],
  ];
  for (const [name, description, view, selfSigned] of expected) {
    t.test(name, async (t) => {
      jsonMatchesOpenssl(t, description, view, selfSigned, daysLeftDuring(view.notAfter, result.started, result.ended));
    });
  }

  t.same(chain?.certificates[0]?.subjectAltName, { dns: ['dh1.example.test', 'dh1'], ip: ['10.1.2.3', '2001:db8::1'], email: [], uri: [] });
  t.same(chain?.certificates[0]?.publicKey, { type: 'EC', bits: 256, curve: 'P-256' });
  t.same(chain?.certificates[2]?.publicKey, { type: 'RSA', bits: 2048, curve: null });
  t.same([chain?.certificates[1]?.pathLength, chain?.certificates[2]?.pathLength], [0, 1], 'path length 0 is a number, not absent');

  const human = await inspect(t, pki, ['chain.pem', 'leaf.der']);
  for (const [index, description] of report.files.flatMap((file) => file.certificates).entries()) {
    t.match(human.stdout, description.sha256Fingerprint, `certificate ${index + 1}: the same fingerprint with and without --json`);
  }
});

t.test('a file that also holds the private key: said, never shown', async (t) => {
  const pki = makePki(t);
  writeFileSync(join(pki.dir, 'envoy.pem'), ['leaf.crt', 'int.crt', 'leaf.key'].map((file) => readFileSync(join(pki.dir, file), 'utf8')).join(''));
  const keyLines = readFileSync(join(pki.dir, 'leaf.key'), 'utf8').split('\n').filter((line) => /^[A-Za-z0-9+/=]{40,}$/.test(line));
  t.not(keyLines.length, 0, 'the key has lines to look for');

  const human = await inspect(t, pki, ['envoy.pem']);
  t.match(human.stdout, /^envoy\.pem: also holds a private key \(not shown\)$/m);
  const json = await inspect(t, pki, ['--json', 'envoy.pem']);
  const report = JSON.parse(json.stdout) as InspectReport;
  t.same(report.files.map((file) => [file.certificates.length, file.holdsPrivateKey]), [[2, true]]);
  t.equal(report.files[0]?.certificates[0]?.sha256Fingerprint, pki.leaf.sha256Fingerprint, 'the leaf comes first');
  for (const output of [human.stdout, json.stdout]) {
    t.same(keyLines.filter((line) => output.includes(line)), [], 'no line of the key in the output');
  }
});

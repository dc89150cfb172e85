import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';

// A command that got past the checks would fail on this engine with exit 4.
const noEngine = { CONTAINER_HOST: 'unix:///nonexistent/dh-podman-test.sock' };

const pod = '  - { name: dh1, hostname: dh1.example.test, certificate: { mode: generate } }\n';

/**
 * Files an attacker or an accident could hand to `plan -f`: each must be refused with exit 3 and
 * one line naming the file, the place where there is one, the problem and the fix; never exit 1,
 * never a stack overflow or an out-of-memory abort.
 */
const cases: { name: string; content: string | Buffer; code: string; line?: RegExp; where?: string }[] = [
  {
    name: 'an alias bomb (a billion laughs)',
    content: [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...['b', 'c', 'd', 'e', 'f', 'g', 'h'].map((name, i) => `${name}: &${name} [${Array(9).fill(`*${'abcdefg'[i]}`).join(',')}]`),
      'cluster: dev',
      'pods:',
      pod,
    ].join('\n'),
    code: 'CLUSTER_ALIAS_LIMIT',
    line: /aliases expand to more than 100 values/,
    where: ':2:',
  },
  { name: '100,000 nested brackets', content: `cluster: dev\npods: ${'['.repeat(100_000)}\n`, code: 'CLUSTER_TOO_DEEP', line: /more than 32 \[ or \{ are open/, where: ':2:' },
  { name: '100,000 nested block sequences on one line', content: `cluster: dev\npods:\n${'- '.repeat(100_000)}x\n`, code: 'CLUSTER_TOO_DEEP', line: /beyond column 256/, where: ':3:' },
  { name: 'binary garbage', content: Buffer.from([0x63, 0x6c, 0x3a, 0x0a, 0x00, 0xff, 0xfe, 0x13, 0x37, 0x00, 0x01]), code: 'CLUSTER_NOT_TEXT', line: /not a YAML or JSON text file/ },
  { name: 'a UTF-16 file', content: Buffer.from('\ufeffcluster: dev\n', 'utf16le'), code: 'CLUSTER_NOT_TEXT' },
  { name: 'a JSON document with a duplicate key', content: '{\n  "cluster": "dev",\n  "pods": [],\n  "cluster": "prod"\n}\n', code: 'CLUSTER_DUPLICATE_KEY', line: /keep one of them/, where: ':4:' },
  { name: 'a !!js/function tag', content: `cluster: !!js/function "function () { return 'dev' }"\npods:\n${pod}`, code: 'CLUSTER_TAG', line: /tag tag:yaml\.org,2002:js\/function is not allowed; remove the tag/, where: ':1:' },
  { name: 'a local tag', content: `cluster: !shell dev\npods:\n${pod}`, code: 'CLUSTER_TAG', where: ':1:' },
  { name: 'two documents', content: `cluster: dev\npods:\n${pod}---\ncluster: prod\n`, code: 'CLUSTER_MULTIPLE_DOCUMENTS' },
  { name: 'a __proto__ key', content: `__proto__: { cluster: dev }\ncluster: dev\npods:\n${pod}`, code: 'CLUSTER_SCHEMA', line: /unknown key "__proto__"/, where: ':1:' },
  { name: 'an empty file', content: '', code: 'CLUSTER_EMPTY', where: ':1:1:' },
  { name: 'comments only', content: '# nothing here\n', code: 'CLUSTER_EMPTY', where: ':1:1:' },
  { name: 'a list instead of a map', content: '- cluster: dev\n', code: 'CLUSTER_SCHEMA', line: /must be of type object; write it as an object/, where: ':1:1' },
];

for (const hostile of cases) {
  t.test(`${hostile.name}: exit 3, one line naming the file and the fix`, async (t) => {
    const dir = t.testdir();
    const file = join(dir, 'dh-podman.yaml');
    writeFileSync(file, hostile.content);
    const json = await runCli(['plan', '-f', file, '--json'], { env: noEngine });
    t.equal(json.code, 3, json.stderr);
    t.match(JSON.parse(json.stdout).issues, [{ code: hostile.code }]);
    const human = await runCli(['plan', '-f', file], { env: noEngine });
    t.equal(human.code, 3);
    t.notMatch(human.stderr, /internal error|Maximum call stack|RangeError/);
    const first = human.stdout.split('\n')[0]!;
    t.match(first, new RegExp(`dh-podman\\.yaml${(hostile.where ?? ':').replace(/[?]/g, '\\?')}`), 'names the file (and line where known)');
    t.match(first, /; .+ \[CLUSTER_/, 'says what to do, with a code');
    if (hostile.line) t.match(first, hostile.line);
  });
}

t.test('a file over 1 MiB is refused as a cluster file, without reading it whole', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'dh-podman.yaml');
  writeFileSync(file, `cluster: dev\n# ${'x'.repeat(15 * 1024 * 1024)}\n`);
  const result = await runCli(['plan', '-f', file], { env: noEngine });
  t.equal(result.code, 3);
  t.match(result.stderr, /dh-podman\.yaml: is 15\.0 MiB, more than the 1\.0 MiB a cluster file can be; check the path: a cluster file is a small YAML or JSON file describing the pods \[CLUSTER_FILE_TOO_LARGE\]/);
  t.notMatch(result.stderr, /certificate or key/);
});

t.test('aliases in moderation still work', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'dh-podman.yaml');
  writeFileSync(file, 'cluster: dev\npods:\n  - { name: dh1, hostname: dh1.example.test, certificate: &gen { mode: generate } }\n  - { name: dh2, hostname: dh2.example.test, certificate: *gen }\n');
  // cert expiry reads the file and never asks Podman; both pods' certificates are still to be issued.
  const result = await runCli(['cert', 'expiry', '-f', file, '--json', '--state-dir', join(dir, 'state')], { env: noEngine });
  t.equal(result.code, 0, result.stderr);
  t.equal(JSON.parse(result.stdout).notIssued.length, 2);
});

import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { makeCa, makeLeaf, makeVolume } from '../support/openssl.js';

// A command that got past the checks would fail on this engine with exit 4.
const noEngine = { CONTAINER_HOST: 'unix:///nonexistent/dh-podman-test.sock' };

t.test('a cluster file with five distinct errors reports all five, with paths and lines, and creates nothing', async (t) => {
  const dir = t.testdir();
  const ca = makeCa(dir, 'ca');
  makeVolume(dir, 'dh1', makeLeaf(dir, 'dh1', ca, ['dh1.example.test']));
  // Valid for the (duplicated) hostname it claims, so the duplicate is its only problem.
  makeVolume(dir, 'dh2', makeLeaf(dir, 'dh2', ca, ['dh1.example.test']));
  makeVolume(dir, 'dh3', makeLeaf(dir, 'dh3', ca, ['somewhere-else.example.test']));
  writeFileSync(join(dir, 'dh-podman.yaml'), [
    'cluster: dev',
    'colour: blue',
    'pods:',
    '  - name: dh1',
    '    hostname: dh1.example.test',
    '    publish: [8123]',
    '    certificate: { mode: existing, tlsVolume: ./dh1 }',
    '  - name: dh2',
    '    hostname: dh1.example.test',
    '    publish: ["8124"]',
    '    certificate: { mode: existing, tlsVolume: ./dh2 }',
    '  - name: dh3',
    '    hostname: dh3.example.test',
    '    publish: [8123]',
    '    certificate: { mode: existing, tlsVolume: ./dh3 }',
    '',
  ].join('\n'));
  const result = await runCli(['plan', '-f', join(dir, 'dh-podman.yaml'), '--json'], { env: noEngine });
  t.equal(result.code, 3);
  const issues = JSON.parse(result.stdout).issues as { code: string; path: string; line: number; column: number; message: string }[];
  const found = issues.map((issue) => `${issue.code} ${issue.path} line ${issue.line}`);
  t.same(found.sort(), [
    'CLUSTER_DUPLICATE_HOSTNAME /pods/1/hostname line 9',
    'CLUSTER_PORT_TAKEN /pods/2/publish/0 line 14',
    'CLUSTER_SCHEMA /colour line 2',
    'CLUSTER_SCHEMA /pods/1/publish/0 line 10',
    'SAN_HOST_MISMATCH /pods/2/certificate/tlsVolume line 15',
  ].sort(), 'bad type, unknown key, duplicate hostname, SAN without its hostname, port used twice');

  const human = await runCli(['plan', '-f', join(dir, 'dh-podman.yaml')], { env: noEngine });
  t.equal(human.code, 3);
  t.match(human.stdout, /dh-podman\.yaml:2:\d+ \/colour: unknown key "colour"/);
  t.match(human.stdout, /5 problem\(s\); nothing was created/);
});

t.test('a YAML syntax error names its line', async (t) => {
  const dir = t.testdir();
  writeFileSync(join(dir, 'broken.yaml'), 'cluster: dev\npods: [\n');
  const result = await runCli(['plan', '-f', join(dir, 'broken.yaml'), '--json'], { env: noEngine });
  t.equal(result.code, 3);
  t.match(JSON.parse(result.stdout).issues, [{ code: 'CLUSTER_SYNTAX' }]);
});

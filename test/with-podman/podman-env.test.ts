import t from 'tap';
import { execFile } from 'node:child_process';
import { repoRoot } from '../support/cli.js';
import { podmanSocket, requirePodman } from '../support/podman.js';

/** scripts/podman-env.sh start proves the engine before it returns (the test setup ran it once already). */

t.test('podman-env.sh start proves the engine: container start, port publishing, alias DNS', async (t) => {
  if (!(await requirePodman(t))) return;
  const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('bash', ['scripts/podman-env.sh', 'start'], { cwd: repoRoot, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
  t.equal(result.code, 0, result.stderr);
  t.equal(result.stdout, `${podmanSocket}\n`, 'stdout holds the socket path alone');
  t.match(result.stderr, /^podman-env: proof: container start ok \(localhost\/dh-podman\/busybox:latest\)$/m);
  t.match(result.stderr, /^podman-env: proof: port publishing ok \(127\.0\.0\.1:\d+ answered\)$/m);
  t.match(result.stderr, /^podman-env: proof: alias DNS ok \(web\.dh-podman-proof-[\w-]+\.test resolved and answered from another container\)$/m);
});

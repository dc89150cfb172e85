import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_BASE_IMAGE } from '../src/cluster/base-image.js';
import { ensureWheelhouse } from '../src/cluster/wheelhouse.js';
import { issueLeaf, issueRootCa } from '../src/pki/issue.js';
import { clientPython, DEEPHAVEN_IMAGE, firstQuery, REQUIREMENTS, TEST_CACHE_DIR } from '../test/support/deephaven.js';
import { dhPodman, engineUrl, freePort, imageExists, podmanCli, removeImagesTagged, removePodAndSecrets, repoRoot } from './support.js';

/**
 * The real Deephaven Community server, against the same steps as shell scripts of podman CLI
 * calls, in the same run on the same engine:
 * - from `dh-podman start` to the first pydeephaven query answered over TLS (the JVM's start
 *   dominates both), and the server container's peak memory (its cgroup's memory.peak);
 * - the image build with the layer cache after only the CA changed (`build --only deephaven
 *   --ca-cert-file NEW`), against `podman build` of the same context plus a CA layer.
 * One round each: a Deephaven start costs half a minute of both cores.
 */

export const name = 'deephaven';

const HOST = 'dh2-bench.localhost';
const NETWORK = 'dh2-bench-deephaven';
const PREFIX = 'localhost/dh2-bench/';
const BUILD_ROUNDS = 3;

const IN = '/etc/sysconfig/deephaven';
const PROPERTIES = [
  'ssl.identity.type=privatekey',
  `ssl.identity.certChainPath=${IN}/auth/tls-chain.pem`,
  `ssl.identity.privateKeyPath=${IN}/auth/tls-key.pem`,
  'ssl.trust.type=certs',
  `ssl.trust.path=${IN}/trust/truststore-iris.pem`,
];

/** What `start` does for a community image, by hand: PEM files, properties, network, pod, container. */
const SHELL_START = `
set -eu
state=$1; volume=$2; url=$3; pod=$4; port=$5; ca=$6
mkdir -p "$state/auth" "$state/trust"
cp "$volume/tls.crt" "$state/auth/tls-chain.pem"
openssl pkey -in "$volume/tls.key" -out "$state/auth/tls-key.pem"
chmod 600 "$state/auth/tls-key.pem"; chown 9000:9000 "$state/auth/tls-key.pem"
cp "$ca" "$state/trust/truststore-iris.pem"
printf '%s\\n' ${PROPERTIES.map((p) => `'${p}'`).join(' ')} > "$state/dh-podman.prop"
podman --url "$url" network exists ${NETWORK} || podman --url "$url" network create ${NETWORK} >/dev/null
podman --url "$url" pod create --name "$pod" --hostname ${HOST} --network ${NETWORK} --network-alias ${HOST} -p 127.0.0.1:$port:8123 >/dev/null
podman --url "$url" create --pod "$pod" --name "$pod-svc" \\
  -v "$volume:${IN}/tls:ro" -v "$state/auth:${IN}/auth:ro" -v "$state/trust:${IN}/trust:ro" \\
  -v "$state/dh-podman.prop:${IN}/dh-podman.prop:ro" \\
  -e DH_JAVA_OPTS="${PROPERTIES.map((p) => `-D${p}`).join(' ')}" \\
  ${DEEPHAVEN_IMAGE} >/dev/null
podman --url "$url" pod start "$pod" >/dev/null
`;

/**
 * What `build --only deephaven --ca-cert-file` does, by hand: base, the image, a CA layer. The
 * builds use podman locally on the same storage (CONTAINERS_CONF): podman 4.3's remote build
 * takes the Containerfile in the service's working directory (the repository's own) whatever the
 * context or -f says.
 */
const SHELL_BUILD = `
set -eu
ctx=$1; ca=$2; base=$3
env -u CONTAINER_HOST podman build -q -t ${PREFIX}sh-base:latest --build-arg BASE_IMAGE="$base" -f ${repoRoot}images/base/Containerfile ${repoRoot}images/base >/dev/null
env -u CONTAINER_HOST podman build -q -t ${PREFIX}sh-deephaven:pre -f "$ctx/image/Containerfile" "$ctx/image" >/dev/null
mkdir -p "$ctx/ca" && cp "$ca" "$ctx/ca/site-ca.crt"
printf '%s\\n' 'FROM ${PREFIX}sh-deephaven:pre' 'USER root' 'COPY site-ca.crt /usr/local/share/ca-certificates/dh-podman/site-ca.crt' \\
  'RUN update-ca-certificates' 'USER dhsvc' > "$ctx/ca/Containerfile"
env -u CONTAINER_HOST podman build -q -t ${PREFIX}sh-deephaven:latest -f "$ctx/ca/Containerfile" "$ctx/ca" >/dev/null
`;

export async function run(log: (line: string) => void): Promise<void> {
  const url = engineUrl();
  const podman = podmanCli(url);
  if (!imageExists(url, DEEPHAVEN_IMAGE, log)) return;
  const python = await clientPython();
  const dir = mkdtempSync(join(tmpdir(), 'dh2-bench-deephaven-'));
  try {
    const ca = await issueRootCa({ commonName: 'bench CA' });
    const leaf = await issueLeaf({ certificateDer: ca.certificateDer, privateKey: ca.privateKey, label: 'bench CA' }, { hostnames: [HOST], ips: [], client: true });
    const volume = join(dir, 'tls');
    mkdirSync(volume);
    writeFileSync(join(volume, 'tls.crt'), leaf.certificatePem);
    writeFileSync(join(volume, 'tls.key'), leaf.privateKeyPem, { mode: 0o600 });
    const caFile = join(dir, 'ca.crt');
    writeFileSync(caFile, ca.certificatePem);

    const ours = await serve(python, caFile, 'dh2-bench-dh', async (pod, port) => {
      dhPodman('start', '-q', '-h', HOST, '--tls-volume', volume, '--ca-cert-file', caFile, '--image', DEEPHAVEN_IMAGE, '--name', pod,
        '--network', NETWORK, '--publish', `127.0.0.1:${port}:8123`, '--state-dir', join(dir, 'state'));
    });
    const script = await serve(python, caFile, 'dh2-bench-sh', async (pod, port) => {
      execFileSync('bash', ['-c', SHELL_START, 'start', join(dir, 'shell'), volume, url, pod, String(port), caFile], { stdio: 'ignore' });
    });
    log(`dh-podman start to first pydeephaven query: ${ours.seconds.toFixed(1)} s (start itself ${ours.startSeconds.toFixed(1)} s); server peak memory ${mib(ours.peakBytes)}`);
    log(`shell script of podman CLI calls, same steps: ${script.seconds.toFixed(1)} s (script itself ${script.startSeconds.toFixed(1)} s); server peak memory ${mib(script.peakBytes)}`);
    log(`ratio dh-podman/script: time to first query ${(ours.seconds / script.seconds).toFixed(2)}×, peak memory ${(ours.peakBytes / script.peakBytes).toFixed(2)}×`);

    await compareCaRebuild(dir, log);
  } finally {
    for (const pod of ['dh2-bench-dh', 'dh2-bench-sh']) removePodAndSecrets(url, pod);
    tryPodman(podman, 'network', 'rm', '-f', NETWORK);
    removeImagesTagged(url, PREFIX);
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Served {
  /** From the start command to the first query answered. */
  seconds: number;
  /** The start command (or script) alone. */
  startSeconds: number;
  peakBytes: number;
}

/** Starts a server the given way, waits for its first query, reads its peak memory, removes it. */
async function serve(python: string, caFile: string, pod: string, start: (pod: string, port: number) => Promise<void>): Promise<Served> {
  const port = await freePort();
  const started = performance.now();
  await start(pod, port);
  const startSeconds = (performance.now() - started) / 1000;
  const first = await firstQuery(python, port, caFile, HOST);
  const seconds = (performance.now() - started) / 1000;
  if (!first) throw new Error(`${pod}: no query answered within 5 minutes`);
  const peakBytes = peakMemory(`${pod}-svc`);
  removePodAndSecrets(engineUrl(), pod);
  return { seconds, startSeconds, peakBytes };
}

/**
 * The container's peak memory: its cgroup's memory.peak (cgroup v2, kernel 5.19+; the container
 * sees its own cgroup at /sys/fs/cgroup), else memory.max_usage_in_bytes (cgroup v1), else the
 * server process's peak RSS (VmHWM; the JVM runs inside PID 1).
 */
function peakMemory(container: string): number {
  const script = 'cat /sys/fs/cgroup/memory.peak 2>/dev/null || cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes 2>/dev/null || echo $(($(sed -n "s/^VmHWM: *\\([0-9]*\\) kB/\\1/p" /proc/1/status) * 1024))';
  const out = execFileSync('podman', ['--url', process.env.CONTAINER_HOST!, 'exec', container, 'sh', '-c', script], { encoding: 'utf8' });
  return Number(out.trim());
}

async function compareCaRebuild(dir: string, log: (line: string) => void): Promise<void> {
  const cacheDir = TEST_CACHE_DIR;
  // The script's context: images/deephaven with the wheels beside it, as dh-podman sends it.
  const wheelhouse = await ensureWheelhouse(REQUIREMENTS, cacheDir);
  const ctx = join(dir, 'build');
  cpSync(join(repoRoot, 'images', 'deephaven'), join(ctx, 'image'), { recursive: true });
  cpSync(wheelhouse.dir, join(ctx, 'image', 'wheels'), { recursive: true });
  const containerfile = join(ctx, 'image', 'Containerfile');
  writeFileSync(containerfile, readFileSync(containerfile, 'utf8').replace(/^FROM dh-podman\/base$/m, `FROM ${PREFIX}sh-base:latest`));

  const caFiles: string[] = [];
  for (let i = 0; i <= BUILD_ROUNDS; i++) {
    const ca = await issueRootCa({ commonName: `bench build CA ${i}` });
    caFiles.push(join(dir, `build-ca-${i}.pem`));
    writeFileSync(caFiles[i]!, ca.certificatePem);
  }
  const ours = (caFile: string) =>
    dhPodman('build', '-q', '--only', 'deephaven', '--ca-cert-file', caFile, '--tag-prefix', PREFIX, '--base-image', DEFAULT_BASE_IMAGE, '--cache-dir', cacheDir);
  const script = (caFile: string) => execFileSync('bash', ['-c', SHELL_BUILD, 'build', ctx, caFile, DEFAULT_BASE_IMAGE], { stdio: 'ignore' });
  // The first CA fills both layer caches (the untouched layers are then cached, as on a
  // machine that built before); each round after changes only the CA.
  ours(caFiles[0]!);
  script(caFiles[0]!);
  const times = { ours: [] as number[], script: [] as number[] };
  for (let i = 1; i <= BUILD_ROUNDS; i++) {
    times.ours.push(timed(() => ours(caFiles[i]!)));
    times.script.push(timed(() => script(caFiles[i]!)));
  }
  const a = times.ours.sort((x, y) => x - y)[Math.floor(BUILD_ROUNDS / 2)]!;
  const b = times.script.sort((x, y) => x - y)[Math.floor(BUILD_ROUNDS / 2)]!;
  log(`build --only deephaven after only the CA changed (layer cache): ${a.toFixed(2)} s (median of ${BUILD_ROUNDS})`);
  log(`podman build of the same context plus a CA layer: ${b.toFixed(2)} s (median of ${BUILD_ROUNDS})`);
  log(`ratio dh-podman/script: ${(a / b).toFixed(2)}×`);
}

function timed(work: () => void): number {
  const started = performance.now();
  work();
  return (performance.now() - started) / 1000;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function tryPodman(podman: (...args: string[]) => void, ...args: string[]): void {
  try {
    podman(...args);
  } catch {
    // already gone
  }
}

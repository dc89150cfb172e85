import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { issueLeaf, issueRootCa } from '../src/pki/issue.js';
import { benchPrefix, dhPodman, engineUrl, freePort, imageExists, median, podmanCli, removePodAndSecrets, repoRoot, withoutExtraCaCerts } from './support.js';

/**
 * `dh-podman start` of one pod with one container, against the same steps as a shell script of
 * podman CLI calls (keystore with openssl, passphrase and properties files, network, pod,
 * container, start), in the same run on the same engine. Target: ≤ 1.0×.
 */

export const name = 'start';

// Nine, not five: with medians of five, one build measured 0.92× to 1.17× from run to run.
const ROUNDS = 9;
const HOST = 'bench.example.test';
const IMAGE = 'localhost/dh-podman/probe:latest';
const NETWORK = `${benchPrefix}dh-podman-bench`;

const SHELL_START = `
set -eu
state=$1; volume=$2; url=$3; pod=$4; port=$5; net=$6
mkdir -p "$state/auth"
head -c 32 /dev/urandom | base64 | tr -d '/+=\\n' > "$state/auth/keystore.passphrase"
chmod 600 "$state/auth/keystore.passphrase"
openssl pkcs12 -export -in "$volume/tls.crt" -inkey "$volume/tls.key" -name ${HOST} \\
  -passout file:"$state/auth/keystore.passphrase" -out "$state/auth/keystore.p12"
chmod 600 "$state/auth/keystore.p12"
printf 'tls.keystore=/etc/sysconfig/deephaven/auth/keystore.p12\\ntls.passphrase.file=/etc/sysconfig/deephaven/auth/keystore.passphrase\\n' > "$state/dh-podman.prop"
podman --url "$url" network exists "$net" || podman --url "$url" network create "$net" >/dev/null
podman --url "$url" pod create --name "$pod" --hostname ${HOST} --network "$net" --network-alias ${HOST} -p 127.0.0.1:$port:8123 >/dev/null
podman --url "$url" create --pod "$pod" --name "$pod-svc" \\
  -v "$volume:/etc/sysconfig/deephaven/tls:ro" -v "$state/auth:/etc/sysconfig/deephaven/auth:ro" \\
  -v "$state/dh-podman.prop:/etc/sysconfig/deephaven/dh-podman.prop:ro" \\
  -e DH_JAVA_OPTS="-Dtls.keystore=/etc/sysconfig/deephaven/auth/keystore.p12 -Dtls.passphrase.file=/etc/sysconfig/deephaven/auth/keystore.passphrase" \\
  ${IMAGE} >/dev/null
podman --url "$url" pod start "$pod" >/dev/null
`;

export async function run(log: (line: string) => void): Promise<void> {
  const url = engineUrl();
  const podman = podmanCli(url);
  if (!imageExists(url, IMAGE, log)) return;
  const dir = mkdtempSync(join(tmpdir(), 'dh-podman-bench-start-'));
  const ca = await issueRootCa({});
  const leaf = await issueLeaf({ certificateDer: ca.certificateDer, privateKey: ca.privateKey, label: 'bench CA' }, { hostnames: [HOST], ips: [], client: true });
  const volume = join(dir, 'tls');
  mkdirSync(volume);
  writeFileSync(join(volume, 'tls.crt'), leaf.certificatePem);
  writeFileSync(join(volume, 'tls.key'), leaf.privateKeyPem, { mode: 0o600 });

  const ours: number[] = [];
  const script: number[] = [];
  const startUp: number[] = [];
  const floorCalls: number[] = [];
  const cleanup = (pod: string) => removePodAndSecrets(url, pod);
  for (let round = 0; round < ROUNDS; round++) {
    const pod = `${NETWORK}-${round}`;
    const stateDir = join(dir, `state-${round}`);
    let started = performance.now();
    dhPodman('--version');
    startUp.push(performance.now() - started);

    started = performance.now();
    dhPodman('start', '-q', '-h', HOST, '--tls-volume', volume, '--name', pod,
      '--network', NETWORK, '--publish', `127.0.0.1:${await freePort()}:8123`, '--state-dir', stateDir);
    ours.push(performance.now() - started);
    cleanup(pod);

    started = performance.now();
    execFileSync('bash', ['-c', SHELL_START, 'start', join(dir, `shell-${round}`), volume, url, `${pod}-sh`, `${await freePort()}`, NETWORK], { stdio: 'ignore' });
    script.push(performance.now() - started);
    cleanup(`${pod}-sh`);

    started = performance.now();
    // Started as scripts/dh-podman starts the CLI: without NODE_EXTRA_CA_CERTS at Node's start-up.
    execFileSync(process.execPath, [join(repoRoot, 'dist/bench/floor/start-calls.js'), `${pod}-floor`, NETWORK, `${await freePort()}`, volume, IMAGE, HOST], { stdio: 'ignore', env: withoutExtraCaCerts() });
    floorCalls.push(performance.now() - started);
    cleanup(`${pod}-floor`);
  }
  try {
    podman('network', 'rm', '-f', NETWORK);
  } catch {
    // nothing to remove
  }
  rmSync(dir, { recursive: true, force: true });
  const a = median(ours);
  const b = median(script);
  log(`dh-podman start (checks, keystore, plan, pod, container, start): ${a.toFixed(0)} ms (median of ${ROUNDS})`);
  log(`shell script of podman CLI calls doing the same steps: ${b.toFixed(0)} ms (median of ${ROUNDS})`);
  log(`ratio dh-podman/script: ${(a / b).toFixed(2)}× (target ≤ 1.0×: ${a / b <= 1 ? 'met' : 'MISSED'})`);
  // A Node process that loads the CLI costs this much before any work; the podman CLI is a Go
  // binary that starts in a few milliseconds. The second ratio shows what the work itself costs.
  const floor = median(startUp);
  log(`of which Node start-up and CLI load (dh-podman --version): ${floor.toFixed(0)} ms; without it: ${(a - floor).toFixed(0)} ms, ratio ${((a - floor) / b).toFixed(2)}×`);
  // A Node process making only the script's four Podman calls, nothing of dh-podman's own work:
  // at or above 1.0×, no Node CLI can meet the target, whatever it leaves out.
  const least = median(floorCalls);
  log(`floor: a Node process making only the script's Podman calls (bench/floor/start-calls.ts): ${least.toFixed(0)} ms, ratio to the script ${(least / b).toFixed(2)}×`);
}

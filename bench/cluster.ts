import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { issueRootCa } from '../src/pki/issue.js';
import { benchPrefix, type BenchPod, clusterFile, dhPodman, engineUrl, imageExists, makePods, median, podmanCli, writeLeaf } from './support.js';

/**
 * `dh-podman up -f` of a three-pod cluster, then `rotate` of one pod (new leaf, restart, /health
 * over TLS), against a shell script of podman CLI calls doing the same steps (openssl keystore,
 * keytool truststore, properties, network, pods, containers; for rotation a new keystore, pod
 * restart and curl until /health answers), in the same run on the same engine.
 */

export const name = 'cluster';

// A rotate round restarts a JVM (2 to 9 s here): the median of a few rounds, not one.
const ROUNDS = 3;
const IMAGE = 'localhost/dh-podman/probe:latest';

const SHELL_POD = `
set -eu
state=$1; volume=$2; url=$3; pod=$4; port=$5; host=$6; ca=$7; net=$8
mkdir -p "$state/auth" "$state/trust"
head -c 32 /dev/urandom | base64 | tr -d '/+=\\n' > "$state/auth/keystore.passphrase"
chmod 600 "$state/auth/keystore.passphrase"
openssl pkcs12 -export -in "$volume/tls.crt" -inkey "$volume/tls.key" -name "$host" \\
  -passout file:"$state/auth/keystore.passphrase" -out "$state/auth/keystore.p12"
chmod 600 "$state/auth/keystore.p12"
chown -R 9000:9000 "$state/auth"
printf 'changeit\\n' > "$state/trust/truststore.passphrase"
rm -f "$state/trust/truststore-iris.p12"
keytool -importcert -noprompt -alias ca -file "$ca" -keystore "$state/trust/truststore-iris.p12" -storetype PKCS12 -storepass changeit >/dev/null 2>&1
opts="-Dtls.keystore=/etc/sysconfig/deephaven/auth/keystore.p12 -Dtls.passphrase.file=/etc/sysconfig/deephaven/auth/keystore.passphrase -Dtls.truststore=/etc/sysconfig/deephaven/trust/truststore-iris.p12 -Dtls.truststore.passphrase.file=/etc/sysconfig/deephaven/trust/truststore.passphrase"
printf '%s\\n' $opts | sed 's/^-D//' > "$state/dh-podman.prop"
podman --url "$url" network exists "$net" || podman --url "$url" network create "$net" >/dev/null
podman --url "$url" pod create --name "$pod" --hostname "$host" --network "$net" --network-alias "$host" -p 127.0.0.1:$port:8123 >/dev/null
podman --url "$url" create --pod "$pod" --name "$pod-svc" \\
  -v "$volume:/etc/sysconfig/deephaven/tls:ro" -v "$state/auth:/etc/sysconfig/deephaven/auth:ro" -v "$state/trust:/etc/sysconfig/deephaven/trust:ro" \\
  -v "$state/dh-podman.prop:/etc/sysconfig/deephaven/dh-podman.prop:ro" -e DH_JAVA_OPTS="$opts" ${IMAGE} >/dev/null
podman --url "$url" pod start "$pod" >/dev/null
`;

const SHELL_ROTATE = `
set -eu
state=$1; volume=$2; url=$3; pod=$4; port=$5; host=$6; ca=$7
openssl pkcs12 -export -in "$volume/tls.crt" -inkey "$volume/tls.key" -name "$host" \\
  -passout file:"$state/auth/keystore.passphrase" -out "$state/auth/keystore.p12.new"
chown 9000:9000 "$state/auth/keystore.p12.new"
mv "$state/auth/keystore.p12.new" "$state/auth/keystore.p12"
podman --url "$url" pod restart "$pod" >/dev/null
for i in $(seq 240); do curl -sf --cacert "$ca" --resolve "$host:$port:127.0.0.1" "https://$host:$port/health" >/dev/null && exit 0; sleep 0.5; done
exit 1
`;

/** Waits until every pod answers /health over TLS on its published port (curl, as the script asks). */
function untilHealthy(pods: BenchPod[], caFile: string): void {
  for (const pod of pods) {
    execFileSync('bash', ['-c', `for i in $(seq 240); do curl -sf --cacert "${caFile}" --resolve "${pod.hostname}:${pod.port}:127.0.0.1" "https://${pod.hostname}:${pod.port}/health" >/dev/null && exit 0; sleep 0.5; done; exit 1`]);
  }
}

export async function run(log: (line: string) => void): Promise<void> {
  const url = engineUrl();
  const podman = podmanCli(url);
  if (!imageExists(url, IMAGE, log)) return;
  const dir = mkdtempSync(join(tmpdir(), 'dh-podman-bench-cluster-'));
  const ca = await issueRootCa({});
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, ca.certificatePem);
  const times = { up: [] as number[], upScript: [] as number[], rotate: [] as number[], rotateScript: [] as number[] };

  for (let round = 0; round < ROUNDS; round++) {
    const cluster = `${benchPrefix}bench${round}`;
    const ours = await makePods(dir, `${cluster}`, ca);
    const file = join(dir, `${cluster}.yaml`);
    writeFileSync(file, clusterFile(cluster, join(dir, `${cluster}-state`), caFile, ours));
    let started = performance.now();
    dhPodman('up', '-q', '-f', file);
    times.up.push(performance.now() - started);
    // up returns once the pods run, before their JVMs answer: rotating then would time the new
    // JVM's start against three others on the same cores. Both sides rotate a settled cluster.
    untilHealthy(ours, caFile);
    await writeLeaf(ca, ours[0]!);
    started = performance.now();
    dhPodman('rotate', '-q', '-f', file, ours[0]!.name);
    times.rotate.push(performance.now() - started);
    dhPodman('down', '-q', '-f', file);

    const theirs = await makePods(dir, `${cluster}-sh`, ca);
    const net = `dh-${cluster}-sh`;
    started = performance.now();
    for (const pod of theirs) {
      execFileSync('bash', ['-c', SHELL_POD, 'up', join(dir, 'sh-state', pod.name), pod.volume, url, pod.name, `${pod.port}`, pod.hostname, caFile, net], { stdio: 'ignore' });
    }
    times.upScript.push(performance.now() - started);
    // The script's rotation waits for /health like rotate does; the first starts' JVMs go first.
    untilHealthy(theirs, caFile);
    await writeLeaf(ca, theirs[0]!);
    started = performance.now();
    execFileSync('bash', ['-c', SHELL_ROTATE, 'rotate', join(dir, 'sh-state', theirs[0]!.name), theirs[0]!.volume, url, theirs[0]!.name, `${theirs[0]!.port}`, theirs[0]!.hostname, caFile], { stdio: 'ignore' });
    times.rotateScript.push(performance.now() - started);
    for (const pod of theirs) podman('pod', 'rm', '-f', pod.name);
    podman('network', 'rm', '-f', net);
  }
  rmSync(dir, { recursive: true, force: true });
  const report = (label: string, a: number[], b: number[], target: number) => {
    const [x, y] = [median(a), median(b)];
    const ratio = x / y;
    const rounds = (values: number[]) => values.map((value) => value.toFixed(0)).join(', ');
    log(`${label}: dh-podman ${x.toFixed(0)} ms, script ${y.toFixed(0)} ms, ratio ${ratio.toFixed(2)}× (median of ${ROUNDS}; target ≤ ${target}×: ${ratio <= target ? 'met' : 'MISSED'}; rounds: ${rounds(a)} against ${rounds(b)} ms)`);
  };
  report('up of 3 pods (checks, stores, network, pods, containers, start)', times.up, times.upScript, 0.5);
  report('rotate of 1 pod (new leaf, keystore, restart, /health over TLS)', times.rotate, times.rotateScript, 1.0);
}

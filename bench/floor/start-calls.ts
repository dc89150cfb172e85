import { Engine } from '../../src/engine/engine.js';

/**
 * The least a Node CLI can do for `start`: the Podman calls the script makes (network exists,
 * pod create, container create, pod start) through dh-podman's engine layer, with no check, no
 * keystore, no secret and no plan. bench/start runs it as its own process beside the script:
 * what this takes is a floor for any Node implementation of the same start.
 * Arguments: pod, network, host port, TLS volume, image, hostname.
 */
const [pod, network, port, volume, image, hostname] = process.argv.slice(2) as [string, string, string, string, string, string];
const engine = await Engine.connect();
if (!(await engine.networks.exists(network))) await engine.networks.create(network, {});
await engine.pods.create({ name: pod, hostname, network, aliases: [hostname], ports: [{ hostIp: '127.0.0.1', hostPort: Number(port), containerPort: 8123 }], labels: {} });
await engine.containers.create({
  name: `${pod}-svc`,
  image,
  pod,
  env: {},
  labels: {},
  mounts: [{ source: volume, destination: '/etc/sysconfig/deephaven/tls', readOnly: true }],
});
await engine.pods.start(pod);
await engine.close();

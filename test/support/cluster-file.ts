import { writeFileSync } from 'node:fs';

/** One machine of a test's cluster file: with `volume`, its existing TLS volume; without, a generated certificate. */
export interface TestMachine {
  name: string;
  hostname: string;
  /** Without one, the file's default image. */
  image?: string;
  port?: number;
  volume?: string;
}

/** Writes a cluster file: the `head` lines (cluster, stateDir, trust, etcd, …), then the machines. */
export function writeClusterFile(file: string, head: string[], machines: TestMachine[]): string {
  writeFileSync(file, [
    ...head,
    'pods:',
    ...machines.flatMap((machine) => [
      `  - name: ${machine.name}`,
      `    hostname: ${machine.hostname}`,
      ...(machine.image === undefined ? [] : [`    image: ${machine.image}`]),
      ...(machine.port === undefined ? [] : [`    publish: [${machine.port}]`]),
      machine.volume === undefined ? '    certificate: { mode: generate }' : `    certificate: { mode: existing, tlsVolume: ${machine.volume} }`,
    ]),
    '',
  ].join('\n'));
  return file;
}

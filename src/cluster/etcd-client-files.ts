import { join } from 'node:path';
import type { Mount } from '../engine/containers.js';
import { compareBytes, type DerivedFile } from './derived-files.js';
import { ETCD_CLIENT_IN_CONTAINER } from './etcd-spec.js';

/**
 * A machine's etcd client files as derived files of its pod: the key, like the keystores, goes
 * in as a Podman secret readable by the service account only; the certificate and the etcd CA
 * are mounted read-only. They are their own directory, never part of truststore-iris: the
 * etcd CA vouches for etcd and for nothing the services talk to.
 */
export async function etcdClientFiles(dir: string): Promise<DerivedFile[]> {
  const { readFile } = await import('node:fs/promises');
  const file = async (purpose: string, name: string, containerPath: string, mode: number, secret: boolean) =>
    // Before the first `up` issues them (as `plan -f` sees it) they are files to create.
    ({ ...(await compareBytes(purpose, join(dir, name), containerPath, mode, await readFile(join(dir, name)).catch(() => Buffer.alloc(0)))), secret });
  return [
    await file('etcd client certificate', 'tls.crt', ETCD_CLIENT_IN_CONTAINER.cert, 0o644, false),
    await file('etcd client key', 'tls.key', ETCD_CLIENT_IN_CONTAINER.key, 0o600, true),
    await file('etcd CA', 'ca.crt', ETCD_CLIENT_IN_CONTAINER.ca, 0o644, false),
  ];
}

export function etcdClientMounts(dir: string): Mount[] {
  return [
    { source: join(dir, 'tls.crt'), destination: ETCD_CLIENT_IN_CONTAINER.cert, readOnly: true },
    { source: join(dir, 'ca.crt'), destination: ETCD_CLIENT_IN_CONTAINER.ca, readOnly: true },
  ];
}

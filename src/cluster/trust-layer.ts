import type { PoolEntry } from '../trust/pool.js';

/**
 * The generated build steps that put site CAs into system trust. Trust is computed once, in a
 * stage built from the images' common root, by the OS's own tool (update-ca-certificates on
 * Debian, which also rewrites Java's cacerts; update-ca-trust on RHEL); every image then copies
 * the result as its last layer. A new CA therefore re-runs one RUN and one COPY per image, and
 * every other layer stays cached.
 */

export const CA_DIR_IN_CONTEXT = 'dh-podman-ca';
const COLLECTED = '/dh-podman-trust';

export function caFiles(entries: PoolEntry[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of entries) {
    const base64 = entry.certificate.der.toString('base64').match(/.{1,64}/g)!.join('\n');
    // update-ca-certificates takes one certificate per .crt file.
    files[`${CA_DIR_IN_CONTEXT}/${entry.alias}.crt`] = `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`;
  }
  return files;
}

const INSTALL_SCRIPT = [
  'set -eu',
  `mkdir -p ${COLLECTED}`,
  'if command -v update-ca-certificates >/dev/null 2>&1; then',
  '  mkdir -p /usr/local/share/ca-certificates/dh-podman',
  `  cp /tmp/${CA_DIR_IN_CONTEXT}/*.crt /usr/local/share/ca-certificates/dh-podman/`,
  '  update-ca-certificates',
  `  mkdir -p ${COLLECTED}/etc/ssl ${COLLECTED}/usr/local/share/ca-certificates`,
  `  cp -a /etc/ssl/certs ${COLLECTED}/etc/ssl/`,
  `  cp -a /usr/local/share/ca-certificates/dh-podman ${COLLECTED}/usr/local/share/ca-certificates/`,
  'elif command -v update-ca-trust >/dev/null 2>&1; then',
  `  cp /tmp/${CA_DIR_IN_CONTEXT}/*.crt /etc/pki/ca-trust/source/anchors/`,
  '  update-ca-trust extract',
  `  mkdir -p ${COLLECTED}/etc/pki && cp -a /etc/pki/ca-trust ${COLLECTED}/etc/pki/`,
  'else',
  '  echo "dh-podman: the image has neither update-ca-certificates (Debian) nor update-ca-trust (RHEL)" >&2',
  '  exit 1',
  'fi',
  `rm -rf /tmp/${CA_DIR_IN_CONTEXT}`,
].join('\n');

/** The stage that runs the OS's trust tool over the CAs, from the root image's pre-trust tag. */
export function trustStageContainerfile(from: string): string {
  return [
    `FROM ${from}`,
    `COPY ${CA_DIR_IN_CONTEXT}/ /tmp/${CA_DIR_IN_CONTEXT}/`,
    'USER root',
    `RUN ${JSON.stringify(['/bin/sh', '-c', INSTALL_SCRIPT])}`,
    '',
  ].join('\n');
}

/**
 * An image's last layer: the computed trust files (none without a CA), then its labels in one
 * sorted LABEL line. (Labels passed through the API become one step each in random order, which
 * would defeat the layer cache.)
 */
export function finalContainerfile(preTrust: string, trustStage: string | undefined, labels: Record<string, string>): string {
  const lines = [`FROM ${preTrust}`];
  if (trustStage) lines.push(`COPY --from=${trustStage} ${COLLECTED}/ /`);
  const pairs = Object.keys(labels)
    .sort()
    .map((key) => `${JSON.stringify(key)}=${JSON.stringify(labels[key])}`);
  if (pairs.length > 0) lines.push(`LABEL ${pairs.join(' \\\n      ')}`);
  return `${lines.join('\n')}\n`;
}

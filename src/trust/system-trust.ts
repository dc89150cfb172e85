import { DEBIAN_CONF, DEBIAN_READS, debianTrustLayer } from './system-trust-debian.js';
import type { ImageTree, TreeEntry } from './image-tree.js';
import type { PoolEntry } from './pool.js';
import { RHEL_READS, RHEL_ROOT, rhelTrustLayer } from './system-trust-rhel.js';

/**
 * An image's whole system trust with site CAs added, computed on the host from the image's own
 * trust files: what the OS's tool would write, as the entries of one layer.
 */
export interface SystemTrustLayer {
  family: OsFamily;
  /** Directories first (with the image's modes), then files and links, by absolute path. */
  entries: TreeEntry[];
  /** Certificates the OS trusted before the site CAs. */
  osCertificates: number;
  /** The Java cacerts rewritten, when the image has one its OS tool would have updated. */
  javaCacerts: string | undefined;
}

export type OsFamily = 'debian' | 'rhel';

/**
 * How each family is told from the image's files, and what is read of it. Debian's
 * /etc/ca-certificates.conf belongs to ca-certificates (update-ca-certificates); RHEL's
 * /etc/pki/ca-trust to ca-certificates (update-ca-trust).
 */
export const FAMILIES: { family: OsFamily; marker: string; reads: string[] }[] = [
  { family: 'debian', marker: DEBIAN_CONF, reads: DEBIAN_READS },
  { family: 'rhel', marker: RHEL_ROOT, reads: RHEL_READS },
];

export function systemTrustLayer(family: OsFamily, tree: ImageTree, cas: PoolEntry[]): SystemTrustLayer {
  return family === 'debian' ? debianTrustLayer(tree, cas) : rhelTrustLayer(tree, cas);
}

import { VERSION } from '../base/version.js';

/**
 * Every resource dh-podman creates carries these labels, so `down`, `status` and cleanup find
 * exactly what it made and nothing else.
 */
export const LABEL_TOOL = 'io.dh-podman.tool';
export const LABEL_VERSION = 'io.dh-podman.version';
export const LABEL_CLUSTER = 'io.dh-podman.cluster';

export function toolLabels(extra: Record<string, string> = {}): Record<string, string> {
  return { [LABEL_TOOL]: 'dh-podman', [LABEL_VERSION]: VERSION, ...extra };
}

/** The libpod `filters` query value for "has all these labels". */
export function labelFilter(labels: Record<string, string>): string {
  return JSON.stringify({ label: Object.entries(labels).map(([key, value]) => `${key}=${value}`) });
}

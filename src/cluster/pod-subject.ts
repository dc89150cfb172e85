/**
 * What a machine's errors are about, named as things (its image, its front image), never as the
 * flag or the cluster-file field that set them: `start` and a cluster file set the same things
 * in their own words, and the CLI, which knows which was used, says it in those (see
 * cli/error-subjects.ts).
 */
export type PodField = 'image' | 'front image' | 'Envoy front' | 'client certificates' | 'pod name';

const PATTERN = /^pod (\S+): (image|front image|Envoy front|client certificates|pod name)$/;

export function podSubject(pod: string, field: PodField): string {
  return `pod ${pod}: ${field}`;
}

export function parsePodSubject(subject: string | undefined): { pod: string; field: PodField } | undefined {
  const match = subject ? PATTERN.exec(subject) : null;
  return match ? { pod: match[1]!, field: match[2] as PodField } : undefined;
}

import { DhError, isDhError } from '../base/errors.js';
import type { ClusterSpec } from '../cluster/cluster-file.js';
import { parsePodSubject, type PodField } from '../cluster/pod-subject.js';

/**
 * The lower layers name what an error is about (a pod's image, its front image); the user typed
 * a flag of `start` or a field of a cluster file. These say the subject in those words.
 */
const START_FLAGS: Record<PodField, string> = {
  image: '--image',
  'front image': '--envoy-image',
  'Envoy front': '--envoy',
  'client certificates': '--mtls',
  'pod name': '--name',
};

/** The subject as `start`'s flag. */
export async function inStartFlags<T>(work: () => Promise<T>): Promise<T> {
  return reworded(work, (field) => START_FLAGS[field]);
}

/** The subject as the cluster file's field, a JSON pointer as the file's own checks give it. */
export async function inClusterFile<T>(file: string, spec: ClusterSpec, work: () => Promise<T>): Promise<T> {
  return reworded(work, (field, pod) => {
    const index = spec.pods.findIndex((entry) => entry.name === pod);
    const paths: Record<PodField, string> = {
      image: `/pods/${index}/image`,
      'front image': '/envoy/image',
      'Envoy front': '/envoy',
      'client certificates': '/mtls',
      'pod name': `/pods/${index}/name`,
    };
    return index < 0 ? undefined : `${file} ${paths[field]}`;
  });
}

async function reworded<T>(work: () => Promise<T>, say: (field: PodField, pod: string) => string | undefined): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const about = isDhError(error) ? parsePodSubject(error.subject) : undefined;
    const subject = about && say(about.field, about.pod);
    if (!isDhError(error) || !subject) throw error;
    // Other fields callers read (a check's findings) stay on the error.
    throw Object.assign(new DhError(error.code, error.exitCode, error.message, { subject, fix: error.fix, details: error.details, cause: error }), {
      ...('findings' in error ? { findings: (error as { findings: unknown }).findings } : {}),
    });
  }
}

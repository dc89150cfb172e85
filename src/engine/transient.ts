/**
 * Podman answers some calls with a failure that a moment later is gone. Seen here with Podman
 * 4.3 on the re-run after the engine was killed, removing the half-made pod: "removing
 * container … root filesystem: … unlinkat …/merged: device or resource busy". It is a known
 * race of Podman's container removal (containers/podman#10454, #11594): the layer is still
 * mounted for a moment by another Podman process (conmon's exit command, `podman container
 * cleanup`, unmounts it), and the same removal succeeds once that is done. So it is asked again
 * a few times with growing pauses; any other failure is final at once.
 */
const TRANSIENT: RegExp[] = [
  /device or resource busy/i,
  // A build's commit that another client's change to the image store overtook: Podman 4.3 then
  // cannot find the image it has just written ("locating just-written image …: image not
  // known"). Seen with builds and untags running side by side; the same build, from the layer
  // cache, succeeds.
  /locating just-written image/i,
  // An image inspect that a removal of another image overtook: Podman 4.3's inspect handler then
  // fails to walk the layer tree, and its error path dereferences the missing result, so the
  // answer is the Go runtime's panic message (handlers/libpod/images.go, GetImage). Seen with
  // test files removing their images while others start pods; asked again, the image is there.
  /invalid memory address or nil pointer dereference/i,
];

/** Pauses before each further try: 0.5 s, 1 s, 2 s, 4 s (7.5 s in all, then the failure stands). */
export const RETRY_DELAYS_MS = [500, 1000, 2000, 4000];

export function isTransient(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return TRANSIENT.some((pattern) => pattern.test(message));
}

/** `work`, tried again after each delay while it fails transiently. */
export async function retryTransient<T>(work: () => Promise<T>, delaysMs: readonly number[] = RETRY_DELAYS_MS, sleep: (ms: number) => Promise<void> = pause): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= delaysMs.length || !isTransient(error)) throw error;
      await sleep(delaysMs[attempt]!);
    }
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

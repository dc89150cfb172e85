/**
 * The pauses between attempts of a wait: short at first, when the awaited thing (a service
 * starting) is most likely just about ready, then growing by `factor` up to `max`. A fixed pause
 * costs half of it on average after the thing is ready; this costs little at first and keeps
 * the attempts of a long wait few.
 */
export function* backoffDelays(first: number, max: number, factor = 1.5): Generator<number, never> {
  let delay = Math.min(first, max);
  for (;;) {
    yield delay;
    delay = Math.min(max, delay * factor);
  }
}

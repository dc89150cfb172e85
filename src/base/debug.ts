/**
 * DH_PODMAN_DEBUG holds one word or a comma list of them: `1` for stack traces and the engine
 * discovery's skipped strategies, `timing` for the timing lines (timing.ts), `1,timing` for both.
 */
export function debugAsks(env: NodeJS.ProcessEnv, word: '1' | 'timing'): boolean {
  return (env.DH_PODMAN_DEBUG ?? '').split(',').some((part) => part.trim() === word);
}

import { isDhError, runtimeError } from '../base/errors.js';

/** One pod's turn in a rolling restart. */
export interface RollOutStep {
  name: string;
  /** Writes the new files and restarts the pod with them; when it fails, the pod is as it was. */
  apply(): Promise<void>;
  /** Resolves once the pod answers its health path over TLS; rejects when it does not in time. */
  healthy(): Promise<void>;
  /** Puts the previous files back and restarts the pod with them. */
  revert(): Promise<void>;
}

/**
 * Restarts pods one at a time and waits for each to answer before touching the next, so at most
 * one machine is ever down. The first pod that cannot be restarted, or does not come up, is put
 * back as it was and the roll-out stops there: the pods after it keep running with what they had.
 */
export async function rollOut(steps: RollOutStep[], onStep: (line: string) => void = () => undefined): Promise<string[]> {
  const done: string[] = [];
  for (const [index, step] of steps.entries()) {
    const untouched = steps.slice(index + 1).map((s) => s.name);
    const notTouched = untouched.length > 0 ? `not touched: ${untouched.join(', ')}; ` : '';
    try {
      await step.apply();
    } catch (error) {
      // apply undoes itself (files, pod), so there is nothing to revert here; its own code
      // (a taken port, Podman's refusal) says more than a generic one.
      const code = isDhError(error) ? error.code : 'ROTATE_FAILED';
      throw runtimeError(code, `${step.name} was not rotated: ${(error as Error).message}`, { fix: `${notTouched}fix the cause and run rotate again`, cause: error });
    }
    try {
      onStep(`waiting for ${step.name} to answer over TLS`);
      await step.healthy();
      done.push(step.name);
    } catch (error) {
      const reverted = await step.revert().then(
        () => 'its previous certificates and trust were put back',
        (revertError: Error) => `putting its previous files back failed too (${revertError.message})`,
      );
      throw runtimeError('ROTATE_NOT_HEALTHY', `${step.name} did not come up after rotation: ${(error as Error).message}; ${reverted}`, {
        fix: `${notTouched}see "dh-podman logs ${step.name}", fix the material, and run rotate again`,
      });
    }
  }
  return done;
}

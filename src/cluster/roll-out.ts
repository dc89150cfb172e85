import { runtimeError } from '../base/errors.js';

/** One pod's turn in a rolling restart. */
export interface RollOutStep {
  name: string;
  /** Writes the new files and restarts the pod with them. */
  apply(): Promise<void>;
  /** Resolves once the pod answers /health over TLS; rejects when it does not in time. */
  healthy(): Promise<void>;
  /** Puts the previous files back and restarts the pod with them. */
  revert(): Promise<void>;
}

/**
 * Restarts pods one at a time and waits for each to answer before touching the next, so at most
 * one machine is ever down. The first pod that does not come up is put back as it was and the
 * roll-out stops there: the pods after it keep running with what they had.
 */
export async function rollOut(steps: RollOutStep[], onStep: (line: string) => void = () => undefined): Promise<string[]> {
  const done: string[] = [];
  for (const [index, step] of steps.entries()) {
    try {
      await step.apply();
      onStep(`waiting for ${step.name} to answer /health`);
      await step.healthy();
      done.push(step.name);
    } catch (error) {
      const untouched = steps.slice(index + 1).map((s) => s.name);
      const reverted = await step.revert().then(
        () => 'its previous certificates and trust were put back',
        (revertError: Error) => `putting its previous files back failed too (${revertError.message})`,
      );
      throw runtimeError('ROTATE_NOT_HEALTHY', `${step.name} did not come up after rotation: ${(error as Error).message}; ${reverted}`, {
        fix: `${untouched.length > 0 ? `not touched: ${untouched.join(', ')}; ` : ''}see "dh-podman logs ${step.name}", fix the material, and run rotate again`,
      });
    }
  }
  return done;
}

import t from 'tap';
import { backoffDelays } from '../../src/base/backoff.js';

/** Pauses of a wait: small first, growing by the factor, never past the cap. */
t.test('pauses start small, grow by the factor and stop at the cap', async (t) => {
  const take = (first: number, max: number, factor: number, count: number) => {
    const pauses = backoffDelays(first, max, factor);
    return Array.from({ length: count }, () => pauses.next().value);
  };
  t.same(take(20, 250, 1.5, 9), [20, 30, 45, 67.5, 101.25, 151.875, 227.8125, 250, 250]);
  t.same(take(100, 1000, 2, 6), [100, 200, 400, 800, 1000, 1000]);
  t.same(take(500, 250, 2, 3), [250, 250, 250], 'a first pause above the cap is the cap');
});

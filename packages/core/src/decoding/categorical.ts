/**
 * Choosing a word from a row of log-probabilities (or logits), in JavaScript: greedy decoding, sampling,
 * self-critical sampling and scheduled sampling all choose through these, so ties break as the reference's
 * `torch.max` does (first index) and seeded draws are the same on every backend.
 */
import type { Random } from '../random';
import { DecodingError } from './caption-model';

/** First index of the maximum (`torch.max` on ties); a row of only -Infinity gives index 0. */
export function argMax(row: ArrayLike<number>): number {
  let best = 0;
  let bestValue = row[0] as number;
  for (let i = 1; i < row.length; i++) {
    const v = row[i] as number;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/** `softmax(row)` in float64 into `out`; a row of only `-Infinity` is rejected. */
export function softmaxInto(row: ArrayLike<number>, out: Float64Array): void {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i] as number);
  if (max === -Infinity) throw new DecodingError('every word of a row has probability 0 (all log-probs are -Infinity)');
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    const e = Math.exp((row[i] as number) - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < row.length; i++) out[i] = (out[i] as number) / sum;
}

/**
 * One draw from `softmax(logits)` by inverting the cumulative distribution at `rng.next()` (one number of
 * the stream per draw). `probs` is scratch space of at least `logits.length` (allocated when absent).
 *
 * @example
 * ```ts
 * const word = drawCategorical(logprobsOfOneRow, rng);
 * ```
 */
export function drawCategorical(
  logits: ArrayLike<number>,
  rng: Random,
  probs: Float64Array = new Float64Array(logits.length),
): number {
  softmaxInto(logits, probs);
  const u = rng.next();
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < logits.length; i++) {
    const q = probs[i] as number;
    if (q <= 0) continue;
    cumulative += q;
    last = i;
    if (u < cumulative) return i;
  }
  return last; // u within rounding of 1
}

/**
 * Python and NumPy behaviours the coco-caption scorers rely on, reproduced bit for bit: `str.split()` and
 * NumPy's float64 summation (means). The scorers' hot path splits with `token-table.ts`, which follows the
 * same whitespace rules character by character.
 *
 * @internal
 */
import { isPythonSpace } from './token-table';

/** Python's `s.split()`: split on runs of Unicode whitespace (`str.isspace()`), no empty pieces. */
export function pythonSplit(text: string): string[] {
  const tokens: string[] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const space = i === text.length || isPythonSpace(text.charCodeAt(i));
    if (space && start !== -1) {
      tokens.push(text.slice(start, i));
      start = -1;
    } else if (!space && start === -1) {
      start = i;
    }
  }
  return tokens;
}

/** Block size of NumPy's pairwise summation (`PW_BLOCKSIZE` in `loops_utils.h`). */
const PAIRWISE_BLOCK = 128;

/**
 * `numpy.add.reduce` over a contiguous float64 array: NumPy's pairwise summation (8 accumulators per block of
 * at most 128 values, halves above that). Gives the same bits as NumPy, so means match the reference exactly.
 */
export function numpySum(values: ArrayLike<number>, start = 0, end = values.length): number {
  const n = end - start;
  if (n < 8) {
    let sum = 0;
    for (let i = start; i < end; i++) sum += values[i] as number;
    return sum;
  }
  if (n <= PAIRWISE_BLOCK) {
    let r0 = values[start] as number;
    let r1 = values[start + 1] as number;
    let r2 = values[start + 2] as number;
    let r3 = values[start + 3] as number;
    let r4 = values[start + 4] as number;
    let r5 = values[start + 5] as number;
    let r6 = values[start + 6] as number;
    let r7 = values[start + 7] as number;
    const blockEnd = start + (n - (n % 8));
    let i = start + 8;
    for (; i < blockEnd; i += 8) {
      r0 += values[i] as number;
      r1 += values[i + 1] as number;
      r2 += values[i + 2] as number;
      r3 += values[i + 3] as number;
      r4 += values[i + 4] as number;
      r5 += values[i + 5] as number;
      r6 += values[i + 6] as number;
      r7 += values[i + 7] as number;
    }
    let sum = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < end; i++) sum += values[i] as number;
    return sum;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return numpySum(values, start, start + half) + numpySum(values, start + half, end);
}

/** `numpy.mean` of a float64 array (`numpySum / n`); `NaN` for an empty array, as NumPy gives. */
export function numpyMean(values: ArrayLike<number>): number {
  return numpySum(values) / values.length;
}

/**
 * Small helpers that reproduce, bit for bit, the Python and NumPy behaviours the coco-caption scorers rely on.
 *
 * @internal
 */

/**
 * The characters for which Python 3's `str.isspace()` is true: what `str.split()` (no argument) splits on.
 * JavaScript's `\s` differs: it lacks U+001C..U+001F and U+0085 and adds U+FEFF.
 */
const PYTHON_WHITESPACE_RUN = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** Python's `s.split()`: split on runs of Unicode whitespace, dropping empty pieces at both ends. */
export function pythonSplit(text: string): string[] {
  const parts = text.split(PYTHON_WHITESPACE_RUN);
  let start = 0;
  let end = parts.length;
  if (end > 0 && parts[0] === '') start = 1;
  if (end > start && parts[end - 1] === '') end -= 1;
  return start === 0 && end === parts.length ? parts : parts.slice(start, end);
}

/** Python's `s.split(" ")`: split on every single space; `""` gives `[""]` (rouge.py relies on this). */
export function pythonSplitOnSpace(text: string): string[] {
  return text.split(' ');
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

/**
 * Tolerance checks of tests against reference values: `|actual − expected| ≤ atol + rtol·|expected|`
 * element by element (numpy's `allclose`), reporting the worst element so that a failure says where and
 * how far off it is. Values of different lengths (or, for tensors, different shapes) are an error, never a
 * small difference.
 */
import { expect } from 'vitest';

/** Values with a shape, such as a tfjs tensor: the shapes are compared too. */
export interface ShapedValues {
  readonly shape: readonly number[];
  dataSync(): ArrayLike<number>;
}

/** What the checks compare: a flat array, or values with a shape (a tensor). */
export type ComparedValues = ArrayLike<number> | ShapedValues;

function isShaped(v: ComparedValues): v is ShapedValues {
  return typeof (v as Partial<ShapedValues>).dataSync === 'function';
}

function flat(v: ComparedValues): ArrayLike<number> {
  return isShaped(v) ? v.dataSync() : v;
}

/**
 * The flat values of both sides, after checking that they are comparable: equal lengths and, when both
 * have a shape, equal shapes.
 *
 * @throws {Error} naming both lengths or both shapes otherwise
 */
function comparableValues(
  actual: ComparedValues,
  expected: ComparedValues,
): { actual: ArrayLike<number>; expected: ArrayLike<number> } {
  if (isShaped(actual) && isShaped(expected)) {
    const [a, e] = [actual.shape, expected.shape];
    if (a.length !== e.length || a.some((d, i) => d !== e[i]))
      throw new Error(`shape [${a.join(', ')}] vs [${e.join(', ')}]`);
  }
  const [a, e] = [flat(actual), flat(expected)];
  if (a.length !== e.length) throw new Error(`length ${a.length} vs ${e.length}`);
  return { actual: a, expected: e };
}

/** The element of `actual` that exceeds its tolerance the most (or comes closest to it). */
export interface ToleranceReport {
  /** index of that element, −1 for empty arrays */
  index: number;
  actual: number;
  expected: number;
  /** `|actual − expected| − (atol + rtol·|expected|)`: ≤ 0 within tolerance; +∞ for a non-finite `actual` */
  excess: number;
}

/**
 * The worst element of `|actual − expected| ≤ atol + rtol·|expected|`. A NaN or infinite actual value
 * counts as +∞ (never within tolerance); a NaN expected value gives a NaN excess (never within either).
 *
 * @throws {Error} when the lengths (or both sides' shapes) differ
 */
export function toleranceReport(
  actualValues: ComparedValues,
  expectedValues: ComparedValues,
  atol: number,
  rtol = 0,
): ToleranceReport {
  const { actual, expected } = comparableValues(actualValues, expectedValues);
  let worst: ToleranceReport = { index: -1, actual: Number.NaN, expected: Number.NaN, excess: -Infinity };
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    const excess = Number.isFinite(a) ? Math.abs(a - e) - (atol + rtol * Math.abs(e)) : Infinity;
    if (!(excess <= worst.excess)) worst = { index: i, actual: a, expected: e, excess };
    if (Number.isNaN(excess)) break;
  }
  return worst;
}

/**
 * The largest violation of `|actual − expected| ≤ atol + rtol·|expected|` (≤ 0: everything within
 * tolerance; see {@link toleranceReport}), so that a failed `toBeLessThanOrEqual(0)` says how far off it is.
 *
 * @throws {Error} when the lengths (or both sides' shapes) differ
 */
export function toleranceExcess(actual: ComparedValues, expected: ComparedValues, atol: number, rtol = 0): number {
  return toleranceReport(actual, expected, atol, rtol).excess;
}

/**
 * Max `|a − b|` over two equally long arrays (+∞ where `a` is not finite; 0 for two empty arrays).
 *
 * @throws {Error} when the lengths (or both sides' shapes) differ
 */
export function maxAbsDiff(a: ComparedValues, b: ComparedValues): number {
  const report = toleranceReport(a, b, 0, 0);
  return report.index < 0 ? 0 : report.excess;
}

/** Tolerances of {@link expectAllClose}. */
export interface AllCloseOptions {
  /** absolute tolerance */
  atol: number;
  /** relative tolerance (times |expected|; default 0) */
  rtol?: number;
  /** what is compared, for the failure message */
  label?: string;
}

/**
 * Asserts (vitest `expect`) that every element is within `atol + rtol·|expected|`; a failure names the
 * worst element, both values and the excess.
 *
 * @example
 * ```ts
 * expectAllClose(grad.dataSync(), fixture.data('grad.weight'), { atol: 5e-5, rtol: 1e-4, label: 'grad.weight' });
 * ```
 */
export function expectAllClose(
  actualValues: ComparedValues,
  expectedValues: ComparedValues,
  options: AllCloseOptions,
): void {
  const { atol, rtol = 0, label = 'values' } = options;
  if (isShaped(actualValues) && isShaped(expectedValues))
    expect([...actualValues.shape], `${label}: shape`).toEqual([...expectedValues.shape]);
  const [actual, expected] = [flat(actualValues), flat(expectedValues)];
  expect(actual.length, `${label}: length`).toBe(expected.length);
  const worst = toleranceReport(actual, expected, atol, rtol);
  expect(
    worst.excess,
    `${label}: element ${worst.index} is ${worst.actual}, expected ${worst.expected} (atol ${atol}, rtol ${rtol}; excess ${worst.excess})`,
  ).toBeLessThanOrEqual(0);
}

/**
 * Asserts (vitest `expect`) that two float arrays hold the same bits (so `-0` ≠ `0`, and NaNs compare by
 * payload); a failure names the first differing element and how many differ.
 */
export function expectSameBits(actual: Float32Array, expected: Float32Array, label = 'values'): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const b = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  let first = -1;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      if (first < 0) first = i;
      count++;
    }
  }
  expect(
    count,
    `${label}: ${count} of ${a.length} elements differ, first at ${first}: ${actual[first]} vs ${expected[first]}`,
  ).toBe(0);
}

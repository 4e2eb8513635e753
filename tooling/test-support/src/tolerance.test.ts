import { describe, expect, it } from 'vitest';
import { expectAllClose, maxAbsDiff, toleranceExcess, toleranceReport } from './tolerance';

/** A tensor-like value: a shape and its flat data. */
const shaped = (shape: number[], data: number[]) => ({ shape, dataSync: () => Float32Array.from(data) });

describe('tolerance checks', () => {
  it('maxAbsDiff is the largest |a − b|, +∞ for a non-finite actual value, 0 for two empty arrays', () => {
    expect(maxAbsDiff([1, 2, 3], [1, 2.5, 2])).toBe(1);
    expect(maxAbsDiff([1, Number.NaN], [1, 2])).toBe(Infinity);
    expect(maxAbsDiff([], [])).toBe(0);
  });

  it('maxAbsDiff and its siblings fail on a length mismatch, an empty actual array included', () => {
    expect(() => maxAbsDiff([], [1, 2])).toThrow(/length 0 vs 2/);
    expect(() => maxAbsDiff([1, 2], [1])).toThrow(/length 2 vs 1/);
    expect(() => toleranceExcess([1], [1, 1], 1)).toThrow(/length 1 vs 2/);
    expect(() => toleranceReport(new Float32Array(3), new Float32Array(4), 1)).toThrow(/length 3 vs 4/);
    expect(() => expectAllClose([], [0], { atol: 1, label: 'x' })).toThrow(/x: length/);
  });

  it('compare the shapes of tensor-like values: same data, other shape is a failure', () => {
    expect(maxAbsDiff(shaped([2, 3], [1, 2, 3, 4, 5, 6]), shaped([2, 3], [1, 2, 3, 4, 5, 7]))).toBe(1);
    expect(() => maxAbsDiff(shaped([2, 3], [1, 2, 3, 4, 5, 6]), shaped([3, 2], [1, 2, 3, 4, 5, 6]))).toThrow(
      /shape \[2, 3\] vs \[3, 2\]/,
    );
    expect(() =>
      expectAllClose(shaped([6], [1, 2, 3, 4, 5, 6]), shaped([1, 6], [1, 2, 3, 4, 5, 6]), { atol: 0 }),
    ).toThrow(/shape/);
    expect(maxAbsDiff(shaped([2, 2], [1, 2, 3, 4]), [1, 2, 3, 4])).toBe(0);
  });

  it('expectAllClose names the worst element and passes within tolerance', () => {
    expectAllClose([1, 2], [1.05, 2], { atol: 0.1 });
    expect(() => expectAllClose([1, 2], [1, 2.5], { atol: 0.1, label: 'grad.w' })).toThrow(
      /grad\.w: element 1 is 2, expected 2\.5/,
    );
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { numpyMean, numpySum, pythonSplit } from './python-compat';

/** fixtures/numpy-sums.json: values and NumPy's own sums and means of their prefixes (scripts/make-numpy-sum-fixture.py). */
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/numpy-sums.json', import.meta.url), 'utf8')) as {
  values: number[];
  sums: Record<string, number>;
  means: Record<string, number>;
};

describe('NumPy summation', () => {
  it('numpySum gives the bits of numpy.add.reduce at every length around its block boundaries', () => {
    for (const [length, expected] of Object.entries(fixture.sums)) {
      expect(numpySum(fixture.values.slice(0, Number(length))), `length ${length}`).toBe(expected);
    }
  });

  it('numpyMean gives the bits of numpy.mean, also over a typed array and a sub-range', () => {
    for (const [length, expected] of Object.entries(fixture.means)) {
      expect(numpyMean(Float64Array.from(fixture.values.slice(0, Number(length)))), `length ${length}`).toBe(expected);
    }
    expect(numpySum(fixture.values, 0, 257)).toBe(fixture.sums['257']);
  });
});

describe('pythonSplit', () => {
  it("splits on runs of Python's whitespace (str.isspace), not only JavaScript's \\s", () => {
    // U+001C..U+001F are whitespace for Python's str.split() but not for JavaScript's \s; U+200B is neither.
    // Expected: what python3's str.split() returns for the same string.
    expect(pythonSplit('\u001ca\u001fb  c\u3000d\u200be ')).toEqual(['a', 'b', 'c', 'd\u200be']);
    expect(pythonSplit(' \t\n')).toEqual([]);
  });
});

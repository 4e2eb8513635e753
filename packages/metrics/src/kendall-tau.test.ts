import { describe, expect, it } from 'vitest';
import { kendallTau } from './kendall-tau';

/** τ by the definition, pair by pair (O(n²)): the check of the O(n log n) version. */
function bruteForce(x: number[], y: number[]): { tauB: number; tauC: number } {
  let s = 0;
  let tx = 0;
  let ty = 0;
  const n = x.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign((x[i] as number) - (x[j] as number));
      const dy = Math.sign((y[i] as number) - (y[j] as number));
      s += dx * dy;
      if (dx === 0) tx++;
      if (dy === 0) ty++;
    }
  }
  const n0 = (n * (n - 1)) / 2;
  const m = Math.min(new Set(x).size, new Set(y).size);
  return { tauB: s / Math.sqrt((n0 - tx) * (n0 - ty)), tauC: (2 * s) / ((n * n * (m - 1)) / m) };
}

describe('kendallTau', () => {
  it('is 1 for the same order, −1 for the reverse, NaN for a constant list', () => {
    expect(kendallTau([1, 2, 3], [10, 20, 30]).tauB).toBeCloseTo(1, 15);
    expect(kendallTau([1, 2, 3], [3, 2, 1]).tauB).toBeCloseTo(-1, 15);
    expect(kendallTau([1, 1, 1], [3, 2, 1]).tauB).toBeNaN();
  });

  it('equals the pairwise definition (τ_b, τ_c) on random data with many ties', () => {
    let seed = 7;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let trial = 0; trial < 20; trial++) {
      const n = 2 + Math.floor(next() * 300);
      const x = Array.from({ length: n }, () => Math.floor(next() * 5) / 4); // like mean expert scores
      const y = Array.from({ length: n }, () => (next() < 0.2 ? 0 : Math.round(next() * 1000) / 1000));
      const fast = kendallTau(x, y);
      const slow = bruteForce(x, y);
      expect(fast.tauB).toBeCloseTo(slow.tauB, 12);
      expect(fast.tauC).toBeCloseTo(slow.tauC, 12);
    }
  });

  it('refuses lists of different lengths or with NaN', () => {
    expect(() => kendallTau([1, 2], [1])).toThrow(/2 and 1 values/);
    expect(() => kendallTau([1, Number.NaN], [1, 2])).toThrow(/value 1 is NaN/);
  });
});

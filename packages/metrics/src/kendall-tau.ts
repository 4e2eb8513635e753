/**
 * Kendall's rank correlation τ between a metric's scores and human judgements, as `scipy.stats.kendalltau`
 * computes it (variants b and c, ties handled as there), in O(n log n): how far a metric orders captions as
 * people do, the statistic caption-metric papers report (e.g. SPICE, Anderson et al. 2016, Table 4).
 */
import { MetricsInputError } from './errors';

/** τ_b and τ_c of two paired lists. */
export interface KendallTau {
  /** τ_b: (C − D) / √((n0 − n1)(n0 − n2)), ties in either list taken out of the denominator. */
  tauB: number;
  /** τ_c (Stuart's): 2(C − D) / (n² (m − 1) / m), m the smaller number of distinct values. */
  tauC: number;
  /** Number of pairs. */
  n: number;
}

/** Dense ranks (1, 2, ...) of `values` in ascending order, equal values sharing a rank. */
function denseRanks(values: ArrayLike<number>): Int32Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort(
    (a, b) => (values[a] as number) - (values[b] as number) || a - b,
  );
  const ranks = new Int32Array(values.length);
  let rank = 0;
  order.forEach((index, k) => {
    if (k === 0 || (values[index] as number) !== (values[order[k - 1] as number] as number)) rank += 1;
    ranks[index] = rank;
  });
  return ranks;
}

/** Σ t(t − 1)/2 over groups of equal values in a sorted list. */
function tiedPairs(sorted: Int32Array): number {
  let total = 0;
  let run = 1;
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && sorted[i] === sorted[i - 1]) run += 1;
    else {
      total += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  return total;
}

/** Number of pairs i < j with a[i] > a[j], by merge sort (sorts `a`). */
function inversions(a: Int32Array): number {
  const scratch = new Int32Array(a.length);
  let count = 0;
  for (let width = 1; width < a.length; width *= 2) {
    for (let lo = 0; lo < a.length - width; lo += 2 * width) {
      const mid = lo + width;
      const hi = Math.min(lo + 2 * width, a.length);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if ((a[j] as number) < (a[i] as number)) {
          count += mid - i;
          scratch[k++] = a[j++] as number;
        } else scratch[k++] = a[i++] as number;
      }
      while (i < mid) scratch[k++] = a[i++] as number;
      while (j < hi) scratch[k++] = a[j++] as number;
      a.set(scratch.subarray(lo, hi), lo);
    }
  }
  return count;
}

/**
 * Kendall's τ_b and τ_c of two equally long lists of finite numbers (scipy.stats.kendalltau's values; NaN
 * when either list is constant).
 *
 * @example
 * ```ts
 * kendallTau([1, 2, 3, 4], [1, 3, 2, 4]); // { tauB: 0.666…, tauC: 0.666…, n: 4 }
 * ```
 */
export function kendallTau(x: ArrayLike<number>, y: ArrayLike<number>): KendallTau {
  const n = x.length;
  if (y.length !== n) throw new MetricsInputError(`kendallTau: ${n} and ${y.length} values`, { field: 'y' });
  for (const [name, list] of [['x', x] as const, ['y', y] as const]) {
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(list[i])) {
        throw new MetricsInputError(`kendallTau: value ${i} is ${String(list[i])}`, { field: name });
      }
    }
  }
  const rx = denseRanks(x);
  const ry = denseRanks(y);
  // Pairs sorted by x, then y: the discordant pairs are the inversions of y.
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (rx[a] as number) - (rx[b] as number) || (ry[a] as number) - (ry[b] as number),
  );
  const xs = Int32Array.from(order, (i) => rx[i] as number);
  const ys = Int32Array.from(order, (i) => ry[i] as number);
  let jointTies = 0;
  let run = 1;
  for (let i = 1; i <= n; i++) {
    if (i < n && xs[i] === xs[i - 1] && ys[i] === ys[i - 1]) run += 1;
    else {
      jointTies += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  const xTies = tiedPairs(xs);
  const yTies = tiedPairs(Int32Array.from(ys).sort());
  const discordant = inversions(ys);
  const total = (n * (n - 1)) / 2;
  if (xTies === total || yTies === total) return { tauB: Number.NaN, tauC: Number.NaN, n };
  const concordantMinusDiscordant = total - xTies - yTies + jointTies - 2 * discordant;
  const tauB = concordantMinusDiscordant / Math.sqrt(total - xTies) / Math.sqrt(total - yTies);
  const classes = Math.min(xs[n - 1] as number, Math.max(...ys));
  const tauC = (2 * concordantMinusDiscordant) / ((n * n * (classes - 1)) / classes);
  return { tauB, tauC, n };
}

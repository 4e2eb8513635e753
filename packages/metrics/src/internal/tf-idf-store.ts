/**
 * CIDEr-D tf-idf vectors of many sentences in flat typed arrays (no allocation per sentence).
 *
 * Vector `v` holds the distinct n-grams of its sentence in first-occurrence order, order 1 first (the
 * order in which coco-caption's dicts iterate, so sums run in the reference's order): ids and weights at
 * `[start(v), start(v + 1))`, the end of each order's segment in `orderEnds[v·n + k]`, the Euclidean norm of
 * each order's vector in `norms[v·n + k]`, and the bigram count in `bigrams[v]`.
 *
 * @internal
 */
import type { SentenceStore } from './sentence-store';
import { numpySum } from './python-compat';
import { grown } from './typed-arrays';

/** A growable list of tf-idf vectors over n-gram orders 1..n. */
export class TfIdfStore {
  ids: Int32Array;
  weights: Float64Array;
  starts: Int32Array;
  orderEnds: Int32Array;
  norms: Float64Array;
  bigrams: Int32Array;
  count = 0;

  /**
   * @param n the number of n-gram orders
   * @param expectedVectors vectors to make room for
   * @param expectedEntries distinct n-grams (summed over vectors) to make room for
   */
  constructor(
    readonly n: number,
    expectedVectors = 64,
    expectedEntries = 2048,
  ) {
    const vectors = Math.max(16, expectedVectors);
    this.ids = new Int32Array(Math.max(16, expectedEntries));
    this.weights = new Float64Array(Math.max(16, expectedEntries));
    this.starts = new Int32Array(vectors + 1);
    this.orderEnds = new Int32Array(vectors * n);
    this.norms = new Float64Array(vectors * n);
    this.bigrams = new Int32Array(vectors);
  }

  /** Forgets every vector (keeps the memory). */
  clear(): void {
    this.count = 0;
  }

  /**
   * Appends the vector of sentence `s` of `sentences`: tf · idf[id]. `idf` and `slotOf` (a zeroed scratch
   * array, left zeroed) must be longer than the largest id. Returns the vector's index.
   */
  add(sentences: SentenceStore, s: number, idf: Float64Array, slotOf: Int32Array): number {
    const n = this.n;
    const v = this.count;
    if (v + 2 > this.starts.length) this.starts = grown(this.starts, v + 2);
    if ((v + 1) * n > this.orderEnds.length) {
      this.orderEnds = grown(this.orderEnds, (v + 1) * n);
      this.norms = grown(this.norms, (v + 1) * n);
    }
    if (v + 1 > this.bigrams.length) this.bigrams = grown(this.bigrams, v + 1);
    const length = sentences.lengths[s] as number;
    const first = sentences.starts[s] as number;
    const base = this.starts[v] as number;
    const maxEntries = (sentences.starts[s + 1] as number) - first;
    if (base + maxEntries > this.ids.length) {
      this.ids = grown(this.ids, base + maxEntries);
      this.weights = grown(this.weights, base + maxEntries);
    }
    const ngrams = sentences.ngrams;
    const { ids, weights, orderEnds, norms } = this;
    // Per order: term frequencies (distinct ids in first-occurrence order, counts accumulated in `weights`),
    // then the weights tf · idf and the order's norm, summed in that order.
    let end = base;
    let orderFirst = first;
    for (let k = 1; k <= n; k++) {
      const orderLast = orderFirst + Math.max(0, length - k + 1);
      const segmentStart = end;
      for (let i = orderFirst; i < orderLast; i++) {
        const id = ngrams[i] as number;
        const slot = slotOf[id] as number;
        if (slot === 0) {
          ids[end] = id;
          weights[end] = 1;
          end += 1;
          slotOf[id] = end - base;
        } else {
          weights[base + slot - 1] = (weights[base + slot - 1] as number) + 1;
        }
      }
      let squares = 0;
      for (let i = segmentStart; i < end; i++) {
        const id = ids[i] as number;
        slotOf[id] = 0;
        // No fallback value for ids past `idf` here: mixing a parameter into this product made V8 box every
        // weight as a heap number (110 MB of garbage for the val2014 case). `w * w` is what V8 computes for
        // `w ** 2` (Python's pow(w, 2) differs from it in the last bit for about 1 value in 1,000).
        const weight = (weights[i] as number) * (idf[id] as number);
        weights[i] = weight;
        squares += weight * weight;
      }
      orderEnds[v * n + k - 1] = end;
      norms[v * n + k - 1] = Math.sqrt(squares);
      orderFirst = orderLast;
    }
    this.bigrams[v] = n >= 2 ? Math.max(0, length - 1) : 0;
    this.starts[v + 1] = end;
    this.count = v + 1;
    return v;
  }
}

/** Scratch arrays of {@link ciderDSimilarity}, reused across calls. */
export class SimilarityScratch {
  /** The weights of the reference being compared, by n-gram id (zero between uses). */
  referenceWeight: Float64Array = new Float64Array(1024);
  /** Σ over references of each order's similarity. */
  readonly perOrder: Float64Array;

  constructor(n: number) {
    this.perOrder = new Float64Array(n);
  }

  /** Makes room for n-gram ids below `ids`. */
  ensure(ids: number): void {
    if (this.referenceWeight.length < ids) this.referenceWeight = grown(this.referenceWeight, ids);
  }
}

/**
 * CIDEr-D of candidate vector `v` of `candidates` against reference vectors `first .. first + count` of
 * `references` (ids of both from one numbering, below the size given to `scratch.ensure`), as
 * `CiderScorer.sim` and `compute_score` do it: per order, Σ min(g_c, g_r) · g_r over the candidate's n-grams in
 * its order, divided by both norms when neither is 0, times e^(−δ²/`penaltyDenominator`) with δ the difference
 * of bigram counts; summed over references; then 10 · mean over orders / number of references.
 */
export function ciderDSimilarity(
  candidates: TfIdfStore,
  v: number,
  references: TfIdfStore,
  first: number,
  count: number,
  penaltyDenominator: number,
  scratch: SimilarityScratch,
): number {
  const n = candidates.n;
  const referenceWeight = scratch.referenceWeight;
  const perOrder = scratch.perOrder.fill(0);
  const candidateStart = candidates.starts[v] as number;
  const candidateBigrams = candidates.bigrams[v] as number;
  for (let r = first; r < first + count; r++) {
    const refStart = references.starts[r] as number;
    const refEnd = references.starts[r + 1] as number;
    for (let i = refStart; i < refEnd; i++)
      referenceWeight[references.ids[i] as number] = references.weights[i] as number;
    const delta = candidateBigrams - (references.bigrams[r] as number);
    const penalty = Math.E ** (-(delta ** 2) / penaltyDenominator);
    let start = candidateStart;
    for (let k = 0; k < n; k++) {
      const end = candidates.orderEnds[v * n + k] as number;
      let value = 0;
      for (let i = start; i < end; i++) {
        const mine = candidates.weights[i] as number;
        const theirs = referenceWeight[candidates.ids[i] as number] as number;
        value += (theirs < mine ? theirs : mine) * theirs;
      }
      start = end;
      const candidateNorm = candidates.norms[v * n + k] as number;
      const referenceNorm = references.norms[r * n + k] as number;
      if (candidateNorm !== 0 && referenceNorm !== 0) value /= candidateNorm * referenceNorm;
      value *= penalty;
      perOrder[k] = (perOrder[k] as number) + value;
    }
    for (let i = refStart; i < refEnd; i++) referenceWeight[references.ids[i] as number] = 0;
  }
  let score = numpySum(perOrder) / n;
  score /= count;
  score *= 10;
  return score;
}

/**
 * BLEU-1..4 exactly as coco-caption computes it (`pycocoevalcap/bleu/bleu_scorer.py`, option `closest`):
 * n-gram counts clipped by the maximum count in any one reference, corpus score from counts summed over
 * images, the reference length closest to the candidate length (ties: the shorter), and the reference's
 * guards `tiny = 1e-15` (numerator) and `small = 1e-9` (denominator) in every ratio, per image and corpus.
 */
import { encodeCorpus, type EncodedCorpus } from './internal/encoded-corpus';
import { orderStart } from './internal/sentence-store';
import type { TokenizedCands, TokenizedRefs } from './types';
import { checkScoringInput } from './validate';

/** The sufficient statistics of BLEU, summed over images (coco-caption's `totalcomps`). */
export interface BleuStats {
  /** Total candidate length in tokens. */
  testlen: number;
  /** Total effective reference length (per image: the reference length closest to the candidate's). */
  reflen: number;
  /** Candidate n-gram counts, n = 1..4. */
  guess: number[];
  /** Candidate n-grams matched in the references (clipped counts), n = 1..4. */
  correct: number[];
}

/** BLEU-1..4 of a corpus and of each image. */
export interface BleuResult {
  /** Corpus BLEU-1..4 (`Bleu_1`..`Bleu_4` of COCOEvalCap). */
  score: number[];
  /** Per-image BLEU-1..4 (coco-caption's sentence-level values, brevity penalty included). */
  perImage: Record<string, number[]>;
  /** Corpus count statistics. */
  stats: BleuStats;
}

/** Options of {@link bleu}. */
export interface BleuOptions {
  /** Largest n-gram order (coco-caption: 4). */
  n?: number;
}

const TINY = 1e-15;
const SMALL = 1e-9;

/**
 * Computes BLEU-1..n exactly as coco-caption's `Bleu(4).compute_score(gts, res)`.
 *
 * @param refs tokenized references per image (space-separated tokens)
 * @param cands the one tokenized candidate per image; ids must equal those of `refs`
 * @throws MetricsInputError when ids differ, a caption is not a string or an image has no reference
 *
 * @example
 * ```ts
 * const { score } = bleu({ '1': ['a dog runs on the grass'] }, { '1': 'a dog runs' });
 * ```
 */
export function bleu(refs: TokenizedRefs, cands: TokenizedCands, options: BleuOptions = {}): BleuResult {
  const ids = checkScoringInput(refs, cands, 'BLEU');
  return bleuOfEncoded(encodeCorpus(refs, cands, ids, options.n ?? 4), options.n ?? 4);
}

/** @internal {@link bleu} on captions already encoded (orders up to at least `n`). */
export function bleuOfEncoded(corpus: EncodedCorpus, n = 4): BleuResult {
  const { ids } = corpus;
  const size = corpus.vocab.endId;
  const refMax = new Int32Array(size);
  const counts = new Int32Array(size);
  const touched: number[] = [];
  const refTouched: number[] = [];
  const totals: BleuStats = { testlen: 0, reflen: 0, guess: new Array<number>(n).fill(0), correct: new Array<number>(n).fill(0) };
  const perImage: Record<string, number[]> = {};
  const correct = new Array<number>(n);
  const guess = new Array<number>(n);
  const maxOrder = corpus.maxOrder;

  const { sentences, refStarts, candidates } = corpus;
  const { ngrams, starts, lengths } = sentences;
  ids.forEach((id, index) => {
    const firstRef = refStarts[index] as number;
    const endRef = refStarts[index + 1] as number;
    // Maximum count of each n-gram (orders 1..n) in any single reference.
    for (let r = firstRef; r < endRef; r++) {
      const start = starts[r] as number;
      const end = n === maxOrder ? (starts[r + 1] as number) : start + orderStart(lengths[r] as number, n + 1);
      for (let i = start; i < end; i++) {
        const g = ngrams[i] as number;
        if (counts[g] === 0) touched.push(g);
        counts[g] = (counts[g] as number) + 1;
      }
      for (const g of touched) {
        const c = counts[g] as number;
        if (refMax[g] === 0) refTouched.push(g);
        if (c > (refMax[g] as number)) refMax[g] = c;
        counts[g] = 0;
      }
      touched.length = 0;
    }
    // Clipped matches of the candidate, per order.
    const cand = candidates[index] as number;
    const testlen = lengths[cand] as number;
    let start = starts[cand] as number;
    for (let k = 1; k <= n; k++) {
      const orderCount = Math.max(0, testlen - k + 1);
      guess[k - 1] = orderCount;
      let matched = 0;
      for (let i = start; i < start + orderCount; i++) {
        const g = ngrams[i] as number;
        if (counts[g] === 0) touched.push(g);
        counts[g] = (counts[g] as number) + 1;
      }
      for (const g of touched) {
        matched += Math.min(refMax[g] as number, counts[g] as number);
        counts[g] = 0;
      }
      touched.length = 0;
      correct[k - 1] = matched;
      start += orderCount;
    }
    for (const g of refTouched) refMax[g] = 0;
    refTouched.length = 0;

    // 'closest' effective reference length: min over (|l - testlen|, l).
    let reflen = Number.POSITIVE_INFINITY;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (let r = firstRef; r < endRef; r++) {
      const length = lengths[r] as number;
      const distance = Math.abs(length - testlen);
      if (distance < bestDistance || (distance === bestDistance && length < reflen)) {
        bestDistance = distance;
        reflen = length;
      }
    }

    totals.testlen += testlen;
    totals.reflen += reflen;
    for (let k = 0; k < n; k++) {
      (totals.guess[k] as number) += guess[k] as number;
      (totals.correct[k] as number) += correct[k] as number;
    }
    perImage[id] = bleuFromCounts(testlen, reflen, guess, correct);
  });

  return {
    score: bleuFromCounts(totals.testlen, totals.reflen, totals.guess, totals.correct),
    perImage,
    stats: totals,
  };
}

/**
 * BLEU-1..n from counts, as `BleuScorer.compute_score` does for one image and for the corpus: cumulative
 * products of (correct + 1e-15) / (guess + 1e-9), the k-th root, then the brevity penalty
 * exp(1 - 1/ratio) when ratio = (testlen + 1e-15) / (reflen + 1e-9) is below 1.
 */
export function bleuFromCounts(
  testlen: number,
  reflen: number,
  guess: readonly number[],
  correct: readonly number[],
): number[] {
  const scores: number[] = [];
  let product = 1;
  for (let k = 0; k < guess.length; k++) {
    product *= ((correct[k] as number) + TINY) / ((guess[k] as number) + SMALL);
    scores.push(product ** (1 / (k + 1)));
  }
  const ratio = (testlen + TINY) / (reflen + SMALL);
  if (ratio < 1) {
    const penalty = Math.exp(1 - 1 / ratio);
    for (let k = 0; k < scores.length; k++) scores[k] = (scores[k] as number) * penalty;
  }
  return scores;
}

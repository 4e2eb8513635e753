/**
 * BLEU-1..4 exactly as coco-caption computes it (`pycocoevalcap/bleu/bleu_scorer.py`, option `closest`):
 * n-gram counts clipped by the maximum count in any one reference, corpus score from counts summed over
 * images, the reference length closest to the candidate length (ties: the shorter), and the reference's
 * guards `tiny = 1e-15` (numerator) and `small = 1e-9` (denominator) in every ratio, per image and corpus.
 */
import { encodeCorpus, type EncodedCorpus } from './internal/encoded-corpus';
import { recordInKeyOrder } from './internal/records';
import { orderStart, type SentenceStore } from './internal/sentence-store';
import type { TokenizedCands, TokenizedRefs } from './types';
import { checkScoringInput, positiveIntegerOption } from './validate';

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
 * @throws MetricsInputError when ids differ, a caption is not a string, an image has no reference or `n` is not
 *   a positive integer
 *
 * @example
 * ```ts
 * const { score } = bleu({ '1': ['a dog runs on the grass'] }, { '1': 'a dog runs' });
 * ```
 */
export function bleu(refs: TokenizedRefs, cands: TokenizedCands, options: BleuOptions = {}): BleuResult {
  const n = positiveIntegerOption(options.n, 4, 'n', 'BLEU');
  const ids = checkScoringInput(refs, cands, 'BLEU');
  return bleuOfEncoded(encodeCorpus(refs, cands, ids, n), n);
}

/** @internal {@link bleu} on captions already encoded (orders up to at least `n`). */
export function bleuOfEncoded(corpus: EncodedCorpus, n = 4): BleuResult {
  const { score, stats, byOrder } = bleuScoresOfEncoded(corpus, n);
  const imageScores = corpus.ids.map((_, j) => byOrder.map((scores) => scores[j] as number));
  return { score, perImage: recordInKeyOrder(corpus.ids, imageScores), stats };
}

/**
 * @internal {@link bleuOfEncoded} with the per-image scores as one list per order (`byOrder[k − 1][j]`: BLEU-k
 * of image `corpus.ids[j]`).
 */
export function bleuScoresOfEncoded(
  corpus: EncodedCorpus,
  n = 4,
): { score: number[]; stats: BleuStats; byOrder: Float64Array[] } {
  if (corpus.maxOrder < n)
    throw new Error(`BLEU-${n} needs n-grams up to order ${n}, the corpus has ${corpus.maxOrder}`);
  const counter = new BleuCounter(n, corpus.maxImageNgrams);
  const { imageStarts, sentences, ngramStarts } = corpus;
  const images = corpus.ids.length;
  const byOrder = Array.from({ length: n }, () => new Float64Array(images));
  const scores = new Float64Array(n);
  for (let j = 0; j < images; j++) {
    const localIds = (ngramStarts[j + 1] as number) - (ngramStarts[j] as number);
    counter.add(
      sentences,
      imageStarts[j] as number,
      (imageStarts[j + 1] as number) - 1,
      corpus.maxOrder,
      localIds,
      scores,
    );
    for (let k = 0; k < n; k++) (byOrder[k] as Float64Array)[j] = scores[k] as number;
  }
  const { testlen, reflen, guess, correct } = counter.totals;
  return { score: bleuFromCounts(testlen, reflen, guess, correct), stats: counter.totals, byOrder };
}

/**
 * Accumulates BLEU's statistics image by image (coco-caption's `cook_refs`, `cook_test`, `compute_score`), on
 * n-gram ids local to each image (see `EncodedCorpus`), so its count arrays stay small.
 */
class BleuCounter {
  /** Per local id: the largest count in one reference. */
  private readonly refMax: Int32Array;
  /** Per local id: the count in the caption being read (zero between captions). */
  private readonly counts: Int32Array;
  /** Sums over the images added so far. */
  readonly totals: BleuStats;
  private readonly guess: number[];
  private readonly correct: number[];

  /** @param maxIds the largest number of local n-gram ids of one image */
  constructor(
    private readonly n: number,
    maxIds: number,
  ) {
    this.totals = { testlen: 0, reflen: 0, guess: new Array<number>(n).fill(0), correct: new Array<number>(n).fill(0) };
    this.guess = new Array<number>(n).fill(0);
    this.correct = new Array<number>(n).fill(0);
    this.refMax = new Int32Array(Math.max(16, maxIds));
    this.counts = new Int32Array(Math.max(16, maxIds));
  }

  /**
   * Adds an image: references are sentences `firstRef .. cand` of `sentences`, the candidate is sentence
   * `cand`; sentences hold orders 1..`maxOrder` (≥ n) of the image's `localIds` local ids. Writes the image's
   * BLEU-1..n into `scores`.
   */
  add(
    sentences: SentenceStore,
    firstRef: number,
    cand: number,
    maxOrder: number,
    localIds: number,
    scores: Float64Array,
  ): void {
    const n = this.n;
    const { refMax, counts, guess, correct, totals } = this;
    const { ngrams, starts, lengths } = sentences;
    // Maximum count of each n-gram in any single reference: count a reference, then fold its counts into
    // refMax while zeroing them (a second pass over the same ids instead of a list of the ids touched).
    refMax.fill(0, 0, localIds);
    for (let r = firstRef; r < cand; r++) {
      const start = starts[r] as number;
      // Orders 1..n of a sentence are the first entries of its precook layout.
      const end = n === maxOrder ? (starts[r + 1] as number) : start + orderStart(lengths[r] as number, n + 1);
      for (let i = start; i < end; i++) {
        const g = ngrams[i] as number;
        counts[g] = (counts[g] as number) + 1;
      }
      for (let i = start; i < end; i++) {
        const g = ngrams[i] as number;
        const c = counts[g] as number;
        if (c > (refMax[g] as number)) refMax[g] = c;
        counts[g] = 0;
      }
    }
    // Clipped matches of the candidate, per order (each distinct n-gram adds min(count, refMax) once: when
    // met with a non-zero count, which is then zeroed).
    const testlen = lengths[cand] as number;
    let start = starts[cand] as number;
    for (let k = 1; k <= n; k++) {
      const orderCount = Math.max(0, testlen - k + 1);
      guess[k - 1] = orderCount;
      let matched = 0;
      for (let i = start; i < start + orderCount; i++) {
        const g = ngrams[i] as number;
        counts[g] = (counts[g] as number) + 1;
      }
      for (let i = start; i < start + orderCount; i++) {
        const g = ngrams[i] as number;
        const c = counts[g] as number;
        if (c !== 0) {
          const max = refMax[g] as number;
          matched += c < max ? c : max;
          counts[g] = 0;
        }
      }
      correct[k - 1] = matched;
      start += orderCount;
    }

    // 'closest' effective reference length: min over (|l - testlen|, l).
    let reflen = Number.POSITIVE_INFINITY;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (let r = firstRef; r < cand; r++) {
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
    bleuFromCountsInto(testlen, reflen, guess, correct, scores);
  }
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
  const scores = new Array<number>(guess.length);
  bleuFromCountsInto(testlen, reflen, guess, correct, scores);
  return scores;
}

/** {@link bleuFromCounts} written into `scores[0 .. guess.length)` (no array per image in the corpus loop). */
function bleuFromCountsInto(
  testlen: number,
  reflen: number,
  guess: readonly number[],
  correct: readonly number[],
  scores: Float64Array | number[],
): void {
  let product = 1;
  for (let k = 0; k < guess.length; k++) {
    product *= ((correct[k] as number) + TINY) / ((guess[k] as number) + SMALL);
    scores[k] = product ** (1 / (k + 1));
  }
  const ratio = (testlen + TINY) / (reflen + SMALL);
  if (ratio < 1) {
    const penalty = Math.exp(1 - 1 / ratio);
    for (let k = 0; k < guess.length; k++) scores[k] = (scores[k] as number) * penalty;
  }
}

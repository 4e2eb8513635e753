/**
 * BLEU-1..4 exactly as coco-caption computes it (`pycocoevalcap/bleu/bleu_scorer.py`, option `closest`):
 * n-gram counts clipped by the maximum count in any one reference, corpus score from counts summed over
 * images, the reference length closest to the candidate length (ties: the shorter), and the reference's
 * guards `tiny = 1e-15` (numerator) and `small = 1e-9` (denominator) in every ratio, per image and corpus.
 */
import type { EncodedCorpus } from './internal/encoded-corpus';
import { NgramVocabulary } from './internal/ngram-vocabulary';
import { SentenceStore, orderStart } from './internal/sentence-store';
import { grown } from './internal/typed-arrays';
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
  const n = options.n ?? 4;
  const ids = checkScoringInput(refs, cands, 'BLEU');
  // BLEU compares n-grams within one image only: ids local to each image keep the n-gram table small.
  const vocab = new NgramVocabulary(n, 300);
  const store = new SentenceStore(16, 1024);
  const counter = new BleuCounter(n);
  for (const id of ids) {
    vocab.clearNgrams();
    store.clear();
    const refList = refs[id] as readonly string[];
    for (const ref of refList) vocab.encode(ref, store);
    const cand = vocab.encode(cands[id] as string, store);
    counter.add(id, store, 0, refList.length, cand, vocab.endId, n);
  }
  return counter.result();
}

/** @internal {@link bleu} on captions already encoded (orders up to at least `n`). */
export function bleuOfEncoded(corpus: EncodedCorpus, n = 4): BleuResult {
  const counter = new BleuCounter(n);
  const { sentences, refStarts, candidates } = corpus;
  corpus.ids.forEach((id, j) => {
    counter.add(id, sentences, refStarts[j] as number, refStarts[j + 1] as number, candidates[j] as number, corpus.vocab.endId, corpus.maxOrder);
  });
  return counter.result();
}

/** Accumulates BLEU's statistics image by image (coco-caption's `cook_refs`, `cook_test`, `compute_score`). */
class BleuCounter {
  private refMax: Int32Array = new Int32Array(1024);
  private counts: Int32Array = new Int32Array(1024);
  private readonly touched: number[] = [];
  private readonly refTouched: number[] = [];
  private readonly totals: BleuStats;
  private readonly perImage: Record<string, number[]> = {};
  private readonly guess: number[];
  private readonly correct: number[];

  constructor(private readonly n: number) {
    this.totals = { testlen: 0, reflen: 0, guess: new Array<number>(n).fill(0), correct: new Array<number>(n).fill(0) };
    this.guess = new Array<number>(n).fill(0);
    this.correct = new Array<number>(n).fill(0);
  }

  /**
   * Adds image `id`: references are sentences `firstRef .. endRef` of `sentences`, the candidate sentence
   * `cand`; n-gram ids are below `idLimit`; sentences hold orders 1..`maxOrder` (≥ n).
   */
  add(id: string, sentences: SentenceStore, firstRef: number, endRef: number, cand: number, idLimit: number, maxOrder: number): void {
    const n = this.n;
    if (this.refMax.length < idLimit) {
      this.refMax = grown(this.refMax, idLimit);
      this.counts = grown(this.counts, idLimit);
    }
    const { refMax, counts, touched, refTouched, guess, correct, totals } = this;
    const { ngrams, starts, lengths } = sentences;
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
    this.perImage[id] = bleuFromCounts(testlen, reflen, guess, correct);
  }

  result(): BleuResult {
    const { testlen, reflen, guess, correct } = this.totals;
    return { score: bleuFromCounts(testlen, reflen, guess, correct), perImage: this.perImage, stats: this.totals };
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

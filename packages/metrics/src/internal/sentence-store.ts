/**
 * Sentences as n-gram ids, many per flat typed array: one allocation per growth instead of one per
 * sentence (small typed arrays each cost a backing store the garbage collector must track).
 *
 * Sentence `s` has `length(s)` tokens and its n-gram ids at `ngrams[start(s) .. start(s + 1))`, laid out as
 * coco-caption's `precook` enumerates them: order 1 left to right, then order 2, ...
 *
 * @internal
 */
import { grown } from './typed-arrays';

/** Start of order `k` (1-based) among a sentence's n-grams, for a sentence of `length` tokens. */
export function orderStart(length: number, k: number): number {
  let start = 0;
  for (let j = 1; j < k; j++) start += Math.max(0, length - j + 1);
  return start;
}

/** Number of n-grams of orders 1..maxOrder in a sentence of `length` tokens. */
export function ngramCount(length: number, maxOrder: number): number {
  let total = 0;
  for (let k = 1; k <= maxOrder; k++) total += Math.max(0, length - k + 1);
  return total;
}

/** A growable list of encoded sentences. */
export class SentenceStore {
  /** N-gram ids of every sentence, back to back. */
  ngrams: Int32Array = new Int32Array(1024);
  /** `starts[s]`: offset of sentence s in {@link ngrams}; `starts[count]`: end of the last one. */
  starts: Int32Array = new Int32Array(257);
  /** Token count of each sentence. */
  lengths: Int32Array = new Int32Array(256);
  /** Number of sentences. */
  count = 0;

  /**
   * @param expectedSentences sentences to make room for
   * @param expectedNgrams n-gram ids to make room for
   */
  constructor(expectedSentences = 256, expectedNgrams = 1024) {
    this.ngrams = new Int32Array(Math.max(16, expectedNgrams));
    this.starts = new Int32Array(Math.max(16, expectedSentences) + 1);
    this.lengths = new Int32Array(Math.max(16, expectedSentences));
  }

  /** Adds a sentence of `length` tokens with room for `ngramTotal` ids; returns its index. */
  add(length: number, ngramTotal: number): number {
    const index = this.count;
    if (index + 2 > this.starts.length) this.starts = grown(this.starts, index + 2);
    if (index + 1 > this.lengths.length) this.lengths = grown(this.lengths, index + 1);
    const start = this.starts[index] as number;
    if (start + ngramTotal > this.ngrams.length) this.ngrams = grown(this.ngrams, start + ngramTotal);
    this.lengths[index] = length;
    this.starts[index + 1] = start + ngramTotal;
    this.count = index + 1;
    return index;
  }

  /** Forgets every sentence (keeps the memory). */
  clear(): void {
    this.count = 0;
  }
}

/**
 * Document frequencies as CIDEr counts them (`CiderScorer.compute_doc_freq`): for each n-gram of order 1..n,
 * the number of reference sets (images) holding it, each set counting once. `CiderDScorer.fromCorpus` counts
 * this way, and `@caption/data-coco` writes `prepro_ngrams.py`'s caches from {@link documentFrequencies}.
 * (Scoring an evaluation's own references, `cider`, counts the same thing on its per-image n-gram encoding,
 * see `internal/document-frequency.ts`.)
 */
import { NgramVocabulary } from './internal/ngram-vocabulary';
import { ROOT } from './internal/ngram-table';
import { SentenceStore } from './internal/sentence-store';
import { grown } from './internal/typed-arrays';
import { positiveIntegerOption } from './validate';

/** Counts, per n-gram id, the reference sets (images) holding it, each set counting once. */
export class DocumentFrequencyCounter {
  /** Reference sets counted. */
  sets = 0;
  private counts: Int32Array = new Int32Array(4096);
  private lastSet: Int32Array = new Int32Array(4096);

  /** Counts one reference set: sentences `first .. end` of `sentences`, whose n-gram ids are below `endId`. */
  add(sentences: SentenceStore, first: number, end: number, endId: number): void {
    if (this.counts.length < endId) {
      this.counts = grown(this.counts, endId);
      this.lastSet = grown(this.lastSet, endId);
    }
    this.sets += 1;
    const { counts, lastSet } = this;
    const stamp = this.sets;
    const ngrams = sentences.ngrams;
    const from = sentences.starts[first] as number;
    const to = sentences.starts[end] as number;
    for (let i = from; i < to; i++) {
      const id = ngrams[i] as number;
      if (lastSet[id] !== stamp) {
        lastSet[id] = stamp;
        counts[id] = (counts[id] as number) + 1;
      }
    }
  }

  /** The frequency of every id below `endId`. */
  result(endId: number): Int32Array {
    return this.counts.slice(0, endId);
  }
}

/** What {@link documentFrequencies} counts. */
export interface DocumentFrequencies {
  /** N-gram (tokens joined by one space) → number of reference sets holding it, in first-occurrence order. */
  documentFrequency: Map<string, number>;
  /** Number of reference sets (CIDEr's `ref_len`: idf = log(referenceSetCount) − log(df)). */
  referenceSetCount: number;
}

/**
 * Document frequencies of the n-grams (orders 1..`n`, default 4) of a corpus given as one list of reference
 * captions per image; a caption is split as Python's `str.split()` does. N-grams come in the order in which
 * coco-caption first meets them (caption by caption, all unigrams, then all bigrams, ...).
 *
 * @example
 * ```ts
 * const { documentFrequency, referenceSetCount } = documentFrequencies([['a dog', 'a cat'], ['a dog runs']]);
 * documentFrequency.get('a dog'); // 2
 * ```
 */
export function documentFrequencies(
  corpus: Iterable<readonly string[]>,
  options: { n?: number } = {},
): DocumentFrequencies {
  const n = positiveIntegerOption(options.n, 4, 'n', 'documentFrequencies');
  const vocab = new NgramVocabulary(n);
  const store = new SentenceStore(16, 1024);
  const counter = new DocumentFrequencyCounter();
  for (const refs of corpus) {
    store.clear();
    for (const ref of refs) vocab.encode(ref, store);
    counter.add(store, 0, store.count, vocab.endId);
  }
  const counts = counter.result(vocab.endId);
  const texts: string[] = new Array<string>(vocab.endId);
  const documentFrequency = new Map<string, number>();
  for (let id = 0; id < vocab.endId; id++) {
    const prefix = vocab.prefixOf(id);
    const token = vocab.tokenText(vocab.lastTokenOf(id));
    const text = prefix === ROOT ? token : `${texts[prefix] as string} ${token}`;
    texts[id] = text;
    documentFrequency.set(text, counts[id] as number);
  }
  return { documentFrequency, referenceSetCount: counter.sets };
}

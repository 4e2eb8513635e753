/**
 * Document frequencies as CIDEr counts them (`CiderScorer.compute_doc_freq`): for each n-gram of order 1..n,
 * the number of reference sets (images) holding it, each set counting once. The counting is the repository's
 * one counter (`DocumentFrequencyCounter`, internal/document-frequency.ts, which `cider()` uses on an
 * evaluation too); here a corpus of reference sets is encoded with one corpus-wide n-gram table and counted set
 * by set, for `CiderDScorer.fromCorpus` (which keeps the table to score with) and for
 * {@link documentFrequencies} (with which `@caption/data-coco` writes `prepro_ngrams.py`'s caches).
 */
import { DocumentFrequencyCounter } from './internal/document-frequency';
import { NgramVocabulary } from './internal/ngram-vocabulary';
import { ROOT } from './internal/ngram-table';
import { SentenceStore } from './internal/sentence-store';
import { positiveIntegerOption } from './validate';

/**
 * @internal Counts one reference set: sentences `first .. end` of `sentences`, whose n-gram ids are below
 * `endId` (the sentences of a set encoded with one corpus-wide {@link NgramVocabulary}).
 */
export function countReferenceSet(
  counter: DocumentFrequencyCounter,
  sentences: SentenceStore,
  first: number,
  end: number,
  endId: number,
): void {
  counter.beginSet(endId);
  counter.count(sentences.ngrams, sentences.starts[first] as number, sentences.starts[end] as number, 1);
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
    countReferenceSet(counter, store, 0, store.count, vocab.endId);
  }
  const counts = counter.frequencies;
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

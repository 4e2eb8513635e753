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
 * @internal Counts reference set number `set`: sentences `first .. end` of `sentences`, whose n-gram ids (of one
 * corpus-wide {@link NgramVocabulary}) are below `endId`, the vocabulary's end before this set was encoded being
 * `previousEndId` (ids from there on are new to the counter).
 */
export function countReferenceSet(
  counter: DocumentFrequencyCounter,
  set: number,
  sentences: SentenceStore,
  first: number,
  end: number,
  previousEndId: number,
  endId: number,
): void {
  counter.clear(previousEndId, endId);
  setNumber[0] = set;
  const from = sentences.starts[first] as number;
  counter.count(sentences.ngrams, from, 1, setNumber, 0, 0, (sentences.starts[end] as number) - from);
}

const setNumber = new Int32Array(1);

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
  let sets = 0;
  for (const refs of corpus) {
    const previousEndId = vocab.endId;
    store.clear();
    for (const ref of refs) vocab.encode(ref, store);
    countReferenceSet(counter, sets++, store, 0, store.count, previousEndId, vocab.endId);
  }
  const counts = counter.frequencies(vocab.endId);
  const texts: string[] = new Array<string>(vocab.endId);
  const documentFrequency = new Map<string, number>();
  for (let id = 0; id < vocab.endId; id++) {
    const prefix = vocab.prefixOf(id);
    const token = vocab.tokenText(vocab.lastTokenOf(id));
    const text = prefix === ROOT ? token : `${texts[prefix] as string} ${token}`;
    texts[id] = text;
    documentFrequency.set(text, counts[id] as number);
  }
  return { documentFrequency, referenceSetCount: sets };
}

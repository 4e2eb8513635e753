/**
 * The captions of an evaluation encoded once, for BLEU, ROUGE-L and CIDEr-D together: token ids per caption
 * ({@link TokenCorpus}), then per image its distinct n-grams with ids local to the image
 * ({@link EncodedCorpus}).
 *
 * Why local ids: BLEU compares n-grams within one image only, and CIDEr-D needs a corpus-wide view only for
 * document frequencies. Numbering each image's n-grams 0, 1, ... keeps every per-n-gram array of the scoring
 * loops a few hundred entries long (in L1 cache), and leaves one corpus-wide table look-up per distinct
 * n-gram of an image (`document-frequency.ts`) instead of one per n-gram occurrence. Local ids are also found
 * without hashing: an n-gram is (its prefix, its last token), and a prefix's extensions seen so far in the
 * image are a short linked list.
 *
 * @internal
 */
import { SentenceStore, ngramCount, orderStart } from './sentence-store';
import { TokenSequences } from './token-sequences';
import { TokenTable } from './token-table';
import { grown } from './typed-arrays';
import type { TokenizedCands, TokenizedRefs } from '../types';

/**
 * The captions as token ids. Image j's captions are captions `imageStarts[j] .. imageStarts[j + 1]` of
 * `captions`: its references in order, then its candidate (the last one).
 */
export interface TokenCorpus {
  /** Image ids, in scoring order. */
  readonly ids: readonly string[];
  /** The tokenized captions the corpus was encoded from (ROUGE-L re-splits irregular ones from here). */
  readonly refs: TokenizedRefs;
  readonly cands: TokenizedCands;
  readonly captions: TokenSequences;
  readonly imageStarts: Int32Array;
}

/**
 * A {@link TokenCorpus} with each image's distinct n-grams of orders 1..`maxOrder`.
 *
 * Image j has `ngramStarts[j + 1] − ngramStarts[j]` distinct n-grams, with local ids 0, 1, ...; local id l is
 * entry e = `ngramStarts[j] + l` of `entries`, two ints: `entries[2e]` the local id of its (k−1)-gram prefix
 * (−1 for unigrams), `entries[2e + 1]` its last token id. Local ids are grouped by order (all unigrams first,
 * then bigrams, ...) and, within an order, those found in a reference come before those found only in the
 * candidate: `orderBounds[(j · maxOrder + k − 1) · 2]` is the first local id of order k and `... + 1` the first
 * id of order k seen only in the candidate; order k ends where order k + 1 starts (the last one at the
 * image's count).
 *
 * Caption c's occurrences are `sentences.ngrams[sentences.starts[c] ..]` as local ids, in coco-caption's
 * `precook` order (all unigrams left to right, then all bigrams, ...); `sentences.lengths[c]` is its token count.
 */
export interface EncodedCorpus extends TokenCorpus {
  readonly maxOrder: number;
  readonly sentences: SentenceStore;
  readonly ngramStarts: Int32Array;
  /**
   * The entries (see above). `documentFrequencies` turns them into (corpus id, document frequency) pairs in
   * place, the first time it runs on the corpus; nothing reads the prefixes and tokens afterwards.
   */
  readonly entries: Int32Array;
  readonly orderBounds: Int32Array;
  /** The largest number of distinct n-grams of one image (sizes per-image scratch arrays). */
  readonly maxImageNgrams: number;
  /** Set by `documentFrequencies` once `entries` hold its results. */
  frequenciesResolved: boolean;
}

/** Token ids of the captions of `ids` (already validated: each has a non-empty reference list and a candidate). */
export function encodeTokens(refs: TokenizedRefs, cands: TokenizedCands, ids: readonly string[]): TokenCorpus {
  // Indexed loops here and below: this runs once per evaluation, often before V8 optimises it, and for-of
  // would then allocate an iterator result per caption.
  const lists = ids.map((id) => refs[id] as readonly string[]);
  let captionCount = ids.length;
  let characters = 0;
  for (let j = 0; j < ids.length; j++) {
    const list = lists[j] as readonly string[];
    captionCount += list.length;
    for (let r = 0; r < list.length; r++) characters += (list[r] as string).length;
    characters += (cands[ids[j] as string] as string).length;
  }
  // Measured: 0.2 tokens per character on COCO captions; the array grows if this is short.
  const captions = new TokenSequences(new TokenTable(), captionCount, Math.ceil(characters * 0.22));
  const imageStarts = new Int32Array(ids.length + 1);
  for (let j = 0; j < ids.length; j++) {
    imageStarts[j] = captions.count;
    const list = lists[j] as readonly string[];
    for (let r = 0; r < list.length; r++) captions.add(list[r] as string);
    captions.add(cands[ids[j] as string] as string);
  }
  imageStarts[ids.length] = captions.count;
  return { ids, refs, cands, captions, imageStarts };
}

/** Encodes the captions of `ids` (already validated) with each image's n-grams of orders 1..`maxOrder`. */
export function encodeCorpus(
  refs: TokenizedRefs,
  cands: TokenizedCands,
  ids: readonly string[],
  maxOrder: number,
): EncodedCorpus {
  return encodeNgrams(encodeTokens(refs, cands, ids), maxOrder);
}

/** Adds each image's local n-grams (orders 1..`maxOrder`) to a token corpus. */
function encodeNgrams(corpus: TokenCorpus, maxOrder: number): EncodedCorpus {
  const { captions, imageStarts } = corpus;
  const images = imageStarts.length - 1;
  let occurrences = 0;
  for (let c = 0; c < captions.count; c++) occurrences += ngramCount(captions.length(c), maxOrder);
  const sentences = new SentenceStore(captions.count, occurrences);
  for (let c = 0; c < captions.count; c++) {
    const length = captions.length(c);
    sentences.add(length, ngramCount(length, maxOrder));
  }
  // Distinct n-grams per image are at most the occurrences (measured: 79 % of them on COCO).
  const entries = new Int32Array(Math.max(16, 2 * occurrences));
  const ngramStarts = new Int32Array(images + 1);
  const orderBounds = new Int32Array(Math.max(1, images * maxOrder * 2));
  const local = new LocalNgramIds(captions.vocabulary.size);
  let maxImageNgrams = 0;
  let next = 0;
  for (let j = 0; j < images; j++) {
    ngramStarts[j] = next;
    const count = local.encodeImage(
      captions,
      sentences,
      imageStarts[j] as number,
      imageStarts[j + 1] as number,
      maxOrder,
      {
        entries,
        base: next,
        bounds: orderBounds,
        boundsBase: j * maxOrder * 2,
      },
    );
    next += count;
    if (count > maxImageNgrams) maxImageNgrams = count;
  }
  ngramStarts[images] = next;
  return {
    ...corpus,
    maxOrder,
    sentences,
    ngramStarts,
    entries,
    orderBounds,
    maxImageNgrams,
    frequenciesResolved: false,
  };
}

/** Where {@link LocalNgramIds.encodeImage} writes an image's distinct n-grams. */
interface ImageNgramOutput {
  entries: Int32Array;
  /** Entry number of the image's local id 0. */
  base: number;
  bounds: Int32Array;
  boundsBase: number;
}

/** Numbers the distinct n-grams of one image at a time (scratch arrays reused from image to image). */
class LocalNgramIds {
  /** Per token id: the image stamp (image index + 1) when it last got a local unigram id, and that id. */
  private readonly unigramStamp: Int32Array;
  private readonly unigramId: Int32Array;
  private stamp = 0;
  /** Per local id: the first of its extensions (local ids one order up), or −1. */
  private firstChild: Int32Array = new Int32Array(1024);
  /** Per local id: the next extension of the same prefix, or −1. */
  private nextSibling: Int32Array = new Int32Array(1024);
  /** Per local id: its last token. */
  private lastToken: Int32Array = new Int32Array(1024);

  constructor(vocabularySize: number) {
    this.unigramStamp = new Int32Array(Math.max(16, vocabularySize));
    this.unigramId = new Int32Array(Math.max(16, vocabularySize));
  }

  /**
   * Gives local ids to the n-grams of captions `first .. end` (the references, then the candidate last),
   * writes each caption's occurrences into `sentences` and the distinct n-grams into `out`. Returns their count.
   */
  encodeImage(
    captions: TokenSequences,
    sentences: SentenceStore,
    first: number,
    end: number,
    maxOrder: number,
    out: ImageNgramOutput,
  ): number {
    let occurrences = 0;
    for (let c = first; c < end; c++) occurrences += ngramCount(captions.length(c), maxOrder);
    if (this.firstChild.length < occurrences) {
      this.firstChild = grown(this.firstChild, occurrences);
      this.nextSibling = grown(this.nextSibling, occurrences);
      this.lastToken = grown(this.lastToken, occurrences);
    }
    const { unigramStamp, unigramId, firstChild, nextSibling, lastToken } = this;
    const { tokens, starts } = captions;
    const ngrams = sentences.ngrams;
    const { entries, base, bounds, boundsBase } = out;
    const stamp = ++this.stamp;
    const candidate = end - 1;
    let count = 0;

    // Order 1: a local id per distinct token.
    bounds[boundsBase] = 0;
    for (let c = first; c < end; c++) {
      if (c === candidate) bounds[boundsBase + 1] = count;
      const tokenStart = starts[c] as number;
      const length = (starts[c + 1] as number) - tokenStart;
      const at = sentences.starts[c] as number;
      for (let i = 0; i < length; i++) {
        const token = tokens[tokenStart + i] as number;
        let id: number;
        if (unigramStamp[token] === stamp) {
          id = unigramId[token] as number;
        } else {
          id = count++;
          unigramStamp[token] = stamp;
          unigramId[token] = id;
          firstChild[id] = -1;
          lastToken[id] = token;
          entries[2 * (base + id)] = -1;
          entries[2 * (base + id) + 1] = token;
        }
        ngrams[at + i] = id;
      }
    }

    // Order k: the k-gram at position i extends the (k−1)-gram at position i by token i + k − 1.
    for (let k = 2; k <= maxOrder; k++) {
      const boundsAt = boundsBase + (k - 1) * 2;
      bounds[boundsAt] = count;
      for (let c = first; c < end; c++) {
        if (c === candidate) bounds[boundsAt + 1] = count;
        const tokenStart = starts[c] as number;
        const length = (starts[c + 1] as number) - tokenStart;
        const orderCount = length - k + 1;
        if (orderCount <= 0) continue;
        const previous = (sentences.starts[c] as number) + orderStart(length, k - 1);
        const at = previous + length - k + 2;
        for (let i = 0; i < orderCount; i++) {
          const parent = ngrams[previous + i] as number;
          const token = tokens[tokenStart + i + k - 1] as number;
          let id = firstChild[parent] as number;
          while (id !== -1 && lastToken[id] !== token) id = nextSibling[id] as number;
          if (id === -1) {
            id = count++;
            firstChild[id] = -1;
            lastToken[id] = token;
            nextSibling[id] = firstChild[parent] as number;
            firstChild[parent] = id;
            entries[2 * (base + id)] = parent;
            entries[2 * (base + id) + 1] = token;
          }
          ngrams[at + i] = id;
        }
      }
    }
    // An image whose captions are shorter than some order has no n-gram of it: empty ranges.
    return count;
  }
}

/**
 * The one document-frequency counter of the repository ({@link DocumentFrequencyCounter}: per n-gram id, the
 * number of reference sets (images) holding it, each set counting once), and its use on an evaluation
 * ({@link documentFrequencies}: coco-caption's CIDEr counts, for `cider()` in `cider.ts`). The counter's other
 * users number their n-grams with a corpus-wide table first and count set by set: `CiderDScorer.fromCorpus`,
 * and the public `documentFrequencies` of `../document-frequency.ts`, with which `@caption/data-coco` writes
 * `prepro_ngrams.py`'s caches.
 *
 * An evaluation's n-grams: each image's distinct n-grams (`EncodedCorpus.entries`), an n-gram being (its
 * prefix, its last token). They get corpus-wide ids one order at a time: unigrams are their token ids; a k-gram
 * is keyed by (corpus id of its (k−1)-gram prefix, last token). Instead of one hash table of every n-gram
 * (1.6 M for the 40,504-image val2014 case: a cache miss per look-up, 0.55 s there), the entries of an order
 * are scattered by a hash of their key into up to 2,048 partitions (few enough write positions to stay in
 * cache), and each partition, a few hundred entries, is numbered with a small hash table that stays in L1/L2,
 * then counted: all the entries of a key are in its partition, so the counter's look-ups stay among a few
 * hundred ids, in cache (counting order by order after numbering cost 0.15 s more on val2014). Only entries
 * found in references count. N-grams found only in candidates get ids too, with frequency 0.
 *
 * The results overwrite the entries (no second array of 5.8 M pairs for the val2014 case: fresh memory costs
 * page faults and garbage-collection work here).
 *
 * @internal
 */
import type { EncodedCorpus } from './encoded-corpus';
import { hashPair } from './ngram-table';
import { grown } from './typed-arrays';

/**
 * Counts, per n-gram id (dense, from 0), the reference sets holding it, each set counting once: the one place
 * that does. Ids come with the number of their set (any integer ≥ 0; a set's ids need not be consecutive, but
 * two sets that share an id must have different numbers until the id is cleared).
 */
export class DocumentFrequencyCounter {
  /**
   * Per id, two ints: 1 + the number of the last set that counted it (0: none), and its frequency. One cache
   * line per look-up where two arrays would take two.
   */
  private state: Int32Array = new Int32Array(8192);

  /**
   * Counts `n` ids: the i-th is `ids[idAt + i · idStep]`, in set `sets[setAt + i · setStep]` (a `setStep` of 0:
   * all in one set); each id once per set. Negative ids and sets are skipped. Ids must be below the `to` of an
   * earlier {@link clear}.
   */
  count(
    ids: Int32Array,
    idAt: number,
    idStep: number,
    sets: Int32Array,
    setAt: number,
    setStep: number,
    n: number,
  ): void {
    const state = this.state;
    for (let i = 0; i < n; i++) {
      const id = ids[idAt + i * idStep] as number;
      const set = sets[setAt + i * setStep] as number;
      if (id < 0 || set < 0) continue;
      const at = 2 * id;
      if (state[at] !== set + 1) {
        state[at] = set + 1;
        state[at + 1] = (state[at + 1] as number) + 1;
      }
    }
  }

  /** The frequency of `id`. */
  frequency(id: number): number {
    return this.state[2 * id + 1] as number;
  }

  /** The frequencies of the ids below `endId`. */
  frequencies(endId: number): Int32Array {
    const out = new Int32Array(endId);
    for (let id = 0; id < endId; id++) out[id] = this.state[2 * id + 1] as number;
    return out;
  }

  /** Makes ids `from .. to` countable, each with frequency 0 and counted by no set (ids counted a range at a time). */
  clear(from: number, to: number): void {
    if (this.state.length < 2 * to) this.state = grown(this.state, 2 * to);
    this.state.fill(0, 2 * from, 2 * to);
  }
}

/** At most 2^11 partitions: their write positions (one cache line each) stay in L1/L2 while scattering. */
const MAX_PARTITION_BITS = 11;
/** Aim for partitions of about this many entries (a grouping table of twice that stays in L1/L2). */
const PARTITION_TARGET = 512;

/** The partition of key (prefix, token) among 2^`bits`: the top bits of its hash. */
function partitionOf(prefix: number, token: number, bits: number): number {
  // A shift by 32 is a shift by 0 in JavaScript: with one partition, `& 0` sends everything to partition 0.
  return (hashPair(prefix, token) >>> (32 - bits)) & (bits === 0 ? 0 : -1);
}

/**
 * Turns `corpus.entries` into (corpus id, document frequency) pairs, in place, once; returns the entries.
 * Entry e's frequency is then `entries[2e + 1]` (its id, −1 for some n-grams of frequency ≤ 1, is of no
 * further use). A frequency of 1 may stand for 0: both give the same idf, log(max(1, df)).
 */
export function documentFrequencies(corpus: EncodedCorpus): Int32Array {
  if (corpus.frequenciesResolved) return corpus.entries;
  const { entries, maxOrder } = corpus;
  const counter = new DocumentFrequencyCounter();
  resolveUnigrams(corpus, counter);
  let largest = 0;
  for (let k = 2; k <= maxOrder; k++) largest = Math.max(largest, orderEntries(corpus, k));
  // Order k's entries as (prefix corpus id, last token, entry number e, or ~e = −e − 1 for an entry found only in
  // the candidate) triples, grouped by partition; sized once for the largest order.
  const partitioned = new Int32Array(Math.max(16, largest * 3));
  const grouping = new PartitionCounting();
  for (let k = 2; k <= maxOrder; k++) {
    const bits = Math.min(
      MAX_PARTITION_BITS,
      Math.max(0, Math.ceil(Math.log2(orderEntries(corpus, k) / PARTITION_TARGET))),
    );
    const partitionStarts = countPartitions(corpus, k, bits);
    scatterEntries(corpus, k, bits, partitionStarts, partitioned);
    // Ids restart at 0 for each order: they only need to be unique among the keys of the next order.
    let nextId = 0;
    for (let p = 0; p < partitionStarts.length - 1; p++) {
      nextId = grouping.count(
        partitioned,
        partitionStarts[p] as number,
        partitionStarts[p + 1] as number,
        nextId,
        entries,
        counter,
      );
    }
  }
  corpus.frequenciesResolved = true;
  return entries;
}

/*
 * Entry ranges of order k of image j (each loop below computes them inline, to keep these small functions
 * free of closures, which V8 optimises less well): [start, referenceEnd) were found in a reference,
 * [referenceEnd, end) in the candidate only, with start = ngramStarts[j] + orderBounds[(j · maxOrder + k − 1)
 * · 2], referenceEnd the same with `+ 1`, and end the start of order k + 1 (for the largest order,
 * ngramStarts[j + 1]).
 */

/** Order 1: the token id is the corpus id; the frequency counts the images whose references hold the token. */
function resolveUnigrams(corpus: EncodedCorpus, counter: DocumentFrequencyCounter): void {
  const { ngramStarts, entries, orderBounds, maxOrder } = corpus;
  const images = ngramStarts.length - 1;
  const tokens = corpus.captions.vocabulary.size;
  counter.clear(0, tokens);
  const image = new Int32Array(1);
  for (let j = 0; j < images; j++) {
    const base = ngramStarts[j] as number;
    const references = orderBounds[j * maxOrder * 2 + 1] as number;
    image[0] = j;
    // A unigram entry is (−1, token).
    counter.count(entries, 2 * base + 1, 2, image, 0, 0, references);
  }
  for (let j = 0; j < images; j++) {
    const base = ngramStarts[j] as number;
    const end = maxOrder > 1 ? base + (orderBounds[(j * maxOrder + 1) * 2] as number) : (ngramStarts[j + 1] as number);
    for (let e = base; e < end; e++) {
      const token = entries[2 * e + 1] as number;
      entries[2 * e] = token;
      entries[2 * e + 1] = counter.frequency(token);
    }
  }
}

/** Number of entries of order k over all images. */
function orderEntries(corpus: EncodedCorpus, k: number): number {
  const { ngramStarts, orderBounds, maxOrder } = corpus;
  const images = ngramStarts.length - 1;
  let count = 0;
  for (let j = 0; j < images; j++) {
    const start = orderBounds[(j * maxOrder + k - 1) * 2] as number;
    const end =
      k < maxOrder
        ? (orderBounds[(j * maxOrder + k) * 2] as number)
        : (ngramStarts[j + 1] as number) - (ngramStarts[j] as number);
    count += end - start;
  }
  return count;
}

/*
 * An entry whose prefix is in the references of at most one image is in them at most once too: it is left out
 * of the partitions and gets id −1 and frequency 1 at once (see `documentFrequencies`), and so do its own
 * extensions in turn. On the 40,504-image val2014 case this leaves out 12 % of the entries of orders 2-4. The
 * two passes below apply the same test.
 */

/** Counts order k's entries per partition (2^`bits` of them); returns the partitions' start offsets (in triples). */
function countPartitions(corpus: EncodedCorpus, k: number, bits: number): Int32Array {
  const { ngramStarts, entries, orderBounds, maxOrder } = corpus;
  const images = ngramStarts.length - 1;
  const partitions = 1 << bits;
  const starts = new Int32Array(partitions + 1);
  for (let j = 0; j < images; j++) {
    const base = ngramStarts[j] as number;
    const bounds = (j * maxOrder + k - 1) * 2;
    const start = base + (orderBounds[bounds] as number);
    const end = k < maxOrder ? base + (orderBounds[bounds + 2] as number) : (ngramStarts[j + 1] as number);
    for (let e = start; e < end; e++) {
      const prefix = 2 * (base + (entries[2 * e] as number));
      if ((entries[prefix + 1] as number) <= 1) continue;
      const p = partitionOf(entries[prefix] as number, entries[2 * e + 1] as number, bits);
      starts[p + 1] = (starts[p + 1] as number) + 1;
    }
  }
  for (let p = 0; p < partitions; p++) starts[p + 1] = (starts[p + 1] as number) + (starts[p] as number);
  return starts;
}

/**
 * Writes the triples of order k's entries into their partitions of `partitioned` (in entry order within each),
 * and resolves the left-out entries.
 */
function scatterEntries(
  corpus: EncodedCorpus,
  k: number,
  bits: number,
  starts: Int32Array,
  partitioned: Int32Array,
): void {
  const { ngramStarts, entries, orderBounds, maxOrder } = corpus;
  const images = ngramStarts.length - 1;
  const cursor = starts.slice(0, starts.length - 1);
  for (let j = 0; j < images; j++) {
    const base = ngramStarts[j] as number;
    const bounds = (j * maxOrder + k - 1) * 2;
    const start = base + (orderBounds[bounds] as number);
    const references = base + (orderBounds[bounds + 1] as number);
    const end = k < maxOrder ? base + (orderBounds[bounds + 2] as number) : (ngramStarts[j + 1] as number);
    for (let e = start; e < end; e++) {
      const prefix = 2 * (base + (entries[2 * e] as number));
      if ((entries[prefix + 1] as number) <= 1) {
        entries[2 * e] = -1;
        entries[2 * e + 1] = 1;
        continue;
      }
      const prefixId = entries[prefix] as number;
      const token = entries[2 * e + 1] as number;
      const p = partitionOf(prefixId, token, bits);
      const to = (cursor[p] as number) * 3;
      cursor[p] = (cursor[p] as number) + 1;
      partitioned[to] = prefixId;
      partitioned[to + 1] = token;
      partitioned[to + 2] = e < references ? e : ~e;
    }
  }
}

/**
 * Numbers and counts the keys of one partition's triples, with an open-addressing table reused across
 * partitions. Every triple of a key is in the partition, so its frequency is final once the partition is
 * counted, and the counter's look-ups stay within the partition's few hundred ids (in cache).
 */
class PartitionCounting {
  /** Slots of 4 ints: stamp (partition number + 1 when in use), prefix, token, id. */
  private table: Int32Array = new Int32Array(4 * 1024);
  private mask = 1023;
  private stamp = 0;
  /**
   * Numbers the distinct keys of triples `from .. to` of `partitioned` from `firstId`, counts them image by
   * image with `counter` (reset here for the ids from `firstId` on), writes each entry's id and frequency over
   * it in `entries`, and returns the next free id.
   */
  count(
    partitioned: Int32Array,
    from: number,
    to: number,
    firstId: number,
    entries: Int32Array,
    counter: DocumentFrequencyCounter,
  ): number {
    const size = to - from;
    if (size === 0) return firstId;
    this.reserve(size);
    const { table, mask } = this;
    const stamp = ++this.stamp;
    let nextId = firstId;
    for (let t = 0; t < size; t++) {
      const i = (from + t) * 3;
      const prefix = partitioned[i] as number;
      const token = partitioned[i + 1] as number;
      let slot = hashPair(prefix, token) & mask;
      let id: number;
      for (;;) {
        const at = slot * 4;
        if (table[at] !== stamp) {
          id = nextId++;
          table[at] = stamp;
          table[at + 1] = prefix;
          table[at + 2] = token;
          table[at + 3] = id;
          break;
        }
        if (table[at + 1] === prefix && table[at + 2] === token) {
          id = table[at + 3] as number;
          break;
        }
        slot = (slot + 1) & mask;
      }
      partitioned[i] = id;
    }
    counter.clear(firstId, nextId);
    // Triples are now (id, token, entry or ~entry). An image's entries are distinct n-grams, so each reference
    // entry can be a set of its own (numbered by its entry number); entries found only in the candidate
    // (negative) are skipped.
    counter.count(partitioned, from * 3, 3, partitioned, from * 3 + 2, 3, size);
    for (let t = 0; t < size; t++) {
      const i = (from + t) * 3;
      const tagged = partitioned[i + 2] as number;
      const entry = tagged < 0 ? ~tagged : tagged;
      const id = partitioned[i] as number;
      entries[2 * entry] = id;
      entries[2 * entry + 1] = counter.frequency(id);
    }
    return nextId;
  }

  /** Makes room for a partition of `size` triples (a table at most half full). */
  private reserve(size: number): void {
    let capacity = this.mask + 1;
    if (capacity >= size * 2) return;
    while (capacity < size * 2) capacity *= 2;
    this.table = new Int32Array(capacity * 4);
    this.mask = capacity - 1;
    this.stamp = 0;
  }
}

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
 * cache), and each partition, a few hundred entries, is numbered with a small hash table that stays in L1/L2.
 * The counter then counts the ids of each image's reference entries (candidates do not count). N-grams found
 * only in candidates get ids too, with frequency 0.
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
 * that does. A set is {@link beginSet} followed by any number of {@link count} calls.
 */
export class DocumentFrequencyCounter {
  /** Reference sets begun since the last {@link reset}. */
  sets = 0;
  /** Frequency per id below the `endId` of the last {@link beginSet} or {@link reset}. */
  frequencies: Int32Array = new Int32Array(4096);
  /** Per id, the stamp of the last set that counted it (stamps never repeat, across resets too). */
  private lastSet: Int32Array = new Int32Array(4096);
  private stamp = 0;

  /** Starts the next reference set, whose ids are below `endId`. */
  beginSet(endId: number): void {
    if (this.frequencies.length < endId) {
      this.frequencies = grown(this.frequencies, endId);
      this.lastSet = grown(this.lastSet, endId);
    }
    this.sets += 1;
    this.stamp += 1;
  }

  /**
   * Counts, for the current set, the ids `ids[from]`, `ids[from + step]`, ... before `to`, each once per set;
   * negative ids are skipped.
   */
  count(ids: Int32Array, from: number, to: number, step: number): void {
    const { frequencies, lastSet, stamp } = this;
    for (let i = from; i < to; i += step) {
      const id = ids[i] as number;
      if (id >= 0 && lastSet[id] !== stamp) {
        lastSet[id] = stamp;
        frequencies[id] = (frequencies[id] as number) + 1;
      }
    }
  }

  /** Starts over with no set counted and every frequency below `endId` 0 (keeps the memory). */
  reset(endId: number): void {
    this.sets = 0;
    if (this.frequencies.length < endId) {
      this.frequencies = new Int32Array(endId);
      this.lastSet = grown(this.lastSet, endId);
    } else {
      this.frequencies.fill(0, 0, endId);
    }
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
  // Order k's entries as (prefix corpus id, last token, entry number) triples, grouped by partition; sized
  // once for the largest order.
  const partitioned = new Int32Array(Math.max(16, largest * 3));
  const grouping = new PartitionNumbering();
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
      nextId = grouping.number(
        partitioned,
        partitionStarts[p] as number,
        partitionStarts[p + 1] as number,
        nextId,
        entries,
      );
    }
    countOrder(corpus, k, nextId, counter);
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
  counter.reset(tokens);
  for (let j = 0; j < images; j++) {
    const base = ngramStarts[j] as number;
    const references = base + (orderBounds[j * maxOrder * 2 + 1] as number);
    counter.beginSet(tokens);
    // A unigram entry is (−1, token).
    counter.count(entries, 2 * base + 1, 2 * references + 1, 2);
  }
  const counts = counter.frequencies;
  for (let j = 0; j < images; j++) {
    const base = ngramStarts[j] as number;
    const end = maxOrder > 1 ? base + (orderBounds[(j * maxOrder + 1) * 2] as number) : (ngramStarts[j + 1] as number);
    for (let e = base; e < end; e++) {
      const token = entries[2 * e + 1] as number;
      entries[2 * e] = token;
      entries[2 * e + 1] = counts[token] as number;
    }
  }
}

/**
 * Order k, its entries numbered (`entries[2e]`: ids below `endId`, or −1 with the frequency set): counts each
 * image's reference entries, then writes each numbered entry's frequency over its token.
 */
function countOrder(corpus: EncodedCorpus, k: number, endId: number, counter: DocumentFrequencyCounter): void {
  const { ngramStarts, entries, orderBounds, maxOrder } = corpus;
  const images = ngramStarts.length - 1;
  counter.reset(endId);
  for (let j = 0; j < images; j++) {
    const base = ngramStarts[j] as number;
    const bounds = (j * maxOrder + k - 1) * 2;
    counter.beginSet(endId);
    counter.count(
      entries,
      2 * (base + (orderBounds[bounds] as number)),
      2 * (base + (orderBounds[bounds + 1] as number)),
      2,
    );
  }
  const counts = counter.frequencies;
  for (let j = 0; j < images; j++) {
    const base = ngramStarts[j] as number;
    const bounds = (j * maxOrder + k - 1) * 2;
    const start = base + (orderBounds[bounds] as number);
    const end = k < maxOrder ? base + (orderBounds[bounds + 2] as number) : (ngramStarts[j + 1] as number);
    for (let e = start; e < end; e++) {
      const id = entries[2 * e] as number;
      if (id >= 0) entries[2 * e + 1] = counts[id] as number;
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
      partitioned[to + 2] = e;
    }
  }
}

/** Numbers the distinct keys of one partition's triples, with an open-addressing table reused across partitions. */
class PartitionNumbering {
  /** Slots of 4 ints: stamp (partition number + 1 when in use), prefix, token, id. */
  private table: Int32Array = new Int32Array(4 * 1024);
  private mask = 1023;
  private stamp = 0;

  /**
   * Numbers the distinct keys of triples `from .. to` of `partitioned` from `firstId`, writes each entry's id
   * over its prefix in `entries`, and returns the next free id.
   */
  number(partitioned: Int32Array, from: number, to: number, firstId: number, entries: Int32Array): number {
    const size = to - from;
    if (size === 0) return firstId;
    this.reserve(size);
    const { table, mask } = this;
    const stamp = ++this.stamp;
    let nextId = firstId;
    for (let t = from; t < to; t++) {
      const i = t * 3;
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
      entries[2 * (partitioned[i + 2] as number)] = id;
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

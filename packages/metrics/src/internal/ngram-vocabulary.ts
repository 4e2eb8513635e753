/**
 * Token and n-gram ids of `CiderDScorer`, which keeps one numbering for its whole training corpus (the
 * evaluation metrics number n-grams per image instead, see `encoded-corpus.ts`): a caption becomes an array
 * of n-gram ids laid out exactly as coco-caption's `precook` enumerates them (all unigrams left to right, then
 * all bigrams, ...), which is also the first-occurrence order its Python dicts iterate in.
 *
 * @internal
 */
import { NgramTable, ROOT } from './ngram-table';
import { ngramCount, type SentenceStore } from './sentence-store';
import { TokenTable, scanTokens } from './token-table';

/** Token and n-gram ids up to a maximum order, with an optional transient layer that can be dropped. */
export class NgramVocabulary {
  private readonly tokens = new TokenTable();
  private readonly table: NgramTable;
  private transientTokens: TokenTable | null = null;
  private transientTable: NgramTable | null = null;
  private scratch: Int32Array = new Int32Array(64);
  private readonly internToken = (text: string, start: number, end: number, hash: number): number =>
    this.tokens.intern(text, start, end, hash);
  private readonly transientToken = (text: string, start: number, end: number, hash: number): number => {
    const id = this.tokens.find(text, start, end, hash);
    return id !== -1 ? id : (this.transientTokens as TokenTable).intern(text, start, end, hash);
  };

  /**
   * @param maxOrder the largest n-gram order (4 for BLEU-4 and CIDEr-D)
   * @param expectedNgrams expected number of distinct n-grams (sizes the table)
   */
  constructor(
    readonly maxOrder: number,
    expectedNgrams = 4096,
  ) {
    this.table = new NgramTable(0, expectedNgrams);
  }

  /** One past the largest permanent n-gram id. */
  get endId(): number {
    return this.table.endId;
  }

  /** One past the largest id handed out, transient ids included. */
  get endIdWithTransient(): number {
    return this.transientTable === null ? this.table.endId : this.transientTable.endId;
  }

  /**
   * Starts a transient layer: until {@link endTransient}, {@link encodeTransient} gives unseen tokens and
   * n-grams ids above every permanent one instead of keeping them. Permanent encoding is refused meanwhile.
   */
  beginTransient(): void {
    this.transientTokens = new TokenTable(this.tokens.size);
    this.transientTable = new NgramTable(this.table.endId, 256);
  }

  /** Drops every transient id. */
  endTransient(): void {
    this.transientTokens = null;
    this.transientTable = null;
  }

  /**
   * Encodes a caption (tokens: Python's `split()`) into `store`, interning new tokens and n-grams
   * permanently. Returns the sentence's index in `store`.
   */
  encode(text: string, store: SentenceStore): number {
    if (this.transientTable !== null) throw new Error('NgramVocabulary: permanent encode inside a transient layer');
    const { ids, count } = scanTokens(text, 'whitespace', this.scratch, this.internToken);
    this.scratch = ids;
    return this.encodeIds(ids, count, false, store);
  }

  /** Encodes a caption into `store`; unseen tokens and n-grams get transient ids (see {@link beginTransient}). */
  encodeTransient(text: string, store: SentenceStore): number {
    if (this.transientTable === null) throw new Error('NgramVocabulary: encodeTransient outside a transient layer');
    const { ids, count } = scanTokens(text, 'whitespace', this.scratch, this.transientToken);
    this.scratch = ids;
    return this.encodeIds(ids, count, true, store);
  }

  /** Interns one n-gram given as space-separated tokens (permanent); returns its id and order. */
  internNgram(text: string): { id: number; order: number } {
    const { ids, count } = scanTokens(text, 'whitespace', this.scratch, this.internToken);
    this.scratch = ids;
    let prefix = ROOT;
    for (let i = 0; i < count; i++) prefix = this.table.intern(prefix, ids[i] as number);
    return { id: prefix, order: count };
  }

  /** Number of permanent tokens (ids 0 .. tokenCount − 1). */
  get tokenCount(): number {
    return this.tokens.size;
  }

  /** The text of permanent token `id`. */
  tokenText(id: number): string {
    return this.tokens.text(id);
  }

  /** The prefix id of permanent n-gram `id` ({@link ROOT} for a unigram). */
  prefixOf(id: number): number {
    return this.table.prefixOf(id);
  }

  /** The last token id of permanent n-gram `id`. */
  lastTokenOf(id: number): number {
    return this.table.lastTokenOf(id);
  }

  /** The id of `text` as one token, interning it (permanent); the caller checks that it holds no whitespace. */
  internTokenText(text: string): number {
    return this.tokens.intern(text, 0, text.length);
  }

  /** The id of the n-gram (prefix id or {@link ROOT}, last token id), interning it (permanent). */
  internExtension(prefix: number, token: number): number {
    if (this.transientTable !== null) throw new Error('NgramVocabulary: permanent intern inside a transient layer');
    return this.table.intern(prefix, token);
  }

  private encodeIds(tokenIds: Int32Array, length: number, transient: boolean, store: SentenceStore): number {
    const maxOrder = this.maxOrder;
    const index = store.add(length, ngramCount(length, maxOrder));
    const ngrams = store.ngrams;
    const base = this.table;
    const layer = this.transientTable;
    const baseEnd = base.endId;
    // Order 1, then each order k extends the (k-1)-gram starting at the same position by one token.
    let previousStart = store.starts[index] as number;
    let start = previousStart;
    for (let k = 1; k <= maxOrder; k++) {
      const count = length - k + 1;
      if (count <= 0) break;
      for (let i = 0; i < count; i++) {
        const prefix = k === 1 ? ROOT : (ngrams[previousStart + i] as number);
        const token = tokenIds[i + k - 1] as number;
        let id: number;
        if (!transient) {
          id = base.intern(prefix, token);
        } else {
          id = prefix < baseEnd ? base.get(prefix, token) : -1;
          if (id === -1) id = (layer as NgramTable).intern(prefix, token);
        }
        ngrams[start + i] = id;
      }
      previousStart = start;
      start += count;
    }
    return index;
  }
}

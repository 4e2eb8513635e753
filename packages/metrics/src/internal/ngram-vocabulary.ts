/**
 * Token and n-gram ids for the n-gram metrics (BLEU, CIDEr-D): a sentence's tokens become an array of
 * n-gram ids laid out exactly as coco-caption's `precook` enumerates them (all unigrams left to right, then
 * all bigrams, ...), which is also the first-occurrence order its Python dicts iterate in.
 *
 * @internal
 */
import { NgramTable, ROOT } from './ngram-table';

/** A sentence as n-gram ids. */
export interface EncodedSentence {
  /** Number of tokens. */
  readonly length: number;
  /** N-gram ids: order 1 at positions 0..L-1, then order 2 at 0..L-2, ... (`precook` order). */
  readonly ngrams: Int32Array;
}

/** Start of order `k` (1-based) inside {@link EncodedSentence.ngrams} for a sentence of `length` tokens. */
export function orderStart(length: number, k: number): number {
  let start = 0;
  for (let j = 1; j < k; j++) start += Math.max(0, length - j + 1);
  return start;
}

/** Token and n-gram ids up to a maximum order, with an optional transient layer that can be dropped. */
export class NgramVocabulary {
  private readonly tokenIds = new Map<string, number>();
  private readonly tokenText: string[] = [];
  private readonly table = new NgramTable(0, 4096);
  private transientTokens: Map<string, number> | null = null;
  private transientTable: NgramTable | null = null;
  private scratchTokens = new Int32Array(64);

  /** @param maxOrder the largest n-gram order (4 for BLEU-4 and CIDEr-D) */
  constructor(readonly maxOrder: number) {}

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
   * n-grams ids above every permanent one instead of keeping them. Permanent interning is not allowed meanwhile.
   */
  beginTransient(): void {
    this.transientTokens = new Map();
    this.transientTable = new NgramTable(this.table.endId, 256);
  }

  /** Drops every transient id. */
  endTransient(): void {
    this.transientTokens = null;
    this.transientTable = null;
  }

  /** Encodes tokens, interning new tokens and n-grams permanently. */
  encode(tokens: readonly string[]): EncodedSentence {
    if (this.transientTable !== null) throw new Error('NgramVocabulary: permanent encode inside a transient layer');
    const ids = this.tokenIdsOf(tokens, false);
    return this.encodeIds(ids, tokens.length, false);
  }

  /** Encodes tokens; unseen tokens and n-grams get transient ids (see {@link beginTransient}). */
  encodeTransient(tokens: readonly string[]): EncodedSentence {
    if (this.transientTable === null) throw new Error('NgramVocabulary: encodeTransient outside a transient layer');
    const ids = this.tokenIdsOf(tokens, true);
    return this.encodeIds(ids, tokens.length, true);
  }

  /** Interns one n-gram given as its tokens (permanent); returns its id. */
  internNgram(tokens: readonly string[]): number {
    let prefix = ROOT;
    for (const token of tokens) prefix = this.table.intern(prefix, this.permanentTokenId(token));
    return prefix;
  }

  /** The tokens of a permanent n-gram id, space-joined (the reference's tuple written as one string). */
  spell(id: number): string {
    const parts: string[] = [];
    let current = id;
    while (current !== ROOT) {
      parts.push(this.tokenText[this.table.lastTokenOf(current)] as string);
      current = this.table.prefixOf(current);
    }
    return parts.reverse().join(' ');
  }

  /** The order (number of tokens) of a permanent n-gram id. */
  orderOf(id: number): number {
    let order = 0;
    for (let current = id; current !== ROOT; current = this.table.prefixOf(current)) order += 1;
    return order;
  }

  private permanentTokenId(token: string): number {
    let id = this.tokenIds.get(token);
    if (id === undefined) {
      id = this.tokenText.length;
      this.tokenIds.set(token, id);
      this.tokenText.push(token);
    }
    return id;
  }

  private tokenIdsOf(tokens: readonly string[], transient: boolean): Int32Array {
    if (this.scratchTokens.length < tokens.length) this.scratchTokens = new Int32Array(tokens.length * 2);
    const out = this.scratchTokens;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i] as string;
      let id = this.tokenIds.get(token);
      if (id === undefined) {
        if (!transient) {
          id = this.permanentTokenId(token);
        } else {
          const layer = this.transientTokens as Map<string, number>;
          id = layer.get(token);
          if (id === undefined) {
            id = this.tokenText.length + layer.size;
            layer.set(token, id);
          }
        }
      }
      out[i] = id;
    }
    return out;
  }

  private encodeIds(tokenIds: Int32Array, length: number, transient: boolean): EncodedSentence {
    const maxOrder = this.maxOrder;
    let total = 0;
    for (let k = 1; k <= maxOrder; k++) total += Math.max(0, length - k + 1);
    const ngrams = new Int32Array(total);
    const base = this.table;
    const layer = this.transientTable;
    const baseEnd = base.endId;
    // Order 1, then each order k extends the (k-1)-gram starting at the same position by one token.
    let previousStart = 0;
    let start = 0;
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
    return { length, ngrams };
  }
}

/**
 * Integer ids for tokens and n-grams, so that BLEU and CIDEr-D count and compare n-grams with typed arrays
 * instead of string-keyed maps.
 *
 * An n-gram is identified by (id of its (n-1)-gram prefix, id of its last token); unigrams have the prefix
 * {@link ROOT}. Ids are dense (0, 1, 2, ...) in insertion order, so per-n-gram data lives in typed arrays.
 *
 * @internal
 */
import { grown } from './typed-arrays';

/** Prefix id of unigrams. */
export const ROOT = -1;

const EMPTY = -1;

/** Mixes (prefix, token) into a 32-bit hash (a multiplicative hash on both halves; Murmur3 finaliser). */
function hashPair(prefix: number, token: number): number {
  let h = Math.imul(prefix ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(token, 0x85ebca77);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h;
}

/** An open-addressing hash map (prefix id, token id) → n-gram id, with dense ids. */
export class NgramTable {
  private prefixes: Int32Array;
  private tokens: Int32Array;
  private ids: Int32Array;
  private mask: number;
  /** Number of n-grams interned so far (the next id, relative to {@link firstId}). */
  private count = 0;
  /** Prefix id of each n-gram, by id (relative to {@link firstId}); lets an n-gram be spelled out again. */
  private parentOf: Int32Array;
  /** Last token of each n-gram, by id (relative to {@link firstId}). */
  private tokenOf: Int32Array;

  /**
   * @param firstId the id the first interned n-gram gets (an overlay table starts after its base table)
   * @param initialCapacity expected number of n-grams
   */
  constructor(
    readonly firstId = 0,
    initialCapacity = 1024,
  ) {
    let capacity = 16;
    while (capacity < initialCapacity * 2) capacity *= 2;
    this.prefixes = new Int32Array(capacity);
    this.tokens = new Int32Array(capacity);
    this.ids = new Int32Array(capacity).fill(EMPTY);
    this.mask = capacity - 1;
    this.parentOf = new Int32Array(Math.max(16, initialCapacity));
    this.tokenOf = new Int32Array(Math.max(16, initialCapacity));
  }

  /** Number of n-grams interned. */
  get size(): number {
    return this.count;
  }

  /** One past the largest id handed out. */
  get endId(): number {
    return this.firstId + this.count;
  }

  /** The id of (prefix, token), or -1 when absent. */
  get(prefix: number, token: number): number {
    const mask = this.mask;
    let slot = hashPair(prefix, token) & mask;
    for (;;) {
      const id = this.ids[slot] as number;
      if (id === EMPTY) return -1;
      if (this.tokens[slot] === token && this.prefixes[slot] === prefix) return id;
      slot = (slot + 1) & mask;
    }
  }

  /** The id of (prefix, token), interning it when absent. */
  intern(prefix: number, token: number): number {
    const mask = this.mask;
    let slot = hashPair(prefix, token) & mask;
    for (;;) {
      const id = this.ids[slot] as number;
      if (id === EMPTY) break;
      if (this.tokens[slot] === token && this.prefixes[slot] === prefix) return id;
      slot = (slot + 1) & mask;
    }
    const id = this.firstId + this.count;
    this.prefixes[slot] = prefix;
    this.tokens[slot] = token;
    this.ids[slot] = id;
    if (this.count === this.parentOf.length) {
      this.parentOf = grown(this.parentOf, this.count + 1);
      this.tokenOf = grown(this.tokenOf, this.count + 1);
    }
    this.parentOf[this.count] = prefix;
    this.tokenOf[this.count] = token;
    this.count += 1;
    if (this.count * 2 > mask + 1) this.rehash();
    return id;
  }

  /** Prefix id of the n-gram `id` (which must belong to this table). */
  prefixOf(id: number): number {
    return this.parentOf[id - this.firstId] as number;
  }

  /** Last token id of the n-gram `id` (which must belong to this table). */
  lastTokenOf(id: number): number {
    return this.tokenOf[id - this.firstId] as number;
  }

  /** Forgets every n-gram (keeps the allocated memory). */
  clear(): void {
    if (this.count === 0) return;
    this.ids.fill(EMPTY);
    this.count = 0;
  }

  private rehash(): void {
    const oldPrefixes = this.prefixes;
    const oldTokens = this.tokens;
    const oldIds = this.ids;
    const capacity = oldIds.length * 2;
    this.prefixes = new Int32Array(capacity);
    this.tokens = new Int32Array(capacity);
    this.ids = new Int32Array(capacity).fill(EMPTY);
    this.mask = capacity - 1;
    for (let i = 0; i < oldIds.length; i++) {
      const id = oldIds[i] as number;
      if (id === EMPTY) continue;
      const prefix = oldPrefixes[i] as number;
      const token = oldTokens[i] as number;
      let slot = hashPair(prefix, token) & this.mask;
      while (this.ids[slot] !== EMPTY) slot = (slot + 1) & this.mask;
      this.prefixes[slot] = prefix;
      this.tokens[slot] = token;
      this.ids[slot] = id;
    }
  }
}

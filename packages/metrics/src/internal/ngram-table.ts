/**
 * Integer ids for n-grams, so that `CiderDScorer` counts and compares n-grams with typed arrays instead of
 * string-keyed maps (and `hashPair`, the hash of an n-gram key, also used by `document-frequency.ts`).
 *
 * An n-gram is identified by (id of its (n-1)-gram prefix, id of its last token); unigrams have the prefix
 * {@link ROOT}. Ids are dense (firstId, firstId + 1, ...) in insertion order, so per-n-gram data lives in
 * typed arrays. Keys and ids share one interleaved array, so a lookup touches one cache line.
 *
 * @internal
 */
import { grown } from './typed-arrays';

/** Prefix id of unigrams. */
export const ROOT = -1;

/** Int32 cells per slot: prefix, token, id + 1 (0 marks an empty slot). */
const STRIDE = 3;

/** Mixes (prefix, token) into a 32-bit hash (golden-ratio multiply, then the Murmur3 finaliser). */
export function hashPair(prefix: number, token: number): number {
  let h = Math.imul(prefix, 0x9e3779b1) ^ token;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** An open-addressing hash map (prefix id, token id) → n-gram id, with dense ids. */
export class NgramTable {
  private slots: Int32Array;
  private mask: number;
  private count = 0;
  /** Prefix id of each n-gram, by id − firstId: lets an n-gram be spelled out again. */
  private parentOf: Int32Array;
  /** Last token id of each n-gram, by id − firstId. */
  private tokenOf: Int32Array;

  /**
   * @param firstId the id the first interned n-gram gets (an overlay table starts after its base table)
   * @param expected expected number of n-grams (sizes the table so that it need not grow)
   * @param maxLoad the fill ratio at which the table doubles
   */
  constructor(
    readonly firstId = 0,
    expected = 1024,
    private readonly maxLoad = 0.7,
  ) {
    let capacity = 16;
    while (capacity * maxLoad < expected) capacity *= 2;
    this.slots = new Int32Array(capacity * STRIDE);
    this.mask = capacity - 1;
    this.parentOf = new Int32Array(Math.max(16, expected));
    this.tokenOf = new Int32Array(Math.max(16, expected));
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
    const entry = this.slots[this.slotOf(prefix, token) * STRIDE + 2] as number;
    return entry - 1;
  }

  /** The id of (prefix, token), interning it when absent. */
  intern(prefix: number, token: number): number {
    const base = this.slotOf(prefix, token) * STRIDE;
    const slots = this.slots;
    const entry = slots[base + 2] as number;
    if (entry !== 0) return entry - 1;
    const id = this.firstId + this.count;
    slots[base] = prefix;
    slots[base + 1] = token;
    slots[base + 2] = id + 1;
    if (this.count === this.parentOf.length) {
      this.parentOf = grown(this.parentOf, this.count + 1);
      this.tokenOf = grown(this.tokenOf, this.count + 1);
    }
    this.parentOf[this.count] = prefix;
    this.tokenOf[this.count] = token;
    this.count += 1;
    if (this.count > (this.mask + 1) * this.maxLoad) this.rehash();
    return id;
  }

  /** The slot holding (prefix, token), or the empty slot where it belongs (linear probing). */
  private slotOf(prefix: number, token: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let slot = hashPair(prefix, token) & mask;
    for (;;) {
      const base = slot * STRIDE;
      if (slots[base + 2] === 0 || (slots[base + 1] === token && slots[base] === prefix)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  /** Prefix id of the n-gram `id` (which must belong to this table). */
  prefixOf(id: number): number {
    return this.parentOf[id - this.firstId] as number;
  }

  /** Last token id of the n-gram `id` (which must belong to this table). */
  lastTokenOf(id: number): number {
    return this.tokenOf[id - this.firstId] as number;
  }

  private rehash(): void {
    const capacity = (this.mask + 1) * 2;
    const slots = new Int32Array(capacity * STRIDE);
    const mask = capacity - 1;
    for (let index = 0; index < this.count; index++) {
      const prefix = this.parentOf[index] as number;
      const token = this.tokenOf[index] as number;
      let slot = hashPair(prefix, token) & mask;
      while (slots[slot * STRIDE + 2] !== 0) slot = (slot + 1) & mask;
      const base = slot * STRIDE;
      slots[base] = prefix;
      slots[base + 1] = token;
      slots[base + 2] = this.firstId + index + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/**
 * Token ids straight from caption text: one pass over the characters splits (as Python's `str.split()` or
 * `str.split(" ")`) and interns each token, without allocating a string per token. Caption evaluation
 * spends most of its time here, so it avoids `String.split` and `Map<string, number>`.
 *
 * @internal
 */

/** How text is cut into tokens. */
export type SplitMode =
  /** Python's `s.split()`: runs of Unicode whitespace separate tokens; no empty tokens (BLEU, CIDEr). */
  | 'whitespace'
  /** Python's `s.split(" ")`: every single space ends a token; empty tokens kept, `""` is one (ROUGE-L). */
  | 'space';

/** Python's `str.isspace()` for one UTF-16 code unit (no whitespace character lies outside the BMP). */
export function isPythonSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d) || (code >= 0x1c && code <= 0x1f);
  if (code < 0x85) return false;
  return (
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/** Whether `text` has at least one token for Python's `split()` (a character that is not whitespace). */
export function hasPythonToken(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isPythonSpace(text.charCodeAt(i))) return true;
  return false;
}

/** Start value of a token hash (FNV-1a's offset basis); fold each code unit with {@link TOKEN_HASH_PRIME}. */
export const TOKEN_HASH_OFFSET = 0x811c9dc5;
/** FNV-1a's 32-bit prime: `hash = Math.imul(hash ^ code, TOKEN_HASH_PRIME)` per code unit. */
export const TOKEN_HASH_PRIME = 0x01000193;

/** Ends an FNV-1a token hash with a multiply-xorshift, so that its low bits (the table slot) are well spread. */
export function finishTokenHash(h: number): number {
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) ^ (h >>> 12);
}

/** The token hash of `text[start..end)`. */
function hashRange(text: string, start: number, end: number): number {
  let h = TOKEN_HASH_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), TOKEN_HASH_PRIME);
  return finishTokenHash(h);
}

/** An open-addressing map from token text to dense ids `firstId, firstId + 1, ...`. */
export class TokenTable {
  private readonly tokens: string[] = [];
  private hashes = new Int32Array(64);
  /** Slot → id − firstId + 1 (0: empty). */
  private slots = new Int32Array(128);
  private mask = 127;

  /** @param firstId the id of the first token (an overlay table starts after its base table) */
  constructor(readonly firstId = 0) {}

  /** Number of tokens. */
  get size(): number {
    return this.tokens.length;
  }

  /** The text of token `id` (which must belong to this table). */
  text(id: number): string {
    return this.tokens[id - this.firstId] as string;
  }

  /** The id of `text[start..end)`, or -1. */
  find(text: string, start: number, end: number, hash = hashRange(text, start, end)): number {
    const length = end - start;
    let slot = hash & this.mask;
    for (;;) {
      const entry = this.slots[slot] as number;
      if (entry === 0) return -1;
      if (this.hashes[entry - 1] === hash) {
        const token = this.tokens[entry - 1] as string;
        if (token.length === length && text.startsWith(token, start)) return this.firstId + entry - 1;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** The id of `text[start..end)`, adding it when absent. */
  intern(text: string, start: number, end: number, hash = hashRange(text, start, end)): number {
    const found = this.find(text, start, end, hash);
    if (found !== -1) return found;
    const index = this.tokens.length;
    this.tokens.push(text.slice(start, end));
    if (index === this.hashes.length) {
      const hashes = new Int32Array(index * 2);
      hashes.set(this.hashes);
      this.hashes = hashes;
    }
    this.hashes[index] = hash;
    this.place(hash, index + 1);
    if ((index + 1) * 2 > this.mask + 1) this.rehash();
    return this.firstId + index;
  }

  private place(hash: number, entry: number): void {
    let slot = hash & this.mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
    this.slots[slot] = entry;
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    this.mask = this.slots.length - 1;
    for (let index = 0; index < this.tokens.length; index++) this.place(this.hashes[index] as number, index + 1);
  }
}

/**
 * Cuts `text` into tokens and maps each to an id with `idOf(text, start, end, hash)`, writing the ids into
 * `out`, or into a new array when `out` may be too short. Returns the array used and the number of tokens.
 */
export function scanTokens(
  text: string,
  mode: SplitMode,
  out: Int32Array,
  idOf: (text: string, start: number, end: number, hash: number) => number,
): { ids: Int32Array; count: number } {
  // At most one token per character, plus one (split(" ") of "" is [""]).
  const ids = out.length > text.length ? out : new Int32Array(text.length * 2 + 2);
  let count = 0;
  const length = text.length;
  if (mode === 'space') {
    let start = 0;
    for (let i = 0; i <= length; i++) {
      if (i === length || text.charCodeAt(i) === 0x20) {
        ids[count++] = idOf(text, start, i, hashRange(text, start, i));
        start = i + 1;
      }
    }
    return { ids, count };
  }
  let i = 0;
  while (i < length) {
    while (i < length && isPythonSpace(text.charCodeAt(i))) i++;
    if (i === length) break;
    const start = i;
    let h = TOKEN_HASH_OFFSET;
    for (; i < length; i++) {
      const code = text.charCodeAt(i);
      if (isPythonSpace(code)) break;
      h = Math.imul(h ^ code, TOKEN_HASH_PRIME);
    }
    ids[count++] = idOf(text, start, i, finishTokenHash(h));
  }
  return { ids, count };
}

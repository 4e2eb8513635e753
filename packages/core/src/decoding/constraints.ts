/**
 * Constraints that decoders apply to one row of log-probabilities before choosing words, with the
 * reference's exact arithmetic (float32, as the PyTorch tensors): forbid repeating the previous word,
 * forbid ending right after a "bad ending" word, penalise or forbid repeated trigrams, and push the UNK
 * token down by 1000.
 */
import { DecodingError } from './caption-model';

/**
 * Words after which a caption may not end when `remove_bad_endings` is on (AoANet `models/AttModel.py`
 * and ImageCaptioning.pytorch: the end token is forbidden right after one of them).
 */
export const DECODING_BAD_ENDINGS: readonly string[] = Object.freeze([
  'a',
  'an',
  'the',
  'in',
  'for',
  'at',
  'of',
  'with',
  'before',
  'after',
  'on',
  'upon',
  'near',
  'to',
  'is',
  'are',
  'am',
]);

/**
 * The second, different list the reference uses when it turns a decoded sequence into text with
 * `REMOVE_BAD_ENDINGS` set (`misc/utils.py decode_sequence`): trailing words from it are trimmed.
 */
export const TRIM_BAD_ENDINGS: readonly string[] = Object.freeze([
  'with',
  'in',
  'on',
  'of',
  'a',
  'at',
  'to',
  'for',
  'an',
  'this',
  'his',
  'her',
  'that',
  'the',
]);

/**
 * The token ids of `words` in a vocabulary `{ "1": "a", ... }` (the `ix_to_word` of `cocotalk.json`), as
 * the reference's `bad_endings_ix`. Words absent from the vocabulary are skipped.
 *
 * @example
 * ```ts
 * const badEndingTokens = tokenIdsOf(cocotalk.ix_to_word, DECODING_BAD_ENDINGS);
 * beamSearch(model, feats, { beamSize: 3, badEndingTokens });
 * ```
 */
export function tokenIdsOf(ixToWord: Readonly<Record<string, string>>, words: Iterable<string>): number[] {
  const wanted = new Set(words);
  const ids: number[] = [];
  for (const [ix, word] of Object.entries(ixToWord)) {
    if (!wanted.has(word)) continue;
    const id = Number(ix);
    if (!Number.isInteger(id))
      throw new DecodingError(`tokenIdsOf: vocabulary key "${ix}" (word "${word}") is not an integer id`);
    ids.push(id);
  }
  return ids.sort((a, b) => a - b);
}

/**
 * Trims trailing words of {@link TRIM_BAD_ENDINGS} from a caption, as the reference's `decode_sequence`
 * does with `REMOVE_BAD_ENDINGS` (including its quirk: a caption made only of such words is kept whole).
 */
export function trimBadEndings(words: readonly string[], list: readonly string[] = TRIM_BAD_ENDINGS): string[] {
  const bad = new Set(list);
  for (let j = 0; j < words.length; j++) {
    if (!bad.has(words[words.length - 1 - j] as string)) return words.slice(0, words.length - j);
  }
  return [...words];
}

/** How repeated trigrams are treated. */
export type TrigramBlocking = 'hard' | 'soft';

/** The options every decoder shares for constraining a row. */
export interface RowConstraintOptions {
  /** Forbid emitting the previous word again (the reference's `decoding_constraint`). */
  decodingConstraint?: boolean;
  /**
   * Token ids after which the end token is forbidden (the reference's `remove_bad_endings` with its
   * `bad_endings_ix`; see {@link DECODING_BAD_ENDINGS} and {@link tokenIdsOf}). Empty or absent: off.
   */
  badEndingTokens?: Iterable<number>;
  /**
   * Repeated trigrams: `true` or `'hard'` forbids any word that would complete a trigram already in the
   * caption; `'soft'` is the reference's `block_trigrams` in `AttModel._sample`, which adds
   * `2 · (−0.693)` to the log-prob once per earlier occurrence (a penalty, not a block).
   */
  blockTrigrams?: boolean | TrigramBlocking;
  /**
   * Token pushed down by 1000 before choosing (the reference's UNK suppression), or `null` for none.
   * Beam search defaults to the last index (`vocabSize - 1`, AoANet's rule); greedy and sampling to `null`.
   */
  unkToken?: number | null;
}

/** {@link RowConstraintOptions} resolved once per decoding run. */
export interface ResolvedConstraints {
  decodingConstraint: boolean;
  badEndings: ReadonlySet<number>;
  trigrams: TrigramBlocking | null;
  unkToken: number | null;
}

/** Validates and resolves constraint options for a vocabulary of `vocabSize` columns. */
export function resolveConstraints(
  options: RowConstraintOptions,
  vocabSize: number,
  defaultUnk: number | null,
  where: string,
): ResolvedConstraints {
  const badEndings = new Set(options.badEndingTokens ?? []);
  for (const id of badEndings) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new DecodingError(`${where}: badEndingTokens holds ${id}, outside the vocabulary 0..${vocabSize - 1}`);
    }
  }
  const unkToken = options.unkToken === undefined ? defaultUnk : options.unkToken;
  if (unkToken !== null && (!Number.isInteger(unkToken) || unkToken < 0 || unkToken >= vocabSize)) {
    throw new DecodingError(`${where}: unkToken ${unkToken} is outside the vocabulary 0..${vocabSize - 1}`);
  }
  const bt = options.blockTrigrams;
  const trigrams: TrigramBlocking | null = bt === true || bt === 'hard' ? 'hard' : bt === 'soft' ? 'soft' : null;
  return { decodingConstraint: options.decodingConstraint === true, badEndings, trigrams, unkToken };
}

const SOFT_TRIGRAM_STEP = Math.fround(-0.693);

/**
 * For the caption `history[0..length)`, how often each word followed the last two words earlier in it
 * (the trigrams a next word would repeat). Empty when `length < 3`.
 */
export function repeatedTrigramCounts(history: ArrayLike<number>, length: number): Map<number, number> {
  const counts = new Map<number, number>();
  if (length < 3) return counts;
  const a = history[length - 2] as number;
  const b = history[length - 1] as number;
  for (let i = 2; i < length; i++) {
    if (history[i - 2] === a && history[i - 1] === b) {
      const w = history[i] as number;
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * Applies the constraints in place to one row of log-probabilities, in the reference's order
 * (previous word, bad endings, trigrams, UNK).
 *
 * @param history the row's caption so far; `length` tokens of it are decided (0 at the first step)
 * @param eos the end token
 */
export function constrainRow(
  row: Float32Array,
  c: ResolvedConstraints,
  history: ArrayLike<number>,
  length: number,
  eos: number,
): void {
  if (length > 0) {
    const prev = history[length - 1] as number;
    if (c.decodingConstraint) row[prev] = -Infinity;
    if (c.badEndings.has(prev)) row[eos] = -Infinity;
  }
  if (c.trigrams !== null && length >= 3) {
    for (const [word, count] of repeatedTrigramCounts(history, length)) {
      if (c.trigrams === 'hard') row[word] = -Infinity;
      else row[word] = Math.fround((row[word] as number) + Math.fround(Math.fround(count * SOFT_TRIGRAM_STEP) * 2));
    }
  }
  if (c.unkToken !== null) row[c.unkToken] = Math.fround((row[c.unkToken] as number) - 1000);
}

/**
 * The `k` largest entries of `row`, largest first; equal values keep index order (lower index first).
 * NaN entries are rejected by the callers before this runs.
 */
export function topKDescending(row: Float32Array, k: number): { values: Float32Array; indices: Int32Array } {
  const n = Math.min(k, row.length);
  const values = new Float32Array(n);
  const indices = new Int32Array(n);
  let count = 0;
  for (let i = 0; i < row.length; i++) {
    const v = row[i] as number;
    if (count === n && !(v > (values[n - 1] as number))) continue;
    let p = count < n ? count : n - 1;
    // shift smaller entries down; equal entries stay ahead (earlier index first)
    while (p > 0 && (values[p - 1] as number) < v) {
      values[p] = values[p - 1] as number;
      indices[p] = indices[p - 1] as number;
      p--;
    }
    values[p] = v;
    indices[p] = i;
    if (count < n) count++;
  }
  return { values, indices };
}

/**
 * The captioning vocabulary as the reference builds it (`prepro_labels.py` `build_vocab`): words seen
 * more than `countThreshold` times, in the order the reference iterated its word-count dict, then `UNK`
 * when some word was dropped. Word ids are 1-based; 0 is BOS/EOS/padding.
 */
import { DataFormatError } from './errors.js';
import { type PythonDictOrder, pythonDictOrder } from './python-compat.js';
import type { TokenizerSpec } from './tokenizers.js';

/** The token that replaces rare words, as in the reference. */
export const UNK_TOKEN = 'UNK';

/**
 * A word ↔ id table with ids `1..size`; id 0 is reserved (BOS, EOS and padding share it).
 *
 * @example
 * ```ts
 * const vocab = Vocabulary.fromIxToWord({ '1': 'a', '2': 'dog', '3': 'UNK' });
 * vocab.encode(['a', 'cat'], 16); // Uint32Array [1, 3, 0, ..., 0]
 * vocab.decode([1, 2, 0, 5]);     // 'a dog'
 * ```
 */
export class Vocabulary {
  /** The words; `words[i]` has id `i + 1`. */
  readonly words: readonly string[];
  /** How captions were split into tokens before counting (recorded in `cocotalk.json`). */
  readonly tokenizer: TokenizerSpec;
  private readonly ids: Map<string, number>;

  /**
   * @param words the words in id order (`words[0]` gets id 1)
   * @param tokenizer how the captions were tokenized; default `{ kind: 'given' }` (Karpathy's tokens)
   */
  constructor(words: readonly string[], tokenizer: TokenizerSpec = { kind: 'given' }) {
    this.words = [...words];
    this.tokenizer = tokenizer;
    // Like the reference's `{w: i + 1 for i, w in enumerate(vocab)}`: a later duplicate wins.
    this.ids = new Map(this.words.map((w, i) => [w, i + 1] as const));
  }

  /** Number of words (the largest id). The model's output layer has `size + 1` classes. */
  get size(): number {
    return this.words.length;
  }

  /** The id of `UNK`, or undefined when the vocabulary has none (no word was rare). */
  get unkId(): number | undefined {
    return this.ids.get(UNK_TOKEN);
  }

  /** The id of a word, or undefined. */
  idOf(word: string): number | undefined {
    return this.ids.get(word);
  }

  /** The word of an id in `1..size`, or undefined. */
  wordOf(id: number): string | undefined {
    return this.words[id - 1];
  }

  /**
   * Encodes tokens into a zero-padded row of `maxLength` ids, clipping longer captions (as
   * `encode_captions`). Unknown words become `UNK`.
   *
   * @throws DataFormatError when a word is unknown and the vocabulary has no `UNK`
   */
  encode(tokens: readonly string[], maxLength: number, out?: Uint32Array): Uint32Array {
    const row = out ?? new Uint32Array(maxLength);
    row.fill(0);
    const n = Math.min(maxLength, tokens.length);
    for (let k = 0; k < n; k += 1) {
      const word = tokens[k] as string;
      const id = this.ids.get(word) ?? this.unkId;
      if (id === undefined) {
        throw new DataFormatError(`word ${JSON.stringify(word)} is not in the vocabulary and there is no UNK`, {
          field: 'tokens',
        });
      }
      row[k] = id;
    }
    return row;
  }

  /** Decodes ids up to the first 0 into words joined by spaces (as the reference's `decode_sequence`). */
  decode(ids: ArrayLike<number>): string {
    const words: string[] = [];
    for (let i = 0; i < ids.length; i += 1) {
      const id = ids[i] as number;
      if (id === 0) break;
      const word = this.wordOf(id);
      if (word === undefined) throw new DataFormatError(`id ${id} is outside the vocabulary (1..${this.size})`, {});
      words.push(word);
    }
    return words.join(' ');
  }

  /** The `ix_to_word` object of `cocotalk.json` (`{"1": word, ...}`). */
  toIxToWord(): Record<string, string> {
    const out: Record<string, string> = {};
    this.words.forEach((w, i) => {
      out[String(i + 1)] = w;
    });
    return out;
  }

  /**
   * A vocabulary from a `cocotalk.json` `ix_to_word` object, whose keys must be exactly `"1".."V"`.
   *
   * @throws DataFormatError naming the file and the offending key
   */
  static fromIxToWord(ixToWord: unknown, file?: string, tokenizer?: TokenizerSpec): Vocabulary {
    if (typeof ixToWord !== 'object' || ixToWord === null || Array.isArray(ixToWord)) {
      throw new DataFormatError('expected an object {"1": word, ...}', { file, field: 'ix_to_word' });
    }
    const entries = Object.entries(ixToWord as Record<string, unknown>);
    const words: string[] = new Array(entries.length);
    for (const [key, word] of entries) {
      const ix = Number(key);
      if (!Number.isInteger(ix) || ix < 1 || ix > entries.length || String(ix) !== key) {
        throw new DataFormatError(`key ${JSON.stringify(key)} is not an id in 1..${entries.length}`, {
          file,
          field: 'ix_to_word',
        });
      }
      if (typeof word !== 'string') {
        throw new DataFormatError(`expected a string word, found ${JSON.stringify(word)}`, {
          file,
          field: `ix_to_word.${key}`,
        });
      }
      words[ix - 1] = word;
    }
    return new Vocabulary(words, tokenizer);
  }
}

/** Options of {@link buildVocabulary}. */
export interface BuildVocabularyOptions {
  /** A word is kept when its count is greater than this (the reference's `word_count_threshold`, default 5). */
  countThreshold?: number;
  /**
   * Whose word order the ids follow: 3 = first occurrence (Python ≥ 3.7 dict order, what
   * `prepro_labels.py` gives today), 2 = CPython 2.7 hash order (files made with Python 2). Default 3.
   */
  pythonDictOrder?: PythonDictOrder;
  /** How the tokens were produced, recorded with the vocabulary. Default `{ kind: 'given' }`. */
  tokenizer?: TokenizerSpec;
}

/** Counts reported by {@link buildVocabulary} (the numbers `prepro_labels.py` prints). */
export interface VocabularyStats {
  /** Total number of tokens in all captions. */
  totalWords: number;
  /** Number of distinct tokens. */
  distinctWords: number;
  /** Distinct tokens at or below the threshold (mapped to UNK). */
  rareWords: number;
  /** Token occurrences mapped to UNK. */
  unkCount: number;
  /** Each distinct token's count, in first-occurrence order. */
  counts: Map<string, number>;
}

/**
 * Builds the vocabulary from tokenized captions exactly as `prepro_labels.py` does: count every token of
 * every caption (all splits), keep words with count > `countThreshold` in dict iteration order, append
 * `UNK` when some word was dropped.
 *
 * @param captions every caption's tokens (e.g. `images.flatMap((im) => im.sentences.map((s) => s.tokens))`)
 */
export function buildVocabulary(
  captions: Iterable<readonly string[]>,
  options: BuildVocabularyOptions = {},
): { vocabulary: Vocabulary; stats: VocabularyStats } {
  const threshold = options.countThreshold ?? 5;
  if (!Number.isInteger(threshold) || threshold < 0) {
    throw new RangeError(`buildVocabulary: countThreshold must be a non-negative integer, got ${threshold}`);
  }
  const counts = new Map<string, number>();
  let totalWords = 0;
  for (const tokens of captions) {
    for (const w of tokens) counts.set(w, (counts.get(w) ?? 0) + 1);
    totalWords += tokens.length;
  }
  const ordered = pythonDictOrder([...counts.keys()], options.pythonDictOrder ?? 3);
  const words = ordered.filter((w) => (counts.get(w) ?? 0) > threshold);
  let rareWords = 0;
  let unkCount = 0;
  for (const [, n] of counts) {
    if (n <= threshold) {
      rareWords += 1;
      unkCount += n;
    }
  }
  if (unkCount > 0) words.push(UNK_TOKEN);
  return {
    vocabulary: new Vocabulary(words, options.tokenizer),
    stats: { totalWords, distinctWords: counts.size, rareWords, unkCount, counts },
  };
}

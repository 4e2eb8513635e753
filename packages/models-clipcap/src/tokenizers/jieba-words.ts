/**
 * A word-level Chinese tokenizer: jieba segmentation (`jieba-wasm` 2.4.0, the port `@caption/data-coco` uses, equal
 * to Python jieba 0.42.1's `jieba.cut(s, cut_all=False)`) over a word vocabulary built from training captions.
 */
import { TokenizerVocabularyError, type TextTokenizer } from './text-tokenizer';

type JiebaCut = (text: string, hmm?: boolean | null) => string[];
let jiebaPromise: Promise<JiebaCut> | undefined;

/** Loads jieba-wasm once (about 4 MB with its dictionary). */
async function loadJieba(): Promise<JiebaCut> {
  jiebaPromise ??= import('jieba-wasm').then((mod: unknown) => {
    const m = mod as { cut?: JiebaCut; default?: { cut?: JiebaCut } };
    const cut = m.cut ?? m.default?.cut;
    if (typeof cut !== 'function') throw new Error('jieba-wasm does not export cut()');
    return cut;
  });
  return jiebaPromise;
}

const PUNCTUATION = /^[\p{P}\p{S}]+$/u;

/** Options of {@link JiebaWordTokenizer}. */
export interface JiebaWordOptions {
  /** Keep punctuation words (default false: dropped, as `@caption/data-coco` and the metrics do). */
  keepPunctuation?: boolean;
  /** The word that stands for words outside the vocabulary (default `'<unk>'`, added when absent). */
  unkToken?: string;
}

/** Options of {@link JiebaWordTokenizer.fromCaptions}. */
export interface JiebaVocabularyOptions extends JiebaWordOptions {
  /** Words seen fewer times are left out (mapped to the unknown word); default 1. */
  minCount?: number;
  /** Words placed first, in this order (e.g. an end token `'<eos>'`); default `['<eos>']`. */
  specialTokens?: string[];
}

/**
 * Chinese words as ids: `encode` segments with jieba, drops whitespace (and, unless kept, punctuation) and maps each
 * word to its id, or to the unknown word's.
 *
 * @example
 * ```ts
 * const tokenizer = await JiebaWordTokenizer.fromCaptions(trainCaptions, { minCount: 2 });
 * tokenizer.encode('一个穿着泳装的女人躺在海水里。');
 * ```
 */
export class JiebaWordTokenizer implements TextTokenizer {
  /** `'jieba-words (jieba-wasm@2.4.0)'`. */
  readonly name = 'jieba-words (jieba-wasm@2.4.0)';
  /** Number of words, special and unknown tokens included. */
  readonly vocabularySize: number;
  /** Id of the unknown word. */
  readonly unkId: number;
  private readonly ids = new Map<string, number>();

  private constructor(
    readonly words: readonly string[],
    private readonly cut: JiebaCut,
    private readonly keepPunctuation: boolean,
    unkToken: string,
  ) {
    words.forEach((w, i) => {
      if (this.ids.has(w)) throw new TokenizerVocabularyError(this.name, `word '${w}' appears twice`);
      this.ids.set(w, i);
    });
    this.unkId = this.ids.get(unkToken)!;
    this.vocabularySize = words.length;
  }

  /** A tokenizer over a given word list (id = index; the unknown word is appended when absent). */
  static async create(words: readonly string[], options: JiebaWordOptions = {}): Promise<JiebaWordTokenizer> {
    const unk = options.unkToken ?? '<unk>';
    const list = words.includes(unk) ? [...words] : [...words, unk];
    return new JiebaWordTokenizer(list, await loadJieba(), options.keepPunctuation ?? false, unk);
  }

  /**
   * A tokenizer whose vocabulary is the special tokens, the unknown word, then every word of `captions` seen at
   * least `minCount` times, most frequent first (ties: first seen first).
   */
  static async fromCaptions(
    captions: Iterable<string>,
    options: JiebaVocabularyOptions = {},
  ): Promise<JiebaWordTokenizer> {
    const cut = await loadJieba();
    const keep = options.keepPunctuation ?? false;
    const counts = new Map<string, number>();
    for (const caption of captions) {
      for (const w of JiebaWordTokenizer.segmentWith(cut, caption, keep)) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    const unk = options.unkToken ?? '<unk>';
    const special = [...(options.specialTokens ?? ['<eos>']), unk];
    const frequent = [...counts.entries()]
      .filter(([w, n]) => n >= (options.minCount ?? 1) && !special.includes(w))
      .sort((a, b) => b[1] - a[1])
      .map(([w]) => w);
    return new JiebaWordTokenizer([...special, ...frequent], cut, keep, unk);
  }

  private static segmentWith(cut: JiebaCut, text: string, keepPunctuation: boolean): string[] {
    return cut(text, true).filter((w) => w.trim() !== '' && (keepPunctuation || !PUNCTUATION.test(w)));
  }

  /** The words of `text` (jieba, precise mode with HMM; whitespace and, unless kept, punctuation dropped). */
  segment(text: string): string[] {
    return JiebaWordTokenizer.segmentWith(this.cut, text, this.keepPunctuation);
  }

  /** The id of `word` (the unknown word's when it is not in the vocabulary). */
  idOf(word: string): number {
    return this.ids.get(word) ?? this.unkId;
  }

  /** The ids of the words of `text`. */
  encode(text: string): number[] {
    return this.segment(text).map((w) => this.idOf(w));
  }

  /** The words of `ids`, concatenated (Chinese is written without spaces). */
  decode(ids: readonly number[]): string {
    return ids.map((id) => this.words[id] ?? '').join('');
  }
}

/**
 * The tokenizer contract of the captioner, the typed error for a tokenizer whose vocabulary is not the model's, and
 * the encoding of caption batches (padded with {@link CAPTION_PADDING}).
 */
import { CAPTION_PADDING } from '../clipcap/captioner';

/** Text ↔ token ids over a fixed vocabulary of `vocabularySize` ids `0..vocabularySize−1`. */
export interface TextTokenizer {
  /** What the tokenizer is (library and vocabulary), for messages and records. */
  readonly name: string;
  /** Number of ids; a model using this tokenizer must have exactly this many rows in its token embedding. */
  readonly vocabularySize: number;
  /** The ids of a text (no start or end token added). */
  encode(text: string): number[];
  /** The text of ids. */
  decode(ids: readonly number[]): string;
}

/** A tokenizer whose vocabulary does not match the model it is used with (or a vocabulary file that is unusable). */
export class TokenizerVocabularyError extends Error {
  /** The tokenizer's name. */
  readonly tokenizer: string;

  /**
   * @param tokenizer the tokenizer's name
   * @param problem what does not match, in words
   */
  constructor(tokenizer: string, problem: string) {
    super(`tokenizer ${tokenizer}: ${problem}`);
    this.name = 'TokenizerVocabularyError';
    this.tokenizer = tokenizer;
  }
}

/**
 * Checks that `tokenizer` produces ids for a model with `vocabSize` token embeddings (e.g. `model.config.gpt.vocabSize`).
 *
 * @throws {TokenizerVocabularyError} naming both sizes when they differ
 */
export function assertTokenizerFitsModel(tokenizer: TextTokenizer, vocabSize: number): void {
  if (tokenizer.vocabularySize !== vocabSize) {
    throw new TokenizerVocabularyError(
      tokenizer.name,
      `has ${tokenizer.vocabularySize} ids but the model's vocabulary has ${vocabSize} (a tokenizer made for another model?)`,
    );
  }
}

/** Options of {@link encodeCaptions}. */
export interface EncodeCaptionsOptions {
  /** The model's vocabulary size, checked against the tokenizer's. */
  vocabSize: number;
  /** Tokens per caption: longer captions are cut, shorter ones padded with {@link CAPTION_PADDING}. */
  maxLength: number;
  /** Appended to every caption before cutting (e.g. the stop token, ClipCap's `'.'`); default none. */
  endToken?: number;
}

/**
 * A batch of captions as `[captions.length, maxLength]` row-major ids for {@link ClipCapModel.loss}, after checking
 * that the tokenizer fits the model.
 *
 * @throws {TokenizerVocabularyError} when the tokenizer's vocabulary is not the model's
 * @example
 * ```ts
 * const ids = encodeCaptions(tokenizer, ['A dog on a beach.'], { vocabSize: model.config.gpt.vocabSize, maxLength: 20 });
 * const tokens = tf.tensor2d(ids, [1, 20], 'int32');
 * ```
 */
export function encodeCaptions(
  tokenizer: TextTokenizer,
  captions: readonly string[],
  options: EncodeCaptionsOptions,
): Int32Array {
  assertTokenizerFitsModel(tokenizer, options.vocabSize);
  const out = new Int32Array(captions.length * options.maxLength).fill(CAPTION_PADDING);
  captions.forEach((caption, i) => {
    const ids = tokenizer.encode(caption);
    if (options.endToken !== undefined) ids.push(options.endToken);
    out.set(ids.slice(0, options.maxLength), i * options.maxLength);
  });
  return out;
}

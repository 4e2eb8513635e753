/**
 * GPT-2's byte-level BPE (r50k_base: 50,257 ids, `<|endoftext|>` = 50256), from `js-tiktoken`, which ships the
 * vocabulary and encodes exactly as Hugging Face's `GPT2Tokenizer` (checked on 20,002 COCO captions, see
 * ../shared/data/tokenizers/SOURCES.md).
 */
import { Tiktoken } from 'js-tiktoken/lite';
import r50kBase from 'js-tiktoken/ranks/r50k_base';
import type { TextTokenizer } from './text-tokenizer';

const END_OF_TEXT = '<|endoftext|>';

/**
 * GPT-2's tokenizer. `encode` adds no special token; the literal text `<|endoftext|>` becomes id 50256, as in
 * Hugging Face's `GPT2Tokenizer`.
 *
 * @example
 * ```ts
 * const tokenizer = new GPT2BPETokenizer();
 * tokenizer.encode('A man riding a wave.'); // [32, 582, 10311, 257, 6769, 13]
 * tokenizer.encode('.')[0];                 // 13, ClipCap's stop token
 * ```
 */
export class GPT2BPETokenizer implements TextTokenizer {
  /** `'gpt2-bpe (js-tiktoken r50k_base)'`. */
  readonly name = 'gpt2-bpe (js-tiktoken r50k_base)';
  /** 50,257. */
  readonly vocabularySize = 50257;
  /** The id of `<|endoftext|>` (50256). */
  readonly endOfTextId = 50256;
  private readonly encoding = new Tiktoken(r50kBase);

  /** The ids of `text`. */
  encode(text: string): number[] {
    return this.encoding.encode(text, [END_OF_TEXT]);
  }

  /** The text of `ids`. */
  decode(ids: readonly number[]): string {
    return this.encoding.decode([...ids]);
  }
}

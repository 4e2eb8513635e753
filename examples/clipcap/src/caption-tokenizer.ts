/**
 * The caption tokenizers of the example: GPT-2's BPE for English and jieba words for Chinese, each over the
 * vocabulary of the training captions, with an end-of-text token that ends every caption (CLIP's GPT-2 text tower
 * reads its feature there; the captioner stops there).
 *
 * English: GPT-2's byte-level BPE (r50k_base), restricted to the BPE tokens that occur in the training captions plus
 * `<unk>` and `<|endoftext|>`. The GPT-2s here start from random weights (none can be downloaded), so the 50k rows
 * of tokens no caption uses would only learn to be unlikely; dropping them makes the output layer ~400 times
 * smaller. A real GPT-2 checkpoint would use `GPT2BPETokenizer` as it is (`vocabulary: 'full'`).
 *
 * Chinese: jieba words (jieba-wasm, as `@caption/data-coco` and the AI Challenger evaluation segment), vocabulary
 * from the training captions (`JiebaWordTokenizer.fromCaptions`), `<eos>` first.
 */
import { GPT2BPETokenizer, JiebaWordTokenizer, type TextTokenizer } from '@caption/models-clipcap';
import type { CaptionLanguage } from '@caption/example-shapes';

/** What rebuilds a tokenizer exactly (stored with a CLIP run, so its captioners use the same ids). */
export type CaptionTokenizerSpec =
  | {
      /** GPT-2 BPE over the listed base ids (`full`: all 50,257, no restriction). */
      kind: 'gpt2-bpe';
      /** Base ids kept, ascending; their new ids are their positions, then `<unk>`, then `<|endoftext|>`. */
      baseIds: number[] | 'full';
    }
  | {
      /** jieba words. */
      kind: 'jieba-words';
      /** The word list (`<eos>` and `<unk>` included); id = index. */
      words: string[];
    };

/** A caption tokenizer with its end-of-text id and its spec. */
export interface CaptionTokenizer extends TextTokenizer {
  /** The id that ends every caption. */
  readonly endOfText: number;
  /** What rebuilds this tokenizer. */
  readonly spec: CaptionTokenizerSpec;
  /** The caption text of generated ids (the end-of-text id and anything after it dropped). */
  captionText(ids: readonly number[]): string;
}

/** GPT-2 BPE over a subset of its ids (see the file comment). */
class RestrictedGPT2Tokenizer implements CaptionTokenizer {
  readonly name: string;
  readonly vocabularySize: number;
  readonly endOfText: number;
  readonly unk: number;
  private readonly toNew = new Map<number, number>();

  constructor(
    private readonly base: GPT2BPETokenizer,
    readonly baseIds: readonly number[],
  ) {
    baseIds.forEach((id, i) => this.toNew.set(id, i));
    this.unk = baseIds.length;
    this.endOfText = baseIds.length + 1;
    this.vocabularySize = baseIds.length + 2;
    this.name = `${base.name} restricted to ${baseIds.length} tokens of the training captions + <unk>, <|endoftext|>`;
  }

  get spec(): CaptionTokenizerSpec {
    return { kind: 'gpt2-bpe', baseIds: [...this.baseIds] };
  }

  encode(text: string): number[] {
    return this.base.encode(text).map((id) => this.toNew.get(id) ?? this.unk);
  }

  decode(ids: readonly number[]): string {
    return this.base.decode(ids.flatMap((id) => (id < this.baseIds.length ? [this.baseIds[id] as number] : [])));
  }

  captionText(ids: readonly number[]): string {
    const end = ids.indexOf(this.endOfText);
    return this.decode(end < 0 ? ids : ids.slice(0, end)).trim();
  }
}

/** GPT-2 BPE with all its ids (for a real GPT-2 checkpoint). */
class FullGPT2Tokenizer implements CaptionTokenizer {
  private readonly base = new GPT2BPETokenizer();
  readonly name = this.base.name;
  readonly vocabularySize = this.base.vocabularySize;
  readonly endOfText = this.base.endOfTextId;
  readonly spec: CaptionTokenizerSpec = { kind: 'gpt2-bpe', baseIds: 'full' };

  encode(text: string): number[] {
    return this.base.encode(text);
  }

  decode(ids: readonly number[]): string {
    return this.base.decode(ids);
  }

  captionText(ids: readonly number[]): string {
    const end = ids.indexOf(this.endOfText);
    return this.decode(end < 0 ? ids : ids.slice(0, end)).trim();
  }
}

/** jieba words; `<eos>` ends a caption. */
class ChineseWordTokenizer implements CaptionTokenizer {
  readonly name: string;
  readonly vocabularySize: number;
  readonly endOfText: number;

  constructor(private readonly words: JiebaWordTokenizer) {
    this.name = words.name;
    this.vocabularySize = words.vocabularySize;
    this.endOfText = words.idOf('<eos>');
  }

  get spec(): CaptionTokenizerSpec {
    return { kind: 'jieba-words', words: [...this.words.words] };
  }

  encode(text: string): number[] {
    return this.words.encode(text);
  }

  decode(ids: readonly number[]): string {
    return this.words.decode(ids);
  }

  captionText(ids: readonly number[]): string {
    const end = ids.indexOf(this.endOfText);
    return this.decode((end < 0 ? ids : ids.slice(0, end)).filter((id) => id !== this.words.unkId));
  }
}

/**
 * The tokenizer of a language built from its training captions.
 *
 * @param vocabulary `'train'` (default): the tokens of the training captions; `'full'`: GPT-2's whole BPE (English)
 */
export async function buildCaptionTokenizer(
  language: CaptionLanguage,
  trainCaptions: readonly string[],
  vocabulary: 'train' | 'full' = 'train',
): Promise<CaptionTokenizer> {
  if (language === 'zh') {
    return new ChineseWordTokenizer(await JiebaWordTokenizer.fromCaptions(trainCaptions, { specialTokens: ['<eos>'] }));
  }
  if (vocabulary === 'full') return new FullGPT2Tokenizer();
  const base = new GPT2BPETokenizer();
  const seen = new Set<number>();
  for (const caption of trainCaptions) for (const id of base.encode(caption)) seen.add(id);
  return new RestrictedGPT2Tokenizer(
    base,
    [...seen].sort((a, b) => a - b),
  );
}

/** The tokenizer a spec describes (as stored in a CLIP run's `tokenizer.json`). */
export async function captionTokenizerFromSpec(spec: CaptionTokenizerSpec): Promise<CaptionTokenizer> {
  if (spec.kind === 'jieba-words') return new ChineseWordTokenizer(await JiebaWordTokenizer.create(spec.words));
  return spec.baseIds === 'full'
    ? new FullGPT2Tokenizer()
    : new RestrictedGPT2Tokenizer(new GPT2BPETokenizer(), spec.baseIds);
}

/**
 * Captions as token rows `[captions.length, length]` (row-major): each caption's ids, then the end-of-text id;
 * a longer caption is cut so that its last kept position is the end-of-text id; shorter rows are padded with `pad`.
 */
export function encodeCaptionRows(
  tokenizer: CaptionTokenizer,
  captions: readonly string[],
  length: number,
  pad: number,
): Int32Array {
  const out = new Int32Array(captions.length * length).fill(pad);
  captions.forEach((caption, i) => {
    const ids = tokenizer.encode(caption).slice(0, length - 1);
    ids.push(tokenizer.endOfText);
    out.set(ids, i * length);
  });
  return out;
}

/**
 * Caption tokenizers and the record of which one was used. English Karpathy files come tokenized
 * (`kind: 'given'`); Chinese captions are segmented with jieba (the `jieba-wasm` port of jieba-rs, which
 * gives exactly Python jieba 0.42.1's `jieba.cut(s, cut_all=False)` tokens: checked on all 50,167
 * sentences of Flickr8k-CN and COCO-CN, see docs/exactness.md) or split per character.
 */
import { DataFormatError } from './errors.js';
import { readMaybeGzip } from './files.js';
import type { KarpathyDataset, KarpathyImage } from './karpathy.js';
import { pythonSplit } from './python-compat.js';

/** The jieba port used for `kind: 'jieba'`, recorded in vocabulary files (the pinned dependency). */
export const JIEBA_LIBRARY = 'jieba-wasm@2.4.0';

/** How captions were turned into tokens; stored in `cocotalk.json` (key `tokenizer`) so it can be checked later. */
export type TokenizerSpec =
  | {
      /** Tokens taken as given by the input file (Karpathy's `tokens`). */
      kind: 'given';
    }
  | {
      /** Chinese word segmentation with jieba (precise mode, HMM for unknown words). */
      kind: 'jieba';
      /** The library and version that segmented, e.g. {@link JIEBA_LIBRARY}. */
      library: string;
      /** Whether punctuation tokens were kept. */
      keepPunctuation: boolean;
    }
  | {
      /** One token per character (Unicode code point); whitespace dropped. */
      kind: 'char';
      /** Whether punctuation tokens were kept. */
      keepPunctuation: boolean;
    };

/** A function from a raw caption to its tokens. */
export type CaptionTokenizer = (text: string) => string[];

type JiebaModule = { cut: (text: string, hmm?: boolean | null) => string[] };
let jiebaPromise: Promise<JiebaModule> | undefined;

/** Loads the jieba wasm module once (about 4 MB with its dictionary). */
async function loadJieba(): Promise<JiebaModule> {
  jiebaPromise ??= import('jieba-wasm').then((mod: unknown) => {
    const m = mod as Partial<JiebaModule> & { default?: Partial<JiebaModule> };
    const cut = m.cut ?? m.default?.cut;
    if (typeof cut !== 'function') throw new Error('jieba-wasm does not export cut()');
    return { cut };
  });
  return jiebaPromise;
}

/**
 * Segments text like Python's `list(jieba.cut(text))` (precise mode, HMM on): every piece, including
 * punctuation and whitespace pieces, in order.
 */
export async function jiebaSegment(text: string): Promise<string[]> {
  const jieba = await loadJieba();
  return jieba.cut(text, true);
}

const PUNCTUATION = /^[\p{P}\p{S}]+$/u;

function keepToken(token: string, keepPunctuation: boolean): boolean {
  if (token.trim().length === 0) return false;
  return keepPunctuation || !PUNCTUATION.test(token);
}

/**
 * A tokenizer for a spec. `given` splits on whitespace (for text that is already tokenized); `jieba`
 * segments with jieba and drops whitespace (and, unless kept, punctuation) pieces; `char` keeps each
 * non-whitespace character.
 *
 * @example
 * ```ts
 * const tokenize = await createTokenizer({ kind: 'jieba', library: JIEBA_LIBRARY, keepPunctuation: false });
 * tokenize('一个穿着泳装的女人躺在海水里。'); // ['一个', '穿着', '泳装', '的', '女人', '躺', '在', '海水', '里']
 * ```
 */
export async function createTokenizer(spec: TokenizerSpec): Promise<CaptionTokenizer> {
  switch (spec.kind) {
    case 'given':
      return (text) => pythonSplit(text);
    case 'char':
      return (text) => Array.from(text).filter((ch) => keepToken(ch, spec.keepPunctuation));
    case 'jieba': {
      const jieba = await loadJieba();
      return (text) => jieba.cut(text, true).filter((t) => keepToken(t, spec.keepPunctuation));
    }
    default:
      throw new DataFormatError(`unknown tokenizer kind ${JSON.stringify((spec as { kind: unknown }).kind)}`, {
        field: 'tokenizer',
      });
  }
}

/** Parses a tokenizer spec stored in a vocabulary file. */
export function parseTokenizerSpec(value: unknown, file?: string): TokenizerSpec {
  const v = value as Record<string, unknown> | null;
  if (typeof v === 'object' && v !== null) {
    if (v.kind === 'given') return { kind: 'given' };
    if (v.kind === 'char' && typeof v.keepPunctuation === 'boolean') {
      return { kind: 'char', keepPunctuation: v.keepPunctuation };
    }
    if (v.kind === 'jieba' && typeof v.library === 'string' && typeof v.keepPunctuation === 'boolean') {
      return { kind: 'jieba', library: v.library, keepPunctuation: v.keepPunctuation };
    }
  }
  throw new DataFormatError(`not a tokenizer record: ${JSON.stringify(value)}`, { file, field: 'tokenizer' });
}

/**
 * Reads a file of captions keyed by image file name, one per line, as the Chinese caption sets are
 * distributed: Flickr8k-CN `667626_18933d713e.jpg#zhc#0 一个…` (space) and COCO-CN
 * `COCO_val2014_000000217153#0<TAB>一个…` (tab). The key is the text before the first `#`.
 *
 * @returns the captions of each image, in file order
 */
export async function readCaptionLines(path: string): Promise<Map<string, string[]>> {
  const text = new TextDecoder('utf-8').decode(await readMaybeGzip(path));
  const out = new Map<string, string[]>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const match = /^(\S+?)#(\S*)[ \t]+(.*)$/u.exec(line);
    if (match === null) {
      throw new DataFormatError('expected "<image>#<n> <caption>"', { file: path, field: `line ${i + 1}` });
    }
    const name = match[1] as string;
    const caption = (match[3] as string).trim();
    const list = out.get(name);
    if (list === undefined) out.set(name, [caption]);
    else list.push(caption);
  });
  return out;
}

/**
 * A copy of a Karpathy data set whose captions are replaced by other captions of the same images (e.g.
 * Chinese ones), tokenized with `tokenize`. Images are matched by file name, with or without extension;
 * images without replacement captions are dropped.
 *
 * @example
 * ```ts
 * const en = await readKarpathyDataset('dataset_flickr8k.json');
 * const zh = await readCaptionLines('flickr8kzhc.caption.txt');
 * const spec = { kind: 'jieba', library: JIEBA_LIBRARY, keepPunctuation: false } as const;
 * const cn = replaceCaptions(en, zh, await createTokenizer(spec));
 * ```
 */
export function replaceCaptions(
  dataset: KarpathyDataset,
  captions: ReadonlyMap<string, readonly string[]>,
  tokenize: CaptionTokenizer,
): KarpathyDataset {
  const images: KarpathyImage[] = [];
  for (const image of dataset.images) {
    const stem = image.filename.replace(/\.[^.]+$/, '');
    const list = captions.get(image.filename) ?? captions.get(stem);
    if (list === undefined || list.length === 0) continue;
    images.push({ ...image, sentences: list.map((raw) => ({ tokens: tokenize(raw), raw })) });
  }
  return dataset.dataset === undefined ? { images } : { dataset: dataset.dataset, images };
}

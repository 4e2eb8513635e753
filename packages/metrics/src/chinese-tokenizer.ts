/**
 * Chinese captions scored as the AI Challenger 2017 caption evaluation scores them (AIChallenger/AI_Challenger_2017
 * `Evaluation/caption_eval`): each caption is stripped (Python's `str.strip()`), its `。` removed, segmented
 * with jieba's precise mode (`jieba.cut(s, cut_all=False)`, HMM on) and the pieces joined by spaces; then the
 * same PTB pass coco-caption applies to English (lower-cased Latin letters, its punctuation tokens dropped,
 * full-width `，`/`、` kept). `char` is the same with every non-whitespace code point one token instead of
 * jieba. Details and the checks against the original code: `docs/chinese.md`.
 *
 * jieba is `jieba-wasm` (jieba-rs compiled to WebAssembly, about 4 MB with its dictionary), loaded on first
 * use by {@link loadJieba}; its tokens equal Python jieba 0.42.1's on every caption of Flickr8k-CN and COCO-CN.
 */
import { MetricsInputError } from './errors';
import { isPythonSpace } from './internal/token-table';
import { ptbTokenize } from './tokenizer';

/** How Chinese text is cut into words before the PTB pass: jieba's precise mode, or one token per character. */
export type ChineseSegmentation = 'jieba' | 'char';

/** The jieba-wasm functions used here (its Node build exports them at once; its web build after `init`). */
interface JiebaWasm {
  cut(text: string, hmm?: boolean | null): string[];
}

/** Where the browser build of jieba-wasm fetches its `.wasm` from (see {@link LoadJiebaOptions.wasm}). */
export type JiebaWasmSource = string | URL | Response | ArrayBuffer | ArrayBufferView;

/** Options of {@link loadJieba}. */
export interface LoadJiebaOptions {
  /**
   * Browser only: the `jieba_rs_wasm_bg.wasm` file of `jieba-wasm/pkg/web` (its URL, a fetch `Response`, its
   * bytes or a compiled module). Default: the file beside the script that imports jieba-wasm (what a bundler
   * that copies assets gives). Node ignores it: its build reads the file itself.
   */
  wasm?: JiebaWasmSource;
}

let jieba: JiebaWasm | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads the jieba segmenter once (later calls return at once). `evaluate` with `tokenize: 'jieba'` calls it
 * itself; call it before the synchronous users of jieba: {@link segmentChinese}, `TOKENIZERS.jieba`, a
 * `CiderDScorer` with `tokenize: 'jieba'`.
 *
 * @throws MetricsInputError when jieba-wasm cannot be loaded (the message says why)
 */
export function loadJieba(options: LoadJiebaOptions = {}): Promise<void> {
  loading ??= (async () => {
    try {
      const mod = (await import('jieba-wasm')) as Partial<JiebaWasm> & { default?: unknown };
      // The web build exports an `init` as default and needs it awaited; the Node build is ready on import
      // (its module.exports, also seen as `default`, is an object).
      if (typeof mod.default === 'function') {
        const init = mod.default as (arg?: { module_or_path?: JiebaWasmSource }) => Promise<unknown>;
        await init(options.wasm === undefined ? undefined : { module_or_path: options.wasm });
      }
      const cut = mod.cut ?? (mod.default as Partial<JiebaWasm> | undefined)?.cut;
      if (typeof cut !== 'function') throw new Error('jieba-wasm exports no cut()');
      jieba = { cut };
    } catch (error) {
      loading = undefined;
      throw new MetricsInputError(
        `cannot load the jieba segmenter (package jieba-wasm): ${(error as Error).message}`,
        { field: 'tokenize' },
        { cause: error },
      );
    }
  })();
  return loading;
}

/** Whether {@link loadJieba} has finished (the synchronous jieba functions can run). */
export function isJiebaLoaded(): boolean {
  return jieba !== undefined;
}

function loadedJieba(): JiebaWasm {
  if (jieba === undefined) {
    throw new MetricsInputError(
      "tokenize 'jieba' needs the jieba segmenter loaded: await loadJieba() first (evaluate() does it itself)",
      { field: 'tokenize' },
    );
  }
  return jieba;
}

/**
 * Python jieba's `list(jieba.cut(text, cut_all=False))` (precise mode, HMM on): every piece, whitespace pieces
 * included. Needs {@link loadJieba} first.
 */
export function jiebaCut(text: string): string[] {
  return loadedJieba().cut(text, true);
}

/** Python's `s.strip()` (Unicode whitespace as `str.isspace`). */
function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isPythonSpace(text.charCodeAt(start))) start++;
  while (end > start && isPythonSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/**
 * One caption segmented as AI Challenger's `loadRes` does, before the PTB pass:
 * `' '.join(jieba.cut(caption.strip().replace('。', ''), cut_all=False))` for `jieba` (whitespace pieces that
 * jieba returns are kept, as there), and for `char` every code point that is not whitespace, joined by spaces
 * (`' '.join(list(''.join(s.split())))` of the stripped caption without `。`).
 *
 * @example
 * ```ts
 * await loadJieba();
 * segmentChinese('一个女人坐在海边的沙滩椅子上。', 'jieba'); // '一个 女人 坐在 海边 的 沙滩 椅子 上'
 * segmentChinese('穿粉色T恤。', 'char'); // '穿 粉 色 T 恤'
 * ```
 */
export function segmentChinese(caption: string, segmentation: ChineseSegmentation): string {
  const text = pythonStrip(caption).replaceAll('。', '');
  if (segmentation === 'jieba') return jiebaCut(text).join(' ');
  const chars: string[] = [];
  for (const char of text) if (!isPythonSpace(char.charCodeAt(0))) chars.push(char);
  return chars.join(' ');
}

/** The tokenizer of `tokenize: 'jieba' | 'char'`: {@link segmentChinese} on every caption, then `ptbTokenize`. */
function chineseTokenizer(
  segmentation: ChineseSegmentation,
): (captions: Readonly<Record<string, readonly string[]>>) => Record<string, string[]> {
  return (captions) => {
    const segmented: Record<string, string[]> = {};
    for (const id of Object.keys(captions)) {
      const list = captions[id];
      // not an array: ptbTokenize reports it with the id
      segmented[id] = Array.isArray(list)
        ? list.map((caption: unknown) =>
            typeof caption === 'string' ? segmentChinese(caption, segmentation) : (caption as string),
          )
        : (list as unknown as string[]);
    }
    return ptbTokenize(segmented);
  };
}

/**
 * AI Challenger 2017's tokenization of Chinese captions (jieba, then coco-caption's PTB pass), with
 * `ptbTokenize`'s shape. Needs {@link loadJieba} first.
 */
export const jiebaTokenize = chineseTokenizer('jieba');

/** The same with one token per character instead of jieba (`tokenize: 'char'`). */
export const charTokenize = chineseTokenizer('char');

/**
 * One caption through a named tokenizer, as a space-joined token string (what `CiderDScorer` scores):
 * `none` leaves it as it is; `ptb`, `jieba` and `char` tokenize it as `evaluate` does.
 */
export function tokenizeCaption(caption: string, tokenize: 'none' | 'ptb' | ChineseSegmentation): string {
  if (tokenize === 'none') return caption;
  const text = tokenize === 'ptb' ? caption : segmentChinese(caption, tokenize);
  return (ptbTokenize({ caption: [text] }).caption as string[])[0] as string;
}

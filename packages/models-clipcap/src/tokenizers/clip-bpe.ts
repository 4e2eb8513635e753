/**
 * OpenAI CLIP's byte-level BPE tokenizer (`clip/simple_tokenizer.py` `SimpleTokenizer` and `clip.tokenize`), read
 * from CLIP's own vocabulary file `bpe_simple_vocab_16e6.txt.gz` (49,152 − 256 − 2 merges; 49,408 ids; the file is
 * not shipped with this package: pass its path or text).
 *
 * `encode(text)`: {@link fixText} (ftfy) → `html.unescape` twice → strip → whitespace runs to one space → lower
 * case → CLIP's pre-tokenizer regex → each piece's UTF-8 bytes as printable characters (`bytes_to_unicode`) →
 * BPE merges with `</w>` on the piece's last symbol → ids.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fixText, htmlUnescape } from './fix-text';

/** A tokenizer input or vocabulary that is not usable. */
export class TokenizerError extends Error {
  /** @param message what is wrong, naming the file, text or id */
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerError';
  }
}

// Python's str.isspace() characters (what `\s` matches in Python's `re` and the `regex` module on str)
const WS = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WHITESPACE_RUN = new RegExp(`[${WS}]+`, 'g');
const EDGE_WHITESPACE = new RegExp(`^[${WS}]+|[${WS}]+$`, 'g');
const PRE_TOKENIZER = new RegExp(
  `<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^${WS}\\p{L}\\p{N}]+`,
  'giu',
);

/** GPT-2 / CLIP's reversible map from bytes to printable characters (`bytes_to_unicode`), in its order. */
function bytesToUnicode(): Array<[number, string]> {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n += 1;
    }
  }
  return bs.map((b, i) => [b, String.fromCodePoint(cs[i] as number)]);
}

/** Options of {@link ClipTokenizer.tokenize}. */
export interface ClipTokenizeOptions {
  /** Length of each row (default 77, CLIP's context length). */
  contextLength?: number;
  /** Cut captions that are too long to `contextLength` ids, ending with the end-of-text id (default false: an error). */
  truncate?: boolean;
}

/**
 * CLIP's BPE tokenizer.
 *
 * @example
 * ```ts
 * const tokenizer = ClipTokenizer.fromFile('bpe_simple_vocab_16e6.txt.gz');
 * tokenizer.encode('A dog.');                      // [320, 1929, 269]
 * tokenizer.tokenize(['A dog.', 'Two cats'], { contextLength: 16 }); // Int32Array [2 × 16]: SOT … EOT, zeros
 * ```
 */
export class ClipTokenizer {
  /** `<|startoftext|>`: 49406 with CLIP's vocabulary. */
  readonly sotId: number;
  /** `<|endoftext|>`: 49407, the largest id (CLIP reads the text feature at the argmax). */
  readonly eotId: number;
  /** Number of ids (49,408). */
  readonly vocabSize: number;
  private readonly encoder = new Map<string, number>();
  private readonly decoder: string[] = [];
  private readonly ranks = new Map<string, number>();
  private readonly byteEncoder = new Map<number, string>();
  private readonly byteDecoder = new Map<string, number>();
  private readonly cache = new Map<string, string[]>();

  /**
   * @param mergesText the text of `bpe_simple_vocab_16e6.txt(.gz)`: a header line, then one merge (`a b`) per line
   * @param source the file name, for error messages
   * @throws {TokenizerError} when the text does not hold CLIP's 48,894 merges
   */
  constructor(mergesText: string, source = 'CLIP BPE vocabulary') {
    const lines = mergesText.split('\n').slice(1, 49152 - 256 - 2 + 1);
    if (lines.length !== 49152 - 256 - 2) {
      throw new TokenizerError(`${source}: expected ${49152 - 256 - 2} merges after the header, found ${lines.length}`);
    }
    const merges = lines.map((line, i) => {
      const parts = line.split(/\s+/).filter((p) => p !== '');
      if (parts.length !== 2)
        throw new TokenizerError(`${source}: line ${i + 2} is not a merge ('a b'): ${JSON.stringify(line)}`);
      return parts as [string, string];
    });
    const units = bytesToUnicode();
    for (const [b, ch] of units) {
      this.byteEncoder.set(b, ch);
      this.byteDecoder.set(ch, b);
    }
    const vocab = [
      ...units.map(([, ch]) => ch),
      ...units.map(([, ch]) => `${ch}</w>`),
      ...merges.map(([a, b]) => a + b),
    ];
    vocab.push('<|startoftext|>', '<|endoftext|>');
    vocab.forEach((token, id) => {
      this.encoder.set(token, id);
      this.decoder.push(token);
    });
    merges.forEach(([a, b], rank) => this.ranks.set(`${a} ${b}`, rank));
    this.cache.set('<|startoftext|>', ['<|startoftext|>']);
    this.cache.set('<|endoftext|>', ['<|endoftext|>']);
    this.sotId = this.encoder.get('<|startoftext|>') as number;
    this.eotId = this.encoder.get('<|endoftext|>') as number;
    this.vocabSize = vocab.length;
  }

  /**
   * Reads `bpe_simple_vocab_16e6.txt.gz` (gzipped or not).
   *
   * @throws {TokenizerError} naming the file when it cannot be read or is not CLIP's vocabulary
   */
  static fromFile(path: string): ClipTokenizer {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
      if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
    } catch (cause) {
      throw new TokenizerError(`${path}: cannot read the CLIP BPE vocabulary (${(cause as Error).message})`);
    }
    return new ClipTokenizer(bytes.toString('utf8'), path);
  }

  /** CLIP's text cleaning: `whitespace_clean(basic_clean(text)).lower()`. */
  clean(text: string): string {
    const basic = htmlUnescape(htmlUnescape(fixText(text))).replace(EDGE_WHITESPACE, '');
    return basic.replace(WHITESPACE_RUN, ' ').replace(EDGE_WHITESPACE, '').toLowerCase();
  }

  /** The pre-tokenizer's pieces of cleaned text. */
  preTokenize(cleaned: string): string[] {
    return cleaned.match(PRE_TOKENIZER) ?? [];
  }

  /** The vocabulary strings of one piece (already mapped through `bytes_to_unicode`). */
  private bpe(token: string): string[] {
    const cached = this.cache.get(token);
    if (cached !== undefined) return cached;
    const chars = [...token];
    let word = [...chars.slice(0, -1), `${chars[chars.length - 1]}</w>`];
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < word.length; i++) {
        const rank = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      const first = word[best] as string;
      const second = word[best + 1] as string;
      const merged: string[] = [];
      for (let i = 0; i < word.length;) {
        if (word[i] === first && i + 1 < word.length && word[i + 1] === second) {
          merged.push(first + second);
          i += 2;
        } else {
          merged.push(word[i] as string);
          i += 1;
        }
      }
      word = merged;
    }
    this.cache.set(token, word);
    return word;
  }

  /** The BPE vocabulary strings of `text` (without start/end tokens). */
  bpeTokens(text: string): string[] {
    const out: string[] = [];
    const utf8 = new TextEncoder();
    for (const piece of this.preTokenize(this.clean(text))) {
      const mapped = [...utf8.encode(piece)].map((b) => this.byteEncoder.get(b) as string).join('');
      out.push(...this.bpe(mapped));
    }
    return out;
  }

  /** `SimpleTokenizer.encode(text)`: the ids of `text`, without start/end tokens. */
  encode(text: string): number[] {
    return this.bpeTokens(text).map((t) => this.encoder.get(t) as number);
  }

  /** `SimpleTokenizer.decode(ids)`: the text of ids (`</w>` becomes a space; invalid UTF-8 becomes U+FFFD). */
  decode(ids: readonly number[]): string {
    const chars = ids
      .map((id) => {
        const token = this.decoder[id];
        if (token === undefined) throw new TokenizerError(`decode: id ${id} is outside [0, ${this.vocabSize})`);
        return token;
      })
      .join('');
    const bytes: number[] = [];
    for (const ch of chars) bytes.push(this.byteDecoder.get(ch) ?? 0);
    return new TextDecoder('utf-8').decode(new Uint8Array(bytes)).replaceAll('</w>', ' ');
  }

  /**
   * `clip.tokenize(texts, contextLength, truncate)`: each text as `[SOT, …encode(text), EOT]`, zero-padded to
   * `contextLength`, row-major `[texts.length × contextLength]`.
   *
   * @throws {TokenizerError} naming the text when it is too long and `truncate` is false
   */
  tokenize(texts: readonly string[], options: ClipTokenizeOptions = {}): Int32Array {
    const contextLength = options.contextLength ?? 77;
    const out = new Int32Array(texts.length * contextLength);
    texts.forEach((text, i) => {
      let ids = [this.sotId, ...this.encode(text), this.eotId];
      if (ids.length > contextLength) {
        if (options.truncate !== true) {
          throw new TokenizerError(
            `Input ${JSON.stringify(text)} is too long for context length ${contextLength} (${ids.length} ids)`,
          );
        }
        ids = ids.slice(0, contextLength);
        ids[contextLength - 1] = this.eotId;
      }
      out.set(ids, i * contextLength);
    });
    return out;
  }
}

/**
 * A BERT-style WordPiece tokenizer over a `vocab.txt` (one token per line, id = line number), as Hugging Face's
 * `BertTokenizer` runs it with its defaults: text cleaned (control characters dropped, whitespace unified), every CJK
 * character made its own word, NFC, lower-cased with accents stripped, split on punctuation, then greedy
 * longest-match WordPiece (`##` continuations, `[UNK]` for a word it cannot cover or longer than 100 characters).
 * With the `bert-base-chinese` vocabulary (../shared/data/tokenizers/bert-base-chinese, 21,128 ids, the vocabulary
 * of the Chinese GPT-2 used by ClipCap-Chinese) Chinese text becomes one id per character.
 */
import { readFileSync } from 'node:fs';
import { TokenizerVocabularyError, type TextTokenizer } from './text-tokenizer';

/** Options of {@link BertWordPieceTokenizer}. */
export interface BertWordPieceOptions {
  /** Lower-case and strip accents (Hugging Face's `do_lower_case`, default true). */
  lowerCase?: boolean;
  /** A name for messages (default `'bert-wordpiece'`). */
  name?: string;
}

const MAX_CHARS_PER_WORD = 100;
const SPECIAL_TOKENS = new Set(['[UNK]', '[SEP]', '[PAD]', '[CLS]', '[MASK]']);

function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

const isWhitespace = (ch: string): boolean =>
  ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || /^\p{Zs}$/u.test(ch);
const isControl = (ch: string): boolean => ch !== '\t' && ch !== '\n' && ch !== '\r' && /^\p{C}$/u.test(ch);
function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
    return true;
  return /^\p{P}$/u.test(ch);
}

/**
 * BERT's WordPiece tokenizer (see the file comment). `encode` adds no `[CLS]`/`[SEP]`; their ids, and `[PAD]`'s and
 * `[UNK]`'s, are properties.
 *
 * @example
 * ```ts
 * const tokenizer = BertWordPieceTokenizer.fromFile('../shared/data/tokenizers/bert-base-chinese/vocab.txt');
 * tokenizer.encode('一个男人'); // one id per character
 * ```
 */
export class BertWordPieceTokenizer implements TextTokenizer {
  /** The name given in the options. */
  readonly name: string;
  /** Number of lines of the vocabulary. */
  readonly vocabularySize: number;
  /** Id of `[UNK]`. */
  readonly unkId: number;
  /** Id of `[PAD]`, or undefined when the vocabulary has none. */
  readonly padId: number | undefined;
  /** Id of `[CLS]`, or undefined. */
  readonly clsId: number | undefined;
  /** Id of `[SEP]`, or undefined. */
  readonly sepId: number | undefined;
  private readonly ids = new Map<string, number>();
  private readonly tokens: string[];
  private readonly lowerCase: boolean;

  /**
   * @param vocabulary the tokens, id = index
   * @throws {TokenizerVocabularyError} when the vocabulary has no `[UNK]` or repeats a token
   */
  constructor(vocabulary: readonly string[], options: BertWordPieceOptions = {}) {
    this.name = options.name ?? 'bert-wordpiece';
    this.lowerCase = options.lowerCase ?? true;
    this.tokens = [...vocabulary];
    this.tokens.forEach((token, id) => {
      if (this.ids.has(token)) {
        throw new TokenizerVocabularyError(
          this.name,
          `token '${token}' appears twice (ids ${this.ids.get(token)} and ${id})`,
        );
      }
      this.ids.set(token, id);
    });
    this.vocabularySize = this.tokens.length;
    const unk = this.ids.get('[UNK]');
    if (unk === undefined) throw new TokenizerVocabularyError(this.name, 'the vocabulary has no [UNK] token');
    this.unkId = unk;
    this.padId = this.ids.get('[PAD]');
    this.clsId = this.ids.get('[CLS]');
    this.sepId = this.ids.get('[SEP]');
  }

  /**
   * Reads a `vocab.txt` (one token per line; a final empty line is ignored).
   *
   * @throws {TokenizerVocabularyError} naming the file when it is unusable
   */
  static fromFile(path: string, options: BertWordPieceOptions = {}): BertWordPieceTokenizer {
    const lines = readFileSync(path, 'utf8').split(/\r?\n/);
    if (lines[lines.length - 1] === '') lines.pop();
    return new BertWordPieceTokenizer(lines, { name: `bert-wordpiece (${path})`, ...options });
  }

  /** The words of `text` after BERT's basic tokenization (before WordPiece). */
  basicTokens(text: string): string[] {
    let cleaned = '';
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
      if (isWhitespace(ch)) cleaned += ' ';
      else if (isChineseChar(cp)) cleaned += ` ${ch} `;
      else cleaned += ch;
    }
    const words: string[] = [];
    for (let word of cleaned.normalize('NFC').split(' ')) {
      if (word === '') continue;
      if (SPECIAL_TOKENS.has(word) && this.ids.has(word)) {
        words.push(word); // Hugging Face never splits nor lower-cases its special tokens
        continue;
      }
      if (this.lowerCase)
        word = word
          .toLowerCase()
          .normalize('NFD')
          .replace(/\p{Mn}/gu, '');
      let current = '';
      for (const ch of word) {
        if (isPunctuation(ch)) {
          if (current !== '') words.push(current);
          words.push(ch);
          current = '';
        } else current += ch;
      }
      if (current !== '') words.push(current);
    }
    return words;
  }

  /** The ids of `text`. */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const word of this.basicTokens(text)) {
      const chars = Array.from(word);
      if (chars.length > MAX_CHARS_PER_WORD) {
        out.push(this.unkId);
        continue;
      }
      const pieces: number[] = [];
      let start = 0;
      while (start < chars.length) {
        let end = chars.length;
        let found: number | undefined;
        while (start < end) {
          const piece = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
          found = this.ids.get(piece);
          if (found !== undefined) break;
          end -= 1;
        }
        if (found === undefined) break;
        pieces.push(found);
        start = end;
      }
      if (start < chars.length) out.push(this.unkId);
      else out.push(...pieces);
    }
    return out;
  }

  /**
   * The text of `ids`: `##` pieces joined to the word before, CJK characters without spaces between them, other
   * words separated by one space.
   */
  decode(ids: readonly number[]): string {
    let text = '';
    let previousCjk = false;
    for (const id of ids) {
      const token = this.tokens[id] ?? '[UNK]';
      if (token.startsWith('##')) {
        text += token.slice(2);
        continue;
      }
      const cjk = Array.from(token).length === 1 && isChineseChar(token.codePointAt(0)!);
      if (text !== '' && !(cjk && previousCjk)) text += ' ';
      text += token;
      previousCjk = cjk;
    }
    return text;
  }
}

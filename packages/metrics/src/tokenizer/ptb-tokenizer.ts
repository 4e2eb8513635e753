/**
 * The tokenization coco-caption applies before scoring (`pycocoevalcap/tokenizer/ptbtokenizer.py`): every
 * caption, with `\n` replaced by a space, becomes one line of a file; `java -cp stanford-corenlp-3.4.1.jar
 * edu.stanford.nlp.process.PTBTokenizer -preserveLines -lowerCase` tokenizes the file; its output is split on
 * `\n` and the lines are handed back to the captions in order; each line is right-stripped, split on single
 * spaces, and the tokens of the `PUNCTUATIONS` list are dropped. Pure TypeScript, no Java, no Node API.
 */
import { MetricsInputError } from '../errors';
import { recordInKeyOrder } from '../internal/records';
import { isPythonSpace } from '../internal/token-table';
import { checkImageIdKey } from '../validate';
import { hasNewerUppercase, javaLowerCase } from './java-lower-case';
import { scanPtb, type PtbTokenSink } from './ptb-lexer';

/**
 * coco-caption's `PUNCTUATIONS` list, in its order: the tokens removed after PTB tokenization. The check is
 * exact and happens after lower-casing, so the upper-case bracket tokens never match the `-lrb-`, `-rrb-`,
 * `-lcb-`, `-rcb-` that `-lowerCase` produces (they stay, as in every published coco-caption score), and
 * `-LSB-`/`-RSB-`, `?!`, `!!!`, `$`, `%`, `&`, `#` and the like are not in the list at all.
 */
export const PTB_PUNCTUATION: readonly string[] = Object.freeze([
  "''",
  "'",
  '``',
  '`',
  '-LRB-',
  '-RRB-',
  '-LCB-',
  '-RCB-',
  '.',
  '?',
  '!',
  ',',
  ':',
  '-',
  '--',
  '...',
  ';',
]);

const PUNCTUATION = new Set(PTB_PUNCTUATION);

/** Options of {@link ptbTokenizeLine}. */
export interface PtbTokenizeLineOptions {
  /** Lower-case the tokens, as `PTBTokenizer -lowerCase` (Java `toLowerCase(Locale.ENGLISH)`). Default `true`. */
  lowerCase?: boolean;
  /**
   * Drop the tokens of {@link PTB_PUNCTUATION} as coco-caption does after the tokenizer (with its right-strip of
   * the line first). Default `true`. With `false` the tokens are exactly what the jar prints.
   */
  removePunctuation?: boolean;
}

/** Whether `token` (a verbatim input span `text[start, end)`) is in the lower-case punctuation set. */
function isPunctuationSpan(text: string, start: number, end: number): boolean {
  const c = text.charCodeAt(start);
  switch (end - start) {
    case 1:
      // ' ` . ? ! , : - ;
      return (
        c === 0x27 ||
        c === 0x60 ||
        c === 0x2e ||
        c === 0x3f ||
        c === 0x21 ||
        c === 0x2c ||
        c === 0x3a ||
        c === 0x2d ||
        c === 0x3b
      );
    case 2:
      // '' `` --
      return (c === 0x27 || c === 0x60 || c === 0x2d) && text.charCodeAt(start + 1) === c;
    case 3:
      return c === 0x2e && text.charCodeAt(start + 1) === 0x2e && text.charCodeAt(start + 2) === 0x2e;
    default:
      return false;
  }
}

/** Python's `s.rstrip()`. */
function pythonRstrip(s: string): string {
  let end = s.length;
  while (end > 0 && isPythonSpace(s.charCodeAt(end - 1))) end--;
  return s.slice(0, end);
}

/**
 * Turns the token stream of the whole input into coco-caption's caption strings: for each printed line, the
 * lower-cased line right-stripped (Python whitespace), cut at single spaces, without the tokens of
 * {@link PTB_PUNCTUATION}, joined again with single spaces. The line itself is never built: kept tokens that
 * are contiguous single-space-separated input spans are taken as one slice of the (lower-cased) input.
 */
class CocoCaptionLineSink implements PtbTokenSink {
  /** One string per printed line, up to `maxLines`. */
  readonly lines: string[] = [];
  /** Kept text of the current line when it is not one input span. */
  private built: string | null = null;
  private spanStart = -1;
  private spanEnd = -1;
  /**
   * A token ending in a character Python's `rstrip` strips, held back until we know whether it ends the line
   * (then it is stripped first). Tokens never consist of such characters only, so only the last one matters.
   */
  private heldStart = -1;
  private heldEnd = -1;
  private heldReplacement: string | null = null;

  /**
   * @param text the scanned input
   * @param lowerText the lower-cased `text` when that equals, position by position, Java lower-casing each token
   *   (see `lowerCasedInPlace`); else `null`
   * @param maxLines lines after this many are not needed
   */
  constructor(
    private readonly text: string,
    private readonly lowerText: string | null,
    private readonly maxLines: number,
  ) {}

  token(start: number, end: number, replacement: string | null): void {
    if (this.lines.length >= this.maxLines) return;
    if (replacement !== null && replacement.indexOf('\n') >= 0) {
      // A token holding a line break (quoted SGML attribute): Python splits the printed text there.
      const pieces = replacement.split('\n');
      for (let i = 0; i < pieces.length; i++) {
        if (i > 0 && !this.newline()) return;
        this.token(start, end, pieces[i] as string);
      }
      return;
    }
    if (this.heldStart >= 0) {
      const heldStart = this.heldStart;
      this.heldStart = -1;
      this.keep(heldStart, this.heldEnd, this.heldReplacement);
    }
    const last = replacement === null ? this.text.charCodeAt(end - 1) : replacement.charCodeAt(replacement.length - 1);
    if (isPythonSpace(last)) {
      this.heldStart = start;
      this.heldEnd = end;
      this.heldReplacement = replacement;
      return;
    }
    this.keep(start, end, replacement);
  }

  newline(): boolean {
    if (this.lines.length >= this.maxLines) return false;
    if (this.heldStart >= 0) {
      const heldStart = this.heldStart;
      this.heldStart = -1;
      const token = this.heldReplacement ?? this.text.slice(heldStart, this.heldEnd);
      this.keep(heldStart, this.heldEnd, pythonRstrip(token));
    }
    let line: string;
    if (this.built !== null) line = this.built;
    else if (this.spanStart < 0) line = '';
    else line = this.lower(this.spanStart, this.spanEnd);
    this.lines.push(line);
    this.built = null;
    this.spanStart = -1;
    return this.lines.length < this.maxLines;
  }

  private lower(start: number, end: number): string {
    return this.lowerText !== null ? this.lowerText.slice(start, end) : javaLowerCase(this.text.slice(start, end));
  }

  /** Adds a token to the line unless it is punctuation. */
  private keep(start: number, end: number, replacement: string | null): void {
    if (replacement === null) {
      if (isPunctuationSpan(this.text, start, end)) return;
      if (this.built === null) {
        if (this.spanStart < 0) {
          this.spanStart = start;
          this.spanEnd = end;
          return;
        }
        if (start === this.spanEnd + 1 && this.text.charCodeAt(this.spanEnd) === 0x20) {
          this.spanEnd = end;
          return;
        }
      }
      this.append(this.lower(start, end));
    } else {
      const lowered = javaLowerCase(replacement);
      if (PUNCTUATION.has(lowered)) return;
      this.append(lowered);
    }
  }

  private append(token: string): void {
    if (this.built !== null) this.built = `${this.built} ${token}`;
    else if (this.spanStart >= 0) this.built = `${this.lower(this.spanStart, this.spanEnd)} ${token}`;
    else {
      // First kept token of the line: it still counts as "kept", even when empty.
      this.built = token;
    }
  }
}

/**
 * The lines `PTBTokenizer -preserveLines` prints for `text` (before lower-casing), each as its tokens: tokens
 * are separated by one space and each `*NL*` token (a line break in the input) ends a line. A token that itself
 * holds `\n` (possible only inside a quoted SGML attribute) also breaks the line there, since the Python side
 * splits the printed text on `\n`.
 *
 * @param text the whole input, line breaks included
 * @internal
 */
export function ptbLines(text: string): string[][] {
  const lines: string[][] = [];
  let line: string[] = [];
  scanPtb(text, {
    token(start, end, replacement) {
      if (replacement === null) {
        line.push(text.slice(start, end));
        return;
      }
      const pieces = replacement.split('\n');
      line.push(pieces[0] as string);
      for (let i = 1; i < pieces.length; i++) {
        lines.push(line);
        line = [pieces[i] as string];
      }
    },
    newline() {
      lines.push(line);
      line = [];
      return true;
    },
  });
  lines.push(line);
  return lines;
}

/**
 * What coco-caption makes of one printed line given as its tokens (lower-cased first when `lowerCase`): the
 * line right-stripped, cut at single spaces, punctuation tokens dropped, the rest joined with single spaces.
 */
function cocoCaptionLine(tokens: readonly string[], lowerCase: boolean): string {
  let line = tokens.join(' ');
  if (lowerCase) line = javaLowerCase(line);
  return pythonRstrip(line)
    .split(' ')
    .filter((w) => !PUNCTUATION.has(w))
    .join(' ');
}

/**
 * `text.toLowerCase()`, when slicing it at token boundaries gives exactly Java's lower-casing of each token:
 * not when `text` has a capital sigma (its lower case depends on context), a character Java 17 does not
 * lower-case, or one whose lower case is longer (İ); then `null`.
 */
function lowerCasedInPlace(text: string): string | null {
  if (text.indexOf('\u03a3') >= 0 || hasNewerUppercase(text)) return null;
  const lower = text.toLowerCase();
  return lower.length === text.length ? lower : null;
}

/**
 * Tokenizes one caption the way coco-caption's PTB tokenizer does and returns its tokens.
 *
 * With the defaults the tokens are those coco-caption scores (lower-cased, punctuation removed); with
 * `removePunctuation: false` they are exactly what `PTBTokenizer -preserveLines -lowerCase` prints. Line-break
 * characters in `text` (`\r`, `\n`, U+2028, U+2029, VT, FF) separate tokens; unlike {@link ptbTokenize}, no
 * caption boundary is involved, so nothing shifts. Untokenizable characters (e.g. emoji) are dropped, as the
 * jar drops them.
 *
 * @param text one caption
 * @param options lower-casing and punctuation removal (both on by default)
 * @returns the tokens, possibly none
 * @throws MetricsInputError when `text` is not a string
 *
 * @example
 * ```ts
 * ptbTokenizeLine('A man riding a horse.'); // ['a', 'man', 'riding', 'a', 'horse']
 * ptbTokenizeLine("He said \"hi\".", { removePunctuation: false }); // ['he', 'said', '``', 'hi', "''", '.']
 * ```
 */
export function ptbTokenizeLine(text: string, options: PtbTokenizeLineOptions = {}): string[] {
  if (typeof text !== 'string') {
    throw new MetricsInputError(`expected a string to tokenize, got ${typeof text}`, { field: 'text' });
  }
  const lowerCase = options.lowerCase ?? true;
  const removePunctuation = options.removePunctuation ?? true;
  const tokens: string[] = [];
  for (const line of ptbLines(text)) {
    if (removePunctuation) {
      const kept = cocoCaptionLine(line, lowerCase);
      if (kept !== '') tokens.push(...kept.split(' '));
    } else {
      for (const token of line) tokens.push(lowerCase ? javaLowerCase(token) : token);
    }
  }
  return tokens;
}

/**
 * The coco-caption tokenizer (`PTBTokenizer().tokenize(...)` in pycocoevalcap): image id → raw captions in,
 * image id → tokenized captions out (lower-cased, punctuation tokens removed, tokens joined by single spaces),
 * same ids in the same order, captions in the same order.
 *
 * It reproduces the reference end to end, including its quirks: all captions are tokenized as one text, one
 * caption per line, so a caption's last token can depend on how the next caption starts (`etc.` before a
 * capital letter keeps an extra `.`); and a line break inside a caption other than `\n` (a `\r`, U+2028,
 * U+2029, VT or FF) makes the jar print an extra line, which shifts every later caption onto the line before
 * it (the caption with the break gets only its first part; the last lines are dropped). An id with no captions
 * is kept with an empty list (the reference would drop it and then fail in its scorers).
 *
 * @param captions image id → raw captions
 * @returns image id → tokenized captions
 * @throws MetricsInputError when a caption is not a string or an image id is `__proto__`
 *
 * @example
 * ```ts
 * ptbTokenize({ '42': ['A dog (brown) runs.', "It's  HERE!"] });
 * // { '42': ['a dog -lrb- brown -rrb- runs', "it 's here"] }
 * ```
 */
export function ptbTokenize(captions: Readonly<Record<string, readonly string[]>>): Record<string, string[]> {
  const ids = Object.keys(captions);
  const lists: (readonly string[])[] = new Array<readonly string[]>(ids.length);
  let total = 0;
  ids.forEach((id, i) => {
    checkImageIdKey(id, { imageId: id, field: 'captions' });
    const list: unknown = captions[id];
    if (!Array.isArray(list)) {
      throw new MetricsInputError(`expected a list of captions, got ${typeof list}`, {
        imageId: id,
        field: 'captions',
      });
    }
    lists[i] = list as readonly string[];
    total += list.length;
  });
  // Every caption, `\n` replaced by a space, in order (arrays sized once: 200,000 captions for val2014).
  const texts = new Array<string>(total);
  let t = 0;
  ids.forEach((id, i) => {
    const list = lists[i] as readonly string[];
    for (let index = 0; index < list.length; index++) {
      const caption: unknown = list[index];
      if (typeof caption !== 'string') {
        throw new MetricsInputError(`caption ${index} is not a string (${typeof caption})`, {
          imageId: id,
          field: 'caption',
        });
      }
      texts[t++] = caption.indexOf('\n') < 0 ? caption : caption.replace(/\n/g, ' ');
    }
  });
  let lines: string[] = [];
  if (total > 0) {
    const joined = texts.join('\n');
    const sink = new CocoCaptionLineSink(joined, lowerCasedInPlace(joined), total);
    scanPtb(joined, sink);
    if (sink.lines.length < total) sink.newline(); // the last line has no line break after it
    // As Python's zip(): line k goes to caption k. There are never fewer lines than captions (each joining
    // `\n` yields a line break), so every caption gets one; lines past the last caption are not kept.
    lines = sink.lines;
  }
  // Image i's captions are the next `lists[i].length` lines.
  const tokenized = new Array<string[]>(ids.length);
  let at = 0;
  for (let i = 0; i < ids.length; i++) {
    const count = (lists[i] as readonly string[]).length;
    tokenized[i] = lines.slice(at, at + count);
    at += count;
  }
  return recordInKeyOrder(ids, tokenized);
}

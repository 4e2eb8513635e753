/**
 * The tokenization coco-caption applies before scoring (`pycocoevalcap/tokenizer/ptbtokenizer.py`): every
 * caption, with `\n` replaced by a space, becomes one line of a file; `java -cp stanford-corenlp-3.4.1.jar
 * edu.stanford.nlp.process.PTBTokenizer -preserveLines -lowerCase` tokenizes the file; its output is split on
 * `\n` and the lines are handed back to the captions in order; each line is right-stripped, split on single
 * spaces, and the tokens of the `PUNCTUATIONS` list are dropped. Pure TypeScript, no Java, no Node API.
 */
import { MetricsInputError } from '../errors';
import { lexPtb, NEWLINE_TOKEN } from './ptb-lexer';

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

/**
 * Tokens that lower-case to a member of {@link PTB_PUNCTUATION}: the members without letters (lower-casing
 * only changes letters and a few letter-like symbols, none of which is in the list).
 */
const PUNCTUATION_AFTER_LOWER_CASING = new Set(PTB_PUNCTUATION.filter((p) => p.toLowerCase() === p));

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

/**
 * Python 3 `str.isspace()` for one UTF-16 code unit: what `line.rstrip()` in coco-caption strips.
 */
function isPythonWhitespace(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) ||
    (code >= 0x1c && code <= 0x20) ||
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/**
 * The lines `PTBTokenizer -preserveLines` prints for `text` (before lower-casing), each as its tokens: tokens
 * are separated by one space and each `*NL*` token (a line break in the input) ends a line. A token that itself
 * holds `\n` (possible only inside a quoted SGML attribute) also breaks the line there, since the Python side
 * splits the printed text on `\n`.
 *
 * @param text the whole input, line breaks included
 * @param maxLines stop once this many lines are complete (coco-caption ignores lines beyond its captions)
 */
export function ptbLines(text: string, maxLines = Number.POSITIVE_INFINITY): string[][] {
  const lines: string[][] = [];
  let line: string[] = [];
  for (const token of lexPtb(text)) {
    if (token === NEWLINE_TOKEN) {
      lines.push(line);
      if (lines.length >= maxLines) return lines;
      line = [];
    } else if (token.indexOf('\n') < 0) {
      line.push(token);
    } else {
      const pieces = token.split('\n');
      line.push(pieces[0] as string);
      for (let i = 1; i < pieces.length; i++) {
        lines.push(line);
        if (lines.length >= maxLines) return lines;
        line = [pieces[i] as string];
      }
    }
  }
  lines.push(line);
  return lines;
}

/**
 * What coco-caption makes of one printed line: `' '.join(w for w in line.rstrip().split(' ') if w not in
 * PUNCTUATIONS)`, the line lower-cased first when `lowerCase`.
 */
function cocoCaptionLine(tokens: readonly string[], lowerCase: boolean): string {
  const last = tokens[tokens.length - 1];
  if (last !== undefined && isPythonWhitespace(last.charCodeAt(last.length - 1))) {
    // Rare: a token ending in a character Python strips (e.g. an e-mail-like token ending in U+3000). Do it
    // exactly as Python does, on the printed line.
    let line = tokens.join(' ');
    if (lowerCase) line = line.toLowerCase();
    let end = line.length;
    while (end > 0 && isPythonWhitespace(line.charCodeAt(end - 1))) end--;
    return line
      .slice(0, end)
      .split(' ')
      .filter((w) => !PUNCTUATION.has(w))
      .join(' ');
  }
  const punctuation = lowerCase ? PUNCTUATION_AFTER_LOWER_CASING : PUNCTUATION;
  let kept = '';
  let first = true;
  for (const token of tokens) {
    if (punctuation.has(token)) continue;
    kept = first ? token : `${kept} ${token}`;
    first = false;
  }
  // Lower-casing the joined line equals lower-casing each token (Java does the latter): the only
  // context-dependent mapping, final sigma, never looks across a space.
  return lowerCase ? kept.toLowerCase() : kept;
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
      for (const token of line) tokens.push(lowerCase ? token.toLowerCase() : token);
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
 * @throws MetricsInputError when a caption is not a string
 *
 * @example
 * ```ts
 * ptbTokenize({ '42': ['A dog (brown) runs.', "It's  HERE!"] });
 * // { '42': ['a dog -lrb- brown -rrb- runs', "it 's here"] }
 * ```
 */
export function ptbTokenize(captions: Readonly<Record<string, readonly string[]>>): Record<string, string[]> {
  const owners: string[][] = [];
  const texts: string[] = [];
  const result: Record<string, string[]> = {};
  for (const [id, list] of Object.entries(captions)) {
    if (!Array.isArray(list)) {
      throw new MetricsInputError(`expected a list of captions, got ${typeof list}`, { imageId: id, field: 'captions' });
    }
    const tokenized: string[] = [];
    result[id] = tokenized;
    list.forEach((caption: unknown, index: number) => {
      if (typeof caption !== 'string') {
        throw new MetricsInputError(`caption ${index} is not a string (${typeof caption})`, {
          imageId: id,
          field: 'caption',
        });
      }
      owners.push(tokenized);
      texts.push(caption.indexOf('\n') < 0 ? caption : caption.replace(/\n/g, ' '));
    });
  }
  if (texts.length === 0) return result;
  const lines = ptbLines(texts.join('\n'), texts.length);
  // As Python's zip(): line k goes to caption k. There are never fewer lines than captions (each joining
  // `\n` yields a line break), so every caption gets one.
  lines.forEach((line, k) => (owners[k] as string[]).push(cocoCaptionLine(line, true)));
  return result;
}

/**
 * METEOR 1.5's `-norm` text normalisation for English (`Normalizer.normalizeLine(line, LANG_EN, true)`,
 * punctuation kept): a Moses-style tokenizer with METEOR's additions (quote and dash normalisation, dashes
 * between words and dots in abbreviations removed). Every rule below is a step of the jar's normaliser, in
 * the jar's order; the regular expressions use the `u` flag so that, as in Java, a character outside the
 * BMP is one character.
 *
 * @internal
 */
import { javaTokenize, javaTrim } from './java-compat';

/** The letters METEOR's normaliser knows: ASCII, Latin-1 and Latin Extended-A, Cyrillic. */
const ALPHA =
  'A-Za-z\u0160\u017d\u0161\u017e\u0178\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u017e' +
  '\u0400-\u04ff\u0500-\u0527\ua640-\ua66e\ua67e-\ua697\u1d00-\u1d7f';
/** Digits and letters. */
const ALNUM = `0-9${ALPHA}`;
/** Java's `\s` (without UNICODE_CHARACTER_CLASS): ASCII whitespace only. */
const JAVA_SPACE = ' \\t\\n\\x0B\\f\\r';

/** Any character that is not a letter, digit, space, `.`, `'`, `` ` ``, `,`, `-`, `‘` or `’`: set apart. */
const SEPARATE_OTHER = new RegExp(`([^${ALNUM}${JAVA_SPACE}.'\`,\\-\u2018\u2019])`, 'gu');
const MULTI_DOT = /\.(\.+)/gu;
const MULTI_DOT_NEXT = /DOTMULTI\.([^.])/gu;
const COMMA_NO_DIGITS = /([^0-9]),([^0-9])/gu;
const COMMA_DIGIT_BEFORE = /([0-9]),([^0-9])/gu;
const COMMA_DIGIT_AFTER = /([^0-9]),([0-9])/gu;
const SINGLE_QUOTES = /[`\u2018\u2019]/gu;
const DOUBLE_QUOTES = /[\u201c\u201d]|''/gu;
const DASH_BETWEEN_WORDS = new RegExp(`([${ALNUM}.])-([${ALNUM}])`, 'gu');
const APOSTROPHE_NOT_BETWEEN_LETTERS = new RegExp(`([^${ALPHA}])'([^${ALPHA}])`, 'gu');
const APOSTROPHE_BEFORE_LETTER = new RegExp(`([^${ALPHA}0-9])'([${ALPHA}])`, 'gu');
const APOSTROPHE_AFTER_LETTER = new RegExp(`([${ALPHA}])'([^${ALPHA}])`, 'gu');
const APOSTROPHE_BETWEEN_LETTERS = new RegExp(`([${ALPHA}])'([${ALPHA}])`, 'gu');
const APOSTROPHE_DECADE = /([0-9])'(s)/gu;
/**
 * The rules between the dot escaping and the dot splitting, in the jar's order: commas apart except inside
 * numbers, quotes normalised, dashes normalised and removed between words, English contractions split to the
 * right ("don't" -> "don 't").
 */
const WORD_RULES: ReadonlyArray<readonly [RegExp, string]> = [
  [COMMA_NO_DIGITS, '$1 , $2'],
  [COMMA_DIGIT_BEFORE, '$1 , $2'],
  [COMMA_DIGIT_AFTER, '$1 , $2'],
  [SINGLE_QUOTES, "'"],
  [DOUBLE_QUOTES, ' " '],
  [/\u2013/gu, '-'],
  [/--/gu, '-'],
  [DASH_BETWEEN_WORDS, '$1 $2'],
  [APOSTROPHE_NOT_BETWEEN_LETTERS, "$1 ' $2"],
  [APOSTROPHE_BEFORE_LETTER, "$1 ' $2"],
  [APOSTROPHE_AFTER_LETTER, "$1 ' $2"],
  [APOSTROPHE_BETWEEN_LETTERS, "$1 '$2"],
  [APOSTROPHE_DECADE, "$1 '$2"],
];
const HAS_LETTER = new RegExp(`[${ALPHA}]`, 'u');
const STARTS_LOWERCASE = /^[a-z]/;
const STARTS_DIGIT = /^[0-9]/;
/** A line no normalisation rule changes except spacing. */
const PLAIN_LINE = /^[a-z0-9 ]*$/;
/** The spaces the jar folds into one ASCII space (tabs are not among them). */
const SPACES = /[ \u2000-\u200a\u202f\u205f\u3000\u00a0]+/gu;

/**
 * How a non-breaking prefix keeps its dot: `always` (`Mr.`), or `before-number` (`No. 5`; marked
 * `#NUMERIC_ONLY#` in the list).
 */
export type NonbreakingKind = 'always' | 'before-number';

/**
 * Parses METEOR's `nonbreaking/english.prefixes`: per line, a prefix (first token) and optionally
 * `#NUMERIC_ONLY#`; lines starting with `#` and blank lines are skipped.
 */
export function parseNonbreakingPrefixes(text: string): Map<string, NonbreakingKind> {
  const prefixes = new Map<string, NonbreakingKind>();
  for (const line of text.split(/\r\n|\r|\n/)) {
    const tokens = javaTokenize(line);
    const prefix = tokens[0];
    if (prefix === undefined || prefix.startsWith('#')) continue;
    prefixes.set(prefix, tokens[1] === '#NUMERIC_ONLY#' ? 'before-number' : 'always');
  }
  return prefixes;
}

/** METEOR's English `-norm` normaliser (punctuation kept), built once from the non-breaking prefix list. */
export class MeteorNormalizer {
  /** @param prefixes the non-breaking prefixes, from {@link parseNonbreakingPrefixes} */
  constructor(private readonly prefixes: ReadonlyMap<string, NonbreakingKind>) {}

  /** Normalises one line exactly as `Normalizer.normalizeLine(line, LANG_EN, true)` does (no lower-casing). */
  normalize(line: string): string {
    // Lower-case letters, digits and spaces only (most PTB-tokenized captions): no rule below applies except
    // the final re-spacing, so the result is the words joined by single spaces.
    if (PLAIN_LINE.test(line)) return javaTokenize(line).join(' ');
    let text = ` ${line} `;
    text = text.replace(SEPARATE_OTHER, ' $1 ');

    // Runs of dots are escaped (DOTMULTI...) so that the dot rules below leave them alone.
    text = text.replace(MULTI_DOT, ' DOTMULTI$1');
    while (text.includes('DOTMULTI.')) {
      text = text.replace(MULTI_DOT_NEXT, 'DOTDOTMULTI $1');
      text = text.replaceAll('DOTMULTI.', 'DOTDOTMULTI');
    }

    for (const [pattern, replacement] of WORD_RULES) text = text.replace(pattern, replacement);

    text = this.splitSentenceDots(javaTokenize(text));

    while (text.includes('DOTDOTMULTI')) text = text.replaceAll('DOTDOTMULTI', 'DOTMULTI.');
    text = text.replaceAll('DOTMULTI', '.');

    return javaTrim(text.replace(SPACES, ' '));
  }

  /** Rebuilds the line from its words, splitting a final dot off unless the word is a known abbreviation. */
  private splitSentenceDots(words: readonly string[]): string {
    let out = '';
    for (let i = 0; i < words.length; i++) {
      const word = words[i] as string;
      const next = words[i + 1];
      if (word.length > 1 && word.endsWith('.')) {
        const prefix = word.slice(0, -1);
        const kind = this.prefixes.get(prefix);
        if (prefix.includes('.') && HAS_LETTER.test(prefix)) {
          // Dotted abbreviation (U.S.): dots dropped so that it matches undotted text (US).
          out += word.replaceAll('.', '');
        } else if (kind === 'always' || (next !== undefined && STARTS_LOWERCASE.test(next))) {
          out += word;
        } else if (kind === 'before-number' && next !== undefined && STARTS_DIGIT.test(next)) {
          out += word;
        } else {
          out += `${prefix} .`;
        }
      } else {
        out += word;
      }
      out += ' ';
    }
    return out;
  }
}

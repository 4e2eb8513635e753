/**
 * The character sets the PTB grammar (`ptb-grammar.ts`) is built from, named by what the characters are to
 * the tokenizer. The sets are facts about the Stanford tokenizer (CoreNLP 3.4.1) that coco-caption runs,
 * found by reading its lexer and checked against it character by character (docs/tokenizer.md); they are
 * written here in our own form: named ranges of code units.
 *
 * @internal
 */
import { CharSet } from './char-set';
import { JFLEX_DIGIT_RANGES, JFLEX_LETTER_RANGES, JFLEX_UPPERCASE_RANGES } from './unicode-classes';

/** Code units `first..last` (inclusive), given as one-character strings. */
function between(first: string, last: string): CharSet {
  return CharSet.range(first.charCodeAt(0), last.charCodeAt(0));
}

// --- Unicode categories as the 3.4.1 scanner knows them (Unicode 6.3, BMP; see unicode-classes.ts) ---

/** Letters. */
export const LETTERS: CharSet = CharSet.fromHexList(JFLEX_LETTER_RANGES);
/** Decimal digits of every script. */
export const DIGITS: CharSet = CharSet.fromHexList(JFLEX_DIGIT_RANGES);
/** Upper-case letters (what makes the next word look like a sentence start). */
export const UPPERCASE: CharSet = CharSet.fromHexList(JFLEX_UPPERCASE_RANGES);
/** Letters and digits. */
export const LETTERS_AND_DIGITS: CharSet = CharSet.union(LETTERS, DIGITS);

/**
 * Characters that count as part of a plain word although they are not letters in the table above: the soft
 * hyphen, spacing modifier letters, and the combining marks and vowel signs of Greek, Cyrillic, Armenian,
 * Hebrew, Arabic, Syriac, Thaana, NKo, Devanagari, Bengali, Gurmukhi, Gujarati, Tamil, Telugu, Malayalam,
 * Thai and Lao (plus a few unassigned code units inside those blocks).
 */
const EXTRA_WORD_CHARACTERS = CharSet.fromHexList(`
  ad 2c2-2c5 2d2-2df 2e5-2eb 2ed 2ef-36f 375 378-379 384-385 3f6 483-487 55a-55f 591-5bd 5bf 5c1-5c2 5c4-5c5
  5c7 615-61a 64b-65e 670 6d6-6e4 6e7-6ed 6fd-6fe 70f 711 730-74c 7a6-7b0 7eb-7f3 900-903 93c 93e-94e 951-955
  962-963 981-983 9bc 9be-9c4 9c7-9c8 9cb-9cd 9d7 9e2-9e3 a01-a03 a3c a3e-a4f a81-a83 abc abe-acf b82 bbe-bc2
  bc6-bc8 bca-bcd c01-c03 c3e-c56 d3e-d44 d46-d48 e31 e34-e3a e47-e4e eb1 eb4-ebc ec8-ecd`);

/** What a plain word is made of (besides letter entities such as `&eacute;`, see the grammar). */
export const WORD_CHARACTERS: CharSet = CharSet.union(LETTERS, EXTRA_WORD_CHARACTERS);

// --- ASCII ---

/** `A`–`Z`. */
export const ASCII_UPPER: CharSet = between('A', 'Z');
/** `a`–`z`. */
export const ASCII_LOWER: CharSet = between('a', 'z');
/** `A`–`Z`, `a`–`z`. */
export const ASCII_LETTERS: CharSet = CharSet.union(ASCII_UPPER, ASCII_LOWER);
/** `0`–`9`. */
export const ASCII_DIGITS: CharSet = between('0', '9');
/** ASCII letters and digits. */
export const ASCII_ALPHANUMERIC: CharSet = CharSet.union(ASCII_LETTERS, ASCII_DIGITS);

// --- Layout ---

/** Horizontal space: space, tab, no-break space, the typographic spaces U+2000–U+200A, ideographic space. */
export const SPACE_CHARACTERS: CharSet = CharSet.union(CharSet.of(' \t\u00a0\u3000'), CharSet.range(0x2000, 0x200a));
/**
 * Single characters that break a line: LF, CR, VT, FF, NEL (U+0085), LINE and PARAGRAPH SEPARATOR. (CR LF is
 * one break; NEL is read as an ellipsis instead, by the punctuation rules.)
 */
export const LINE_BREAK_CHARACTERS: CharSet = CharSet.of('\n\r\u000b\u000c\u0085\u2028\u2029');
/** Characters dropped without a trace: NUL, DEL, zero-width space, the two direction marks, byte-order mark. */
export const INVISIBLE_CHARACTERS: CharSet = CharSet.of('\u0000\u007f\u200b\u200e\u200f\ufeff');

// --- Apostrophes, quotes, hyphens ---

/** Apostrophes: ASCII `'`, the Windows-1252 right quote as C1 control U+0092, and U+2019. */
export const APOSTROPHES: CharSet = CharSet.of("'\u0092\u2019");
/** Other marks accepted inside words where an apostrophe belongs: `` ` ``, U+0091, U+2018, U+201B. */
export const APOSTROPHE_LOOKALIKES: CharSet = CharSet.of('`\u0091\u2018\u201b');
/** Quotation marks read as quote tokens (one or two together). */
export const QUOTATION_MARKS: CharSet = CharSet.of(
  '`\u0091\u0092\u0093\u0094\u00ab\u00bb\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2039\u203a',
);
/** What joins the parts of a compound word: hyphen-minus, underscore, Armenian hyphen, U+2010, U+2011. */
export const COMPOUND_JOINERS: CharSet = CharSet.of('-_\u058a\u2010\u2011');
/** Long dashes, all written `--`: U+0096, U+0097 (Windows-1252 dashes as C1 controls), U+2013–U+2015. */
export const LONG_DASHES: CharSet = CharSet.union(CharSet.of('\u0096\u0097'), CharSet.range(0x2013, 0x2015));

// --- Numbers and money ---

/** Separators inside a number: `.`, `:`, `,`, the soft hyphen, Arabic decimal and thousands separators. */
export const NUMBER_SEPARATORS: CharSet = CharSet.of('.:,\u00ad\u066b\u066c');
/** Superscript digits. */
export const SUPERSCRIPT_DIGITS: CharSet = CharSet.union(
  CharSet.of('\u00b2\u00b3\u00b9\u2070'),
  CharSet.range(0x2074, 0x2079),
);
/** Subscript digits. */
export const SUBSCRIPT_DIGITS: CharSet = CharSet.range(0x2080, 0x2089);
/** Superscript and subscript plus and minus. */
export const RAISED_OR_LOWERED_SIGNS: CharSet = CharSet.of('\u207a\u207b\u208a\u208b');
/** Vulgar fractions `¼ ½ ¾` and U+2153–U+215E. */
export const VULGAR_FRACTIONS: CharSet = CharSet.union(CharSet.of('\u00bc\u00bd\u00be'), CharSet.range(0x2153, 0x215e));
/**
 * Currency signs other than `$` and `#`: cent, pound, currency sign, yen, the euro as C1 control U+0080,
 * euro-currency sign, euro, Afghani, Baht, lira, and the full-width cent, pound, yen and won.
 */
export const CURRENCY_SIGNS: CharSet = CharSet.of(
  '\u0080\u00a2\u00a3\u00a4\u00a5\u060b\u0e3f\u20a0\u20a4\u20ac\uffe0\uffe1\uffe5\uffe6',
);

// --- Punctuation and symbols ---

/** Punctuation inside a sentence: comma, semicolon, colon, ideographic comma. */
export const CLAUSE_PUNCTUATION: CharSet = CharSet.of(',;:\u3001');
/**
 * Single sentence-final or sentence-opening marks (besides `?` and `!` runs): full stop, `¡`, `¿`, Greek
 * question mark, Armenian full stop, Arabic question mark and full stop, Syriac end marks, NKo full stop
 * (U+07FA), ideographic full stop.
 */
export const SENTENCE_MARKS: CharSet = CharSet.union(
  CharSet.of('.\u00a1\u00bf\u037e\u0589\u061f\u06d4\u07fa\u3002'),
  CharSet.range(0x0700, 0x0702),
);
/**
 * Stand-alone symbols, one per token: ASCII `% & + \ ^ | ~`; Latin-1 signs (`¦ § ¨ © ¬ ® ¯ ° ± ² ³ ´ µ ¶ · ¸ ¹ º
 * × ÷`); Greek ano teleia; Hebrew, Arabic, Syriac, NKo, Devanagari and Thai punctuation signs; letterlike
 * symbols, arrows, mathematical operators and other technical symbols (U+2100–U+2BFF); some general
 * punctuation (daggers, per mille, primes, ...); and full-width ASCII punctuation.
 */
export const SYMBOLS: CharSet = CharSet.fromHexList(`
  25-26 2b 5c 5e 7c 7e a6-a9 ac ae-ba d7 f7 387 5be 5c0 5c3 5c6 5f3-5f4 600-603 606-60a 60c 614 61b 61e 66a 66d
  703-70d 7f6-7f8 964-965 e4f 1fbd 2016-2017 2020-2023 2030-2038 203b 203e-2042 2044 207a-207f 208a-208e
  2100-214f 2190-2bff 3012 30fb ff01-ff0f ff1a-ff20 ff3b-ff40 ff5b-ff65`);

// --- Web addresses ---

/** Characters a web or e-mail address never contains: ASCII white space (not VT) and `" < > | ( ) { }`. */
export const ADDRESS_BREAKERS: CharSet = CharSet.of(' \t\n\f\r"<>|(){}');
/** What may not end a web address: the breakers and `. ! ? , -`. */
export const ADDRESS_END_BREAKERS: CharSet = CharSet.union(ADDRESS_BREAKERS, CharSet.of('.!?,-'));

/**
 * The token grammar of the PTB tokenizer that coco-caption runs (Stanford CoreNLP 3.4.1, `PTBTokenizer
 * -preserveLines -lowerCase`), written as named building blocks for our scanner generator (`regex.ts`,
 * `lazy-dfa.ts`). The behaviour is the reference's, with the options that command line implies: the PTB3
 * normalisations (`-LRB-` for brackets, LaTeX quotes, `...`, `--`, `&amp;` → `&`, currency and fraction
 * normalisation, spaces inside a token → U+00A0), line breaks as tokens, `cannot` → `can not` and the like,
 * no American spelling, untokenizable characters deleted. The organisation, names and wording are ours; the
 * character sets and word lists come from `ptb-characters.ts` and `ptb-word-lists.ts`. docs/tokenizer.md
 * says how the equivalence with the reference was established.
 *
 * How the scanner uses {@link TOKEN_RULES}: at each position it takes the longest text that some rule
 * matches (a rule's `followedBy` context counts towards that length but is left for the next token); among
 * rules matching equally long text, the one listed first wins. The list order is therefore part of the
 * behaviour.
 *
 * @internal
 */
import { CharSet } from './char-set';
import {
  ADDRESS_BREAKERS,
  ADDRESS_END_BREAKERS,
  APOSTROPHE_LOOKALIKES,
  APOSTROPHES,
  ASCII_ALPHANUMERIC,
  ASCII_DIGITS,
  ASCII_LETTERS,
  ASCII_UPPER,
  CLAUSE_PUNCTUATION,
  COMPOUND_JOINERS,
  CURRENCY_SIGNS,
  DIGITS,
  INVISIBLE_CHARACTERS,
  LETTERS,
  LETTERS_AND_DIGITS,
  LINE_BREAK_CHARACTERS,
  LONG_DASHES,
  NUMBER_SEPARATORS,
  QUOTATION_MARKS,
  RAISED_OR_LOWERED_SIGNS,
  SENTENCE_MARKS,
  SPACE_CHARACTERS,
  SUBSCRIPT_DIGITS,
  SUPERSCRIPT_DIGITS,
  SYMBOLS,
  UPPERCASE,
  VULGAR_FRACTIONS,
  WORD_CHARACTERS,
} from './ptb-characters';
import {
  ABBREVIATIONS_BEFORE_LOWERCASE,
  ABBREVIATIONS_BEFORE_NAMES,
  ABBREVIATIONS_BEFORE_NUMBERS,
  ACCENT_ENTITY_NAMES,
  ADDRESS_DOMAINS,
  APOSTROPHE_WORDS,
  ASCII_APOSTROPHE_WORDS,
  CAPITALIZED_STATE_ABBREVIATIONS,
  CAPITALIZED_TITLES,
  COMPANY_FORMS_BEFORE_LIMITED,
  DASH_ENTITIES,
  FILE_EXTENSIONS,
  LANGUAGE_NAMES,
  LIMITED_WORD_STARTS,
  LOWER_CASE_SECOND_LETTER_ABBREVIATIONS,
  PROPRIETARY_COMPANY_FORMS,
  PUNCTUATION_ENTITIES,
  SENTENCE_OPENERS,
  SPLIT_CONTRACTIONS,
  TREEBANK_FORMS,
  US_COMPOUNDS,
} from './ptb-word-lists';
import {
  anyCase,
  capitalized,
  chars,
  charsExcept,
  oneOf,
  oneOrMore,
  optional,
  repeat,
  seq,
  UNBOUNDED,
  zeroOrMore,
  type Regex,
  type RegexPart,
} from './regex';

/** What a rule does with the text it matched. */
export enum Action {
  /** The matched text is the token. */
  Text,
  /** Nothing is emitted (spaces, invisible characters, `&nbsp;`). */
  Skip,
  /** A line break: the `*NL*` token, which `-preserveLines` prints as a newline. */
  Newline,
  /** A character the grammar has no token for: deleted (the reference logs a warning for the first one). */
  Untokenizable,
  /** The text without its last {@link TokenRule.pushBack} characters is the token; those are scanned again. */
  SplitOffTail,
  /** Soft hyphens (U+00AD) removed; `-` if nothing is left. */
  RemoveSoftHyphens,
  /** `&amp;` (any case) → `&`. */
  NormalizeAmpersand,
  /** Spaces → U+00A0, so the token stays one when the printed line is split on spaces. */
  SpacesToNbsp,
  /** Phone numbers: spaces → U+00A0, `(`/`)` → `-LRB-`/`-RRB-`. */
  Phone,
  /** `(`/`)` inside the token → `-LRB-`/`-RRB-` (smileys). */
  ParenthesesInside,
  /** Quotes to LaTeX style (`` ` `` and ` `` `), as an opening quote. */
  OpeningQuote,
  /** Quotes to LaTeX style (`'` and `''`), as a closing quote. */
  ClosingQuote,
  /** The fixed token {@link TokenRule.replacement}. */
  Replace,
  /** A run of `-`: 3 or 4 of them → `--`, other lengths unchanged. */
  Hyphens,
  /** `¼ ½ ¾ ⅓ ⅔` → `1/4 1/2 3/4 1/3 2/3`; the other vulgar fractions unchanged. */
  Fraction,
  /** `¢` → `cents`, `£` → `#`, `¤ € ₠` and U+0080 → `$`; the other currency signs unchanged. */
  Currency,
  /**
   * An acronym whose period ends the sentence: a one-letter acronym (`I.`) gives the letter, then the period
   * is scanned again; a longer one keeps its period and the period is scanned again too (`U.S.` `.`).
   */
  AcronymAtSentenceEnd,
  /** An abbreviation whose period ends the sentence: it keeps its period and the period is scanned again. */
  AbbreviationAtSentenceEnd,
}

/** One token rule: a pattern, an optional context that must follow it, and what to do with the match. */
export interface TokenRule {
  /** What the rule recognises, for messages and tests. */
  readonly name: string;
  /** The token's text. */
  readonly pattern: Regex;
  /** Text that must follow for the rule to apply; not part of the token, but part of the match length. */
  readonly followedBy?: Regex;
  /** What the rule does with the matched text. */
  readonly action: Action;
  /** The token of an {@link Action.Replace} rule. */
  readonly replacement?: string;
  /** How many final characters of an {@link Action.SplitOffTail} match are scanned again. */
  readonly pushBack?: number;
}

/** A rule; `followedBy` is the context that must come after the token. */
function rule(name: string, pattern: Regex, action: Action = Action.Text, followedBy?: Regex): TokenRule {
  return followedBy === undefined ? { name, pattern, action } : { name, pattern, followedBy, action };
}

/** Any one of `words`, each matched in any letter case. */
function anyWord(words: readonly string[]): Regex {
  return oneOf(...words);
}

/** Any one of `words`, each with the capital first letter written, the rest in any case. */
function anyCapitalizedWord(words: readonly string[]): Regex {
  return oneOf(...words.map(capitalized));
}

/** `text` in any letter case, each `mark` standing for `stand` (`'`: any apostrophe; `&`: `&` or `&amp;`). */
function markStandingFor(text: string, mark: string, stand: Regex): Regex {
  return seq(...text.split(mark).flatMap((piece, i): RegexPart[] => (i === 0 ? [piece] : [stand, piece])));
}

/** `min` to `max` decimal digits of any script. */
function digits(min: number, max: number): Regex {
  return repeat(digit, min, max);
}

/** `min` to `max` ASCII digits. */
function asciiDigits(min: number, max: number): Regex {
  return repeat(chars(ASCII_DIGITS), min, max);
}

/** Any code unit. */
const anyCodeUnit = charsExcept('');

// ---------------------------------------------------------------------------------------------------------
// Layout
// ---------------------------------------------------------------------------------------------------------

/** One horizontal space character (see {@link SPACE_CHARACTERS}). */
const space = chars(SPACE_CHARACTERS);

/** One line break; CR LF counts as one. */
const lineBreak = oneOf('\r\n', chars(LINE_BREAK_CHARACTERS));

/** A space or a line break. */
const spaceOrLineBreak = oneOf(space, lineBreak);

// ---------------------------------------------------------------------------------------------------------
// Markup and character entities
// ---------------------------------------------------------------------------------------------------------

/** An SGML/XML/HTML tag name: an ASCII letter, then ASCII letters, digits, `_ : . -`. */
const tagName = seq(chars(ASCII_LETTERS), zeroOrMore(chars(CharSet.union(ASCII_ALPHANUMERIC, CharSet.of('_:.-')))));

/** Any number of ASCII spaces (the only space allowed inside a tag). */
const tagBlanks = zeroOrMore(chars(' '));

/** An attribute inside a start tag: a bare name, or `name = 'value'` / `name = "value"`. */
const tagAttribute = oneOf(
  tagName,
  seq(
    tagName,
    tagBlanks,
    '=',
    tagBlanks,
    oneOf(seq("'", zeroOrMore(charsExcept("'")), "'"), seq('"', zeroOrMore(charsExcept('"')), '"')),
  ),
);

/**
 * A markup tag on one line, kept as one token: `<p>`, `</p>`, `<br/>`, `<a href="x">`, and `<!...>` / `<?...>`
 * declarations, comments and processing instructions.
 */
const markupTag = seq(
  '<',
  oneOf(
    seq(chars('!?'), chars(CharSet.union(ASCII_LETTERS, CharSet.of('-'))), zeroOrMore(charsExcept('>\r\n'))),
    seq(tagName, zeroOrMore(seq(oneOrMore(chars(' ')), tagAttribute)), tagBlanks, optional('/')),
    seq('/', tagName),
  ),
  tagBlanks,
  '>',
);

/** A named character entity `&name;` for any of `names` (any case). */
function entity(...names: RegexPart[]): Regex {
  return seq('&', oneOf(...names), ';');
}

/** `&amp;`, written out as `&`. */
const ampersandEntity = anyCase('&amp;');

/** An ampersand, literal or as `&amp;`. */
const ampersand = oneOf('&', ampersandEntity);

/** Entities of punctuation kept as they are written (`&odq;`, `&#8220;`). */
const punctuationEntity = entity(...PUNCTUATION_ENTITIES, seq('#', oneOrMore(chars(ASCII_DIGITS))));

/** An accented vowel as an entity (`&eacute;`, `&Ouml;`), which counts as a letter. */
const accentedVowelEntity = seq('&', chars('aeiouAEIOU'), oneOf(...ACCENT_ENTITY_NAMES), ';');

/** `<` or `&lt;`. */
const lessThan = oneOf('<', '&lt;');

/** `>` or `&gt;`. */
const greaterThan = oneOf('>', '&gt;');

// ---------------------------------------------------------------------------------------------------------
// Letters, digits, apostrophes
// ---------------------------------------------------------------------------------------------------------

/** A decimal digit of any script. */
const digit = chars(DIGITS);

/**
 * A letter of a plain word: a letter, a combining mark or the soft hyphen (see {@link WORD_CHARACTERS}), or an
 * accented-vowel entity.
 */
const wordLetter = oneOf(chars(WORD_CHARACTERS), accentedVowelEntity);

/** A letter or digit in the strict sense (no combining marks, no entities): what compounds are made of. */
const letterOrDigit = chars(LETTERS_AND_DIGITS);

/** An apostrophe: `'`, U+0092, U+2019 or `&apos;`. */
const apostrophe = oneOf(chars(APOSTROPHES), '&apos;');

/** An apostrophe or a mark typed in its place inside a word (`` ` ``, U+0091, U+2018, U+201B). */
const apostropheOrLookalike = oneOf(apostrophe, chars(APOSTROPHE_LOOKALIKES));

// ---------------------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------------------

/** A run of word letters and digits that starts with a letter. */
const letterRun = seq(wordLetter, zeroOrMore(oneOf(wordLetter, digit)));

/** A plain word: letter runs joined by single `.`, `!` or `?` (`dog`, `U.S`, `Yahoo!Inc`). */
const word = seq(letterRun, zeroOrMore(seq(chars('.!?'), letterRun)));

/** A clitic after an apostrophe: `'s 'm 'd 're 've 'll` (`it's`, `we'll`). */
const apostropheClitic = seq(apostrophe, oneOf(chars('msdMSD'), 're', 've', 'll'));

/** The negation clitic `n't` (any apostrophe or lookalike). */
const negationClitic = seq('n', apostropheOrLookalike, 't');

/**
 * An ASCII word that ends in a letter other than `n` (soft hyphens may trail): what stays before `n't`, so
 * `don't` gives `do` + `n't` and `can't` gives `ca` + `n't`.
 */
const wordBeforeNegation = seq(
  zeroOrMore(chars(CharSet.union(ASCII_LETTERS, CharSet.of('\u00ad')))),
  chars(ASCII_LETTERS.minus(CharSet.of('nN'))),
  zeroOrMore(chars('\u00ad')),
);

/**
 * Words with an apostrophe that stay one token: the listed ones; `'n'` of "rock 'n' roll"; French and
 * Italian elisions `l' d' j'`; names such as `O'Neill`, `D'Arcy` (a capital other than `I` and `Y`, or
 * `n`, then an apostrophe and at least two letters); decades `'90s`; apostrophes between vowels
 * (`Hawai'i`); and `O'o`.
 */
const apostropheWord = oneOf(
  ...APOSTROPHE_WORDS.map((w) => markStandingFor(w, "'", apostrophe)),
  ...ASCII_APOSTROPHE_WORDS,
  seq(apostrophe, 'n', optional(apostrophe)),
  seq(chars('lLdDjJ'), apostrophe),
  seq(
    chars(CharSet.union(CharSet.range(0x41, 0x48), CharSet.range(0x4a, 0x58), CharSet.of('Zn'))),
    apostropheOrLookalike,
    repeat(chars(LETTERS), 2, UNBOUNDED),
  ),
  seq(apostrophe, chars('23456789'), '0s'),
  seq(
    oneOrMore(chars(LETTERS)),
    chars('aeiouyAEIOUY'),
    apostropheOrLookalike,
    chars(CharSet.union(CharSet.of('aeiou'), ASCII_UPPER)),
    zeroOrMore(chars(LETTERS)),
  ),
  seq('o', apostropheOrLookalike, 'o'),
);

/** `c++`, `c#`, `f#`. */
const languageName = anyWord(LANGUAGE_NAMES);

/** A file name: dot-separated parts of letters and digits, the last one of {@link FILE_EXTENSIONS}. */
const fileName = seq(
  oneOrMore(oneOf(wordLetter, digit)),
  zeroOrMore(seq('.', oneOrMore(oneOf(wordLetter, digit)))),
  '.',
  anyWord(FILE_EXTENSIONS),
);

/** Forms the Penn Treebank keeps whole: bracket names (`-LRB-`), `pro-`, `anti-`, `S&P-500`, `S&Ls`, `Cap'n`, ... */
const treebankForm = oneOf(
  seq('-', anyWord(TREEBANK_FORMS.bracketNames), '-'),
  ...TREEBANK_FORMS.prefixes,
  ...TREEBANK_FORMS.ampersandForms.map((form) => markStandingFor(form, '&', ampersand)),
  ...TREEBANK_FORMS.apostropheForms.map((form) => markStandingFor(form, "'", apostrophe)),
);

// ---------------------------------------------------------------------------------------------------------
// Acronyms
// ---------------------------------------------------------------------------------------------------------

/** `Sino-U.S`, `non-U.S`, `U.S.-U.K`, ...: compounds with `U.S` that count as acronyms. */
const usCompound = oneOf(seq(anyWord(US_COMPOUNDS.prefixes), '-U.S'), seq('U.S.-', anyWord(US_COMPOUNDS.suffixes)));

/** An acronym without its final period: an ASCII letter, dotted letters (`I`, `U.S`, `p.m`) or a {@link usCompound}. */
const acronym = oneOf(seq(chars(ASCII_LETTERS), zeroOrMore(seq('.', chars(ASCII_LETTERS)))), usCompound);

/** A dotted acronym of two or more letters, or a {@link usCompound}, without the final period. */
const dottedAcronym = oneOf(seq(chars(ASCII_LETTERS), oneOrMore(seq('.', chars(ASCII_LETTERS)))), usCompound);

// ---------------------------------------------------------------------------------------------------------
// Compounds
// ---------------------------------------------------------------------------------------------------------

/** An elided article or preposition before a word: `d'`, `o'`, `l'` followed by the word's first letter or digit. */
const elision = seq(chars('dDoOlL'), apostropheOrLookalike, letterOrDigit);

/** One part of a hyphenated compound: letters and digits, possibly after an elision (`l'amour`). */
const compoundPart = seq(optional(elision), oneOrMore(letterOrDigit));

/** Parts joined by hyphens or underscores (`mother-in-law`, `snake_case`, `o'clock`). */
const hyphenatedCompound = seq(compoundPart, zeroOrMore(seq(chars(COMPOUND_JOINERS), compoundPart)));

/** Capitals joined by `+` or `&` (`AT&T`, `R+D`), the `&` possibly written `&amp;`. */
const capitalsWithAmpersand = seq(
  oneOrMore(chars(ASCII_UPPER)),
  oneOrMore(seq(oneOf(chars('+&'), ampersandEntity), oneOrMore(chars(ASCII_UPPER)))),
);

/** A slash-compound part: ASCII letters and digits, then up to two `-letters` (`and`, `black-and`). */
const slashPart = seq(oneOrMore(chars(ASCII_ALPHANUMERIC)), repeat(seq('-', oneOrMore(chars(ASCII_LETTERS))), 0, 2));

/** Two or three parts joined by `/` or `\/` (`and/or`, `black-and-white/colour`, `1/2a`). */
const slashCompound = seq(slashPart, repeat(seq(optional('\\'), '/', slashPart), 1, 2));

/**
 * A hyphenated compound that starts with ASCII letters and digits and may hold `.`, `,` and soft hyphens
 * before its first hyphen, and whose later parts may be dotted acronyms with their final period
 * (`3.5-inch`, `1,000-strong`, `non-U.S.`).
 */
const hyphenatedWithAcronyms = seq(
  chars(ASCII_ALPHANUMERIC),
  zeroOrMore(chars(CharSet.union(ASCII_ALPHANUMERIC, CharSet.of('.,\u00ad')))),
  oneOrMore(
    seq('-', oneOf(oneOrMore(chars(CharSet.union(ASCII_ALPHANUMERIC, CharSet.of('\u00ad')))), seq(dottedAcronym, '.'))),
  ),
);

// ---------------------------------------------------------------------------------------------------------
// Web
// ---------------------------------------------------------------------------------------------------------

/**
 * A web address with its scheme: `http://` or `https://`, then anything up to white space or a bracket, not ending
 * in punctuation.
 */
const fullWebAddress = seq(
  'http',
  optional('s'),
  '://',
  oneOrMore(charsExcept(ADDRESS_BREAKERS)),
  charsExcept(ADDRESS_END_BREAKERS),
);

/**
 * What may not appear in a label of a bare address such as `example.com`: the breakers, `` ` ' . ! ? $ ``,
 * and the whole ASCII range from `,` to `_` (punctuation, digits and capital letters), which the reference
 * excludes as a range.
 */
const BARE_LABEL_EXCLUDED = CharSet.union(ADDRESS_BREAKERS, CharSet.of("`'.!?$"), CharSet.range(0x2c, 0x5f));

/**
 * A web address without a scheme: `www.` + dot-separated labels + a 2-4 letter top-level domain, or labels
 * ending in `.com`, `.net`, `.org` or `.edu`; then maybe a path that does not end in punctuation.
 */
const likelyWebAddress = seq(
  oneOf(
    seq(
      'www.',
      oneOrMore(seq(oneOrMore(charsExcept(CharSet.union(ADDRESS_BREAKERS, CharSet.of('.!?,')))), '.')),
      repeat(chars(ASCII_LETTERS), 2, 4),
    ),
    seq(oneOrMore(seq(oneOrMore(charsExcept(BARE_LABEL_EXCLUDED)), '.')), anyWord(ADDRESS_DOMAINS)),
  ),
  optional(seq('/', oneOrMore(charsExcept(' \t\n\f\r"<>|()')), charsExcept(ADDRESS_END_BREAKERS))),
);

/** An e-mail address, maybe in angle brackets (`<a@b.org>`, also as `&lt;` `&gt;`). */
const emailAddress = seq(
  optional(lessThan),
  chars(ASCII_ALPHANUMERIC),
  zeroOrMore(charsExcept(CharSet.union(ADDRESS_BREAKERS, CharSet.of('\u00a0')))),
  '@',
  zeroOrMore(seq(oneOrMore(charsExcept(CharSet.union(ADDRESS_BREAKERS, CharSet.of('.\u00a0')))), '.')),
  oneOrMore(charsExcept(CharSet.union(ADDRESS_BREAKERS, CharSet.of('.\u00a0')))),
  optional(greaterThan),
);

/** A Twitter name (`@user_1`) or a hashtag (`#tbt`). */
const socialName = oneOf(
  seq(
    '@',
    chars(CharSet.union(ASCII_LETTERS, CharSet.of('_'))),
    zeroOrMore(chars(CharSet.union(ASCII_ALPHANUMERIC, CharSet.of('_')))),
  ),
  seq('#', oneOrMore(wordLetter)),
);

// ---------------------------------------------------------------------------------------------------------
// Numbers and money
// ---------------------------------------------------------------------------------------------------------

/** A date with `-` or `/`: `12/31/1999`, `1-2-03`. */
const date = seq(digits(1, 2), chars('-/'), digits(1, 2), chars('-/'), digits(2, 4));

/**
 * A number with an optional sign, its digit groups separated by any of {@link NUMBER_SEPARATORS} (`-1,000.5`, `.5`,
 * `10:30`).
 */
const number = seq(
  optional(chars('-+')),
  oneOf(oneOrMore(digit), seq(zeroOrMore(digit), oneOrMore(seq(chars(NUMBER_SEPARATORS), oneOrMore(digit))))),
);

/** Superscript or subscript digits with an optional raised/lowered sign (`²`, `⁻¹`, `₂`). */
const raisedOrLoweredNumber = seq(
  optional(chars(RAISED_OR_LOWERED_SIGNS)),
  oneOf(oneOrMore(chars(SUPERSCRIPT_DIGITS)), oneOrMore(chars(SUBSCRIPT_DIGITS))),
);

/**
 * A fraction with up to 4 digits on each side, maybe after a whole number and a space or hyphen (`3/4`, `3 1/2`,
 * `2-1\/2`, `1⁄3`).
 */
const fraction = seq(
  optional(seq(digits(1, 4), chars('- \u00a0'))),
  digits(1, 4),
  oneOf(seq(optional('\\'), '/'), '\u2044'),
  digits(1, 4),
);

/** A dollar sign, maybe after capitals naming the dollar (`US$`, `HK$`), or `#` (the PTB's pound sign). */
const dollarSign = oneOf(seq(zeroOrMore(chars(ASCII_UPPER)), '$'), '#');

/** A phone number with spaces, hyphens or an area code in brackets: `(555) 123-4567`, `+44 20 7946 0958`. */
const spacedPhoneNumber = seq(
  oneOf(
    seq('(', asciiDigits(2, 3), ')', optional(chars(' \u00a0'))),
    seq(
      optional(seq('+', optional('+'))),
      optional(seq(asciiDigits(2, 4), chars('- \u00a0'))),
      asciiDigits(2, 4),
      chars('- \u00a0'),
    ),
  ),
  asciiDigits(3, 4),
  optional(chars('- \u00a0')),
  asciiDigits(3, 5),
);

/** A phone number with dots: `555.123.4567`, `+1.555.123.4567`. */
const dottedPhoneNumber = seq(
  optional(seq(optional(seq('+', optional('+'))), asciiDigits(2, 4), '.')),
  asciiDigits(2, 4),
  '.',
  asciiDigits(3, 4),
  '.',
  asciiDigits(3, 5),
);

// ---------------------------------------------------------------------------------------------------------
// Abbreviations
// ---------------------------------------------------------------------------------------------------------

/** Abbreviations after which a lower-case word is expected (months, states, company forms, ...), with their period. */
const abbreviationBeforeLowercase = seq(
  oneOf(
    anyWord(ABBREVIATIONS_BEFORE_LOWERCASE),
    anyCapitalizedWord(CAPITALIZED_STATE_ABBREVIATIONS),
    seq(
      anyWord(PROPRIETARY_COMPANY_FORMS.prefixes),
      chars(PROPRIETARY_COMPANY_FORMS.lowerCaseOnlyLetters),
      optional(PROPRIETARY_COMPANY_FORMS.optionalSuffix),
    ),
  ),
  '.',
);

/** Abbreviations usually followed by a name (titles and the like) and acronyms, without their period. */
const abbreviationBeforeName = oneOf(
  anyWord(ABBREVIATIONS_BEFORE_NAMES),
  anyCapitalizedWord(CAPITALIZED_TITLES),
  ...LOWER_CASE_SECOND_LETTER_ABBREVIATIONS.map((w) => seq(w.charAt(0), chars(w.charAt(1)), w.slice(2))),
  acronym,
);

/** A word that, with a capital, opens a sentence after an acronym (`The`, `However`), or a markup tag. */
const sentenceOpener = oneOf(anyCapitalizedWord(SENTENCE_OPENERS), markupTag);

/**
 * What shows that a sentence ended before it: a space or line break, then another one, an upper-case letter or a
 * markup tag.
 */
const sentenceBreak = seq(spaceOrLineBreak, oneOf(spaceOrLineBreak, chars(UPPERCASE), markupTag));

// ---------------------------------------------------------------------------------------------------------
// Quotes, punctuation, symbols
// ---------------------------------------------------------------------------------------------------------

/** `"` or `&quot;`. */
const doubleQuote = oneOf('"', '&quot;');

/** A quote token: an apostrophe, `''`, or one or two quotation marks. */
const quoteMarks = oneOf(apostrophe, "''", repeat(chars(QUOTATION_MARKS), 1, 2));

/** A sideways smiley: `:)`, `;-D`, `=P`, `>:(`, `:'(`. */
const smiley = seq(optional(chars('<>')), chars(':;='), optional(chars("-o*'")), chars('()DPdpO\\{@|[]'));

/** What the eyes of a Japanese-style smiley may be. */
const SMILEY_EYES = "^x=~<>'";

/**
 * A Japanese-style smiley: `^_^`, `(^_^)`, `(^.^)`, `(^-^)`. The first form in the reference is, by a
 * missing backslash there, literally `^.[^x=~<>]` after one of `^ x = ~ < >` (e.g. `x.[^x=~<>]`).
 */
const eastAsianSmiley = oneOf(
  seq(chars('^x=~<>'), '.[^x=~<>]'),
  seq(chars(`-${SMILEY_EYES}`), '_', chars(`-${SMILEY_EYES}`)),
  seq('(', chars(`-${SMILEY_EYES}`), optional(chars('_.')), chars(`-${SMILEY_EYES}`), ')'),
  seq('(', chars(SMILEY_EYES), '-', chars(`${SMILEY_EYES}\``), ')'),
);

/** Brackets and their Penn Treebank names. */
const BRACKETS: readonly (readonly [bracket: string, name: string])[] = [
  ['(', '-LRB-'],
  [')', '-RRB-'],
  ['[', '-LSB-'],
  [']', '-RSB-'],
  ['{', '-LCB-'],
  ['}', '-RCB-'],
];

/** An ellipsis: 3-5 periods, plain or each but the last followed by a space or NBSP; `…`; U+0085 (cp1252 `…`). */
const ellipsis = oneOf(repeat('.', 3, 5), seq(repeat(seq('.', chars(' \u00a0')), 2, 4), '.'), chars('\u0085\u2026'));

/** Punctuation tokens kept as written. */
const punctuation = oneOf(
  oneOrMore('@'),
  oneOrMore('#'),
  oneOrMore('_'),
  oneOrMore('*'),
  repeat('\\*', 1, 3),
  chars(CLAUSE_PUNCTUATION),
  oneOrMore(chars('?!')),
  chars(SENTENCE_MARKS),
  '=',
  '/',
);

/** Comma, semicolon, colon or ideographic comma: before them a word keeps its final period (`etc.,`, `Inc.;`). */
const clausePunctuation = chars(CLAUSE_PUNCTUATION);

// ---------------------------------------------------------------------------------------------------------
// The rules, in priority order
// ---------------------------------------------------------------------------------------------------------

/** The token rules, highest priority first (see the file comment). */
export const TOKEN_RULES: readonly TokenRule[] = [
  // Whole words that would otherwise be split or merged.
  rule('language name', languageName),
  ...SPLIT_CONTRACTIONS.map(([contraction, secondPart]): TokenRule => ({
    name: `split contraction ${contraction}`,
    pattern: anyCase(contraction),
    action: Action.SplitOffTail,
    pushBack: secondPart,
  })),

  // Markup and entities.
  rule('markup tag', markupTag, Action.SpacesToNbsp),
  {
    name: 'long dash',
    pattern: oneOf(entity(...DASH_ENTITIES), chars(LONG_DASHES)),
    action: Action.Replace,
    replacement: '--',
  },
  rule('ampersand entity', ampersandEntity, Action.NormalizeAmpersand),
  rule('punctuation entity', punctuationEntity),

  // Words; a clitic after them is left for the next token.
  rule('word before a clitic', word, Action.RemoveSoftHyphens, apostropheClitic),
  rule("word before n't", wordBeforeNegation, Action.RemoveSoftHyphens, negationClitic),
  rule('word', word, Action.RemoveSoftHyphens),
  rule('word with an apostrophe', apostropheWord),
  rule("y' before a letter", seq('y', apostrophe), Action.Text, chars(LETTERS)),
  rule('web address, e-mail address or social name', oneOf(fullWebAddress, likelyWebAddress, emailAddress, socialName)),
  rule(
    'clitic before a non-letter',
    oneOf(apostropheClitic, negationClitic),
    Action.ClosingQuote,
    charsExcept(ASCII_LETTERS),
  ),

  // Numbers, Treebank forms, money.
  rule('date', date),
  rule('number', number, Action.RemoveSoftHyphens),
  rule('superscript or subscript number', raisedOrLoweredNumber),
  rule('fraction', fraction, Action.SpacesToNbsp),
  rule('vulgar fraction', chars(VULGAR_FRACTIONS), Action.Fraction),
  rule('Treebank form', treebankForm, Action.NormalizeAmpersand),
  rule('slash compound', slashCompound),
  rule('dollar sign', dollarSign),
  rule('currency sign', chars(CURRENCY_SIGNS), Action.Currency),

  // Periods of abbreviations and acronyms: kept, repeated as a sentence end, or left to the next token.
  rule(
    'acronym ending a sentence',
    seq(acronym, '.'),
    Action.AcronymAtSentenceEnd,
    seq(oneOrMore(spaceOrLineBreak), sentenceOpener, spaceOrLineBreak),
  ),
  rule(
    'abbreviation before a number',
    seq(anyWord(ABBREVIATIONS_BEFORE_NUMBERS), '.'),
    Action.Text,
    seq(optional(spaceOrLineBreak), digit),
  ),
  rule(
    'company form before Ltd',
    seq(anyWord(COMPANY_FORMS_BEFORE_LIMITED), '.'),
    Action.Text,
    seq(space, anyWord(LIMITED_WORD_STARTS)),
  ),
  rule('abbreviation ending a sentence', abbreviationBeforeLowercase, Action.AbbreviationAtSentenceEnd, sentenceBreak),
  rule('abbreviation inside a sentence', abbreviationBeforeLowercase, Action.Text, repeat(anyCodeUnit, 2, 2)),
  rule('abbreviation at the end of the text', abbreviationBeforeLowercase, Action.AbbreviationAtSentenceEnd),
  rule('abbreviation before a name', seq(abbreviationBeforeName, '.')),
  rule('abbreviation before a space', abbreviationBeforeName, Action.Text, space),
  rule('acronym before a space', acronym, Action.Text, spaceOrLineBreak),
  rule("two-digit year ('99)", seq(apostrophe, asciiDigits(2, 2)), Action.Text, spaceOrLineBreak),
  rule('file name', fileName, Action.Text, oneOf(spaceOrLineBreak, chars('.?!,'))),
  rule('word with its period before clause punctuation', seq(word, '.'), Action.RemoveSoftHyphens, clausePunctuation),

  rule('phone number', oneOf(spacedPhoneNumber, dottedPhoneNumber), Action.Phone),
  rule(
    'opening double quote',
    doubleQuote,
    Action.OpeningQuote,
    chars(CharSet.union(ASCII_ALPHANUMERIC, CharSet.of('$'))),
  ),
  rule('closing double quote', doubleQuote, Action.ClosingQuote),

  // Symbols and punctuation.
  { name: 'less-than sign', pattern: lessThan, action: Action.Replace, replacement: '<' },
  { name: 'greater-than sign', pattern: greaterThan, action: Action.Replace, replacement: '>' },
  rule('smiley', smiley, Action.ParenthesesInside, charsExcept(ASCII_ALPHANUMERIC)),
  rule('East Asian smiley', eastAsianSmiley, Action.ParenthesesInside),
  ...BRACKETS.map(([bracket, name]): TokenRule => ({
    name: `bracket ${bracket}`,
    pattern: chars(bracket),
    action: Action.Replace,
    replacement: name,
  })),
  rule('hyphens', oneOrMore('-'), Action.Hyphens),
  { name: 'ellipsis', pattern: ellipsis, action: Action.Replace, replacement: '...' },
  rule('punctuation', punctuation),

  // Compounds, and a compound's period before clause punctuation.
  rule(
    'hyphenated compound with its period before clause punctuation',
    seq(hyphenatedWithAcronyms, '.'),
    Action.RemoveSoftHyphens,
    clausePunctuation,
  ),
  rule('hyphenated compound with acronyms', hyphenatedWithAcronyms, Action.RemoveSoftHyphens),
  rule(
    'compound with its period before clause punctuation',
    seq(hyphenatedCompound, '.'),
    Action.Text,
    clausePunctuation,
  ),
  rule('compound', hyphenatedCompound),
  rule(
    'capitals with & with their period before clause punctuation',
    seq(capitalsWithAmpersand, '.'),
    Action.NormalizeAmpersand,
    clausePunctuation,
  ),
  rule('capitals with &', capitalsWithAmpersand, Action.NormalizeAmpersand),

  // Quotes and clitics standing alone.
  rule(
    'opening single quote',
    chars("'"),
    Action.OpeningQuote,
    seq(chars(ASCII_LETTERS), charsExcept(' \t\n\r\u00a0')),
  ),
  rule('closing quote or clitic', oneOf(apostropheClitic, negationClitic, quoteMarks), Action.ClosingQuote),
  rule('symbol', oneOf('<<', '>>', chars(SYMBOLS))),

  // Layout, and what is left.
  rule('space or invisible character', oneOf(oneOrMore(space), chars(INVISIBLE_CHARACTERS), '&nbsp;'), Action.Skip),
  rule('line break', lineBreak, Action.Newline),
  rule('untokenizable character', anyCodeUnit, Action.Untokenizable),
];

/**
 * The words the Stanford tokenizer (CoreNLP 3.4.1, the version coco-caption runs) treats specially. These
 * sets are facts needed for compatibility: they were learnt by reading its lexer and verified by comparing
 * our tokenizer with it on hand-written cases and hundreds of thousands of random and real captions
 * (docs/tokenizer.md). They are organised here by what the tokenizer does with the words, alphabetically.
 *
 * Unless a list says otherwise, a word matches in any letter case (`ETC.`, `Etc.`, `etc.`).
 *
 * @internal
 */

// --- Abbreviations (each is matched with its final period) ---

/**
 * Abbreviations normally followed by a lower-case word, so a capital letter, a second space or line break,
 * or the end of the text after them means their period also ends the sentence (the period is then repeated
 * as a token of its own). Months, weekdays, US states, company forms, name suffixes, street types and a few
 * Latin and measuring abbreviations.
 */
export const ABBREVIATIONS_BEFORE_LOWERCASE: readonly string[] = [
  'al',
  'Ala',
  'Apr',
  'Ariz',
  'Assn',
  'Aug',
  'Bancorp',
  'Bhd',
  'Bldg',
  'Blvd',
  'Bros',
  'Calif',
  'Co',
  'Colo',
  'Conn',
  'Corp',
  'Cos',
  'Ct',
  'Dak',
  'Dec',
  'Ed.D',
  'Esq',
  'est',
  'etc',
  'ext',
  'Feb',
  'Fla',
  'Fri',
  'Ga',
  'Inc',
  'Ind',
  'Intl',
  'Jan',
  'Jr',
  'Jul',
  'Jun',
  'Kan',
  'Kans',
  'Ky',
  'Ltd',
  'Mar',
  'Md',
  'Mich',
  'Minn',
  'Mo',
  'Mon',
  'Mont',
  'Neb',
  'Nev',
  'Nov',
  'Oct',
  'Okla',
  'Penn',
  'Ph.D',
  'Plc',
  'Rd',
  'Rt',
  'Sep',
  'Sept',
  'seq',
  'sq',
  'Sr',
  'Sys',
  'tel',
  'Tenn',
  'Thu',
  'Thurs',
  'Tue',
  'Tues',
  'Univ',
  'Va',
  'Vt',
  'Wed',
  'Wis',
  'Wisc',
  'Wyo',
];

/**
 * State abbreviations that are also ordinary words, so they count as abbreviations (with the behaviour of
 * {@link ABBREVIATIONS_BEFORE_LOWERCASE}) only with a capital first letter: `Ill.` is one, `ill.` is a word
 * and a period. The letters after the first match in any case.
 */
export const CAPITALIZED_STATE_ABBREVIATIONS: readonly string[] = [
  'Ark',
  'Az',
  'Del',
  'Ill',
  'La',
  'Mass',
  'Miss',
  'Ore',
  'Pa',
  'Tex',
  'Wash',
];

/**
 * The company form "Pty"/"Pte" (proprietary, private) in the same group, written `Pt` or `Ppt`, then `y` or
 * `e`, then an optional `s`. Unlike the rest, the `y`/`e` must be lower case (`PTy.` is one, `PTY.` is not).
 */
export const PROPRIETARY_COMPANY_FORMS = {
  prefixes: ['pt', 'ppt'],
  lowerCaseOnlyLetters: 'ye',
  optionalSuffix: 's',
} as const;

/**
 * Abbreviations normally followed by a capitalised word (titles before a name, and similar), so their period
 * never ends a sentence. `Miss` is in {@link CAPITALIZED_TITLES} instead, `Mfg` and `Mtg` in
 * {@link LOWER_CASE_SECOND_LETTER_ABBREVIATIONS}.
 */
export const ABBREVIATIONS_BEFORE_NAMES: readonly string[] = [
  'a.k.a',
  'Adj',
  'Adm',
  'Adv',
  'Alex',
  'Asst',
  'Assoc',
  'Atty',
  'Attys',
  'Ave',
  'Brig',
  'Capt',
  'cf',
  'Cie',
  'Cmdr',
  'Col',
  'Comdr',
  'Cpl',
  'Dept',
  'Det',
  'Dr',
  'Drs',
  'Elec',
  'Ens',
  'Ft',
  'Gen',
  'Gov',
  'Govs',
  'Hon',
  'Insp',
  'Invt',
  'Jos',
  'Lieut',
  'Lt',
  'Maj',
  'Messrs',
  'Mlle',
  'Mme',
  'Mr',
  'Mrs',
  'Ms',
  'Msgr',
  'Mt',
  'Natl',
  'Pfc',
  'Ph',
  'Pres',
  'Prof',
  'Profs',
  'Pvt',
  'Rep',
  'Reps',
  'Rev',
  'Sen',
  'Sens',
  'Sfc',
  'Sgt',
  'Spc',
  'St',
  'Ste',
  'Supt',
  'Supts',
  'TREAS',
  'vs',
  'Wm',
];

/** Titles of {@link ABBREVIATIONS_BEFORE_NAMES} that need a capital first letter (`miss.` is a word and a period). */
export const CAPITALIZED_TITLES: readonly string[] = ['Miss'];

/**
 * Abbreviations of {@link ABBREVIATIONS_BEFORE_NAMES} whose second letter must be lower case, the others
 * matching in any case: `Mfg.` and `MfG.` are abbreviations, `MFG.` is not.
 */
export const LOWER_CASE_SECOND_LETTER_ABBREVIATIONS: readonly string[] = ['Mfg', 'Mtg'];

/** Abbreviations kept with their period only before a number (`fig. 3`, `ca. 1990`, `no.5`). */
export const ABBREVIATIONS_BEFORE_NUMBERS: readonly string[] = [
  'art',
  'bldg',
  'ca',
  'fig',
  'figs',
  'no',
  'nos',
  'op',
  'pp',
  'prop',
];

/** Company forms whose period stays when `ltd` or `lim(ited)` follows after one space (`Pty. Ltd`). */
export const COMPANY_FORMS_BEFORE_LIMITED: readonly string[] = ['co', 'pte', 'pty'];
/** The words that keep the period of {@link COMPANY_FORMS_BEFORE_LIMITED} (only their start is checked). */
export const LIMITED_WORD_STARTS: readonly string[] = ['lim', 'ltd'];

/**
 * Compounds with `U.S` that count as acronyms (`Sino-U.S.`, `U.S.-U.K.`): `<prefix>-U.S` and `U.S.-<suffix>`.
 */
export const US_COMPOUNDS = {
  prefixes: ['Canada', 'EU', 'Japan', 'Korean', 'non', 'Sino'],
  suffixes: ['U.K', 'U.S.S.R'],
} as const;

/**
 * Words that, after an acronym with a period and white space, show that the acronym ended the sentence
 * (`in the U.S. The ...` gives `U.S.` and `.`). Only with a capital first letter; the rest in any case. An SGML
 * tag after the acronym counts too (see the grammar).
 */
export const SENTENCE_OPENERS: readonly string[] = [
  'A',
  'About',
  'According',
  'Additionally',
  'After',
  'An',
  'As',
  'At',
  'But',
  'Earlier',
  'He',
  'Her',
  'Here',
  'However',
  'If',
  'In',
  'It',
  'Last',
  'Many',
  'More',
  'Mr.',
  'Ms.',
  'Now',
  'Once',
  'One',
  'Other',
  'Our',
  'She',
  'Since',
  'So',
  'Some',
  'Such',
  'That',
  'The',
  'Their',
  'Then',
  'There',
  'These',
  'They',
  'This',
  'We',
  'What',
  'When',
  'While',
  'Yet',
  'You',
];

// --- Words split or kept whole ---

/**
 * Informal contractions split into two tokens, with the number of final letters that become the second
 * token: `cannot` → `can not`, `gonna` → `gon na`, `'twas` → `'t was`, `'tis` → `'t is`.
 */
export const SPLIT_CONTRACTIONS: readonly (readonly [word: string, secondPart: number])[] = [
  ["'tis", 2],
  ["'twas", 3],
  ['cannot', 3],
  ['gimme', 2],
  ['gonna', 2],
  ['gotta', 2],
  ['lemme', 2],
  ['wanna', 2],
];

/** Programming-language names kept whole although they end in symbols. */
export const LANGUAGE_NAMES: readonly string[] = ['c#', 'c++', 'f#'];

/**
 * Words with an apostrophe inside or at an edge that stay one token. `'` stands for any apostrophe (`'`,
 * U+0092, U+2019, `&apos;`), except in {@link ASCII_APOSTROPHE_WORDS}. More general shapes (`o'clock`, `d'Arc`,
 * `'90s`, `rock 'n' roll`) are patterns in the grammar.
 */
export const APOSTROPHE_WORDS: readonly string[] = ["'cause", "'em", "'til", "'till", "Dunkin'", "ol'", "somethin'"];

/** Words with an apostrophe that stay one token, written with the ASCII apostrophe only. */
export const ASCII_APOSTROPHE_WORDS: readonly string[] = [
  "c'mon",
  "cont'd",
  "cont'd.",
  "e'er",
  "ev'ry",
  "li'l",
  "nat'l",
  "nor'easter",
  "s'mores",
];

/**
 * Tokens kept as they are: the Penn Treebank bracket names (`-LRB-`), `pro-` and `anti-` as prefixes standing
 * alone, and a few forms with `&` (also written `&amp;`) or an apostrophe (any of them). (`C.D.s` stays whole
 * too, as a plain word.)
 */
export const TREEBANK_FORMS = {
  bracketNames: ['LCB', 'LRB', 'LSB', 'RCB', 'RRB', 'RSB'],
  prefixes: ['anti-', 'pro-'],
  ampersandForms: ['S&Ls', 'S&P-500'],
  apostropheForms: ["c'est", "Cap'n"],
} as const;

/** File extensions that make `name.ext` one token (before white space or `. ? ! ,`). */
export const FILE_EXTENSIONS: readonly string[] = [
  'bat',
  'bmp',
  'c',
  'cgi',
  'class',
  'cpp',
  'dll',
  'doc',
  'docx',
  'exe',
  'gif',
  'gz',
  'h',
  'htm',
  'html',
  'jar',
  'java',
  'jpeg',
  'jpg',
  'mov',
  'mp3',
  'pdf',
  'php',
  'pl',
  'png',
  'ppt',
  'ps',
  'py',
  'sql',
  'tar',
  'txt',
  'wav',
  'x',
  'xml',
  'zip',
];

/** Top-level domains that make `name.tld` a web address without `www.` or `http://`. */
export const ADDRESS_DOMAINS: readonly string[] = ['com', 'edu', 'net', 'org'];

// --- Character entities (HTML/SGML), matched in any case ---

/** Entity names read as a long dash `--`: `&mdash;`, `&ndash;`, `&MD;`. */
export const DASH_ENTITIES: readonly string[] = ['md', 'mdash', 'ndash'];
/** Entity names of punctuation kept as written (`&odq;`); numeric entities `&#123;` are kept too. */
export const PUNCTUATION_ENTITIES: readonly string[] = ['cdq', 'ht', 'lr', 'odq', 'qc', 'ql', 'qr', 'tl', 'ur'];
/** Accented vowel entities that count as letters: `&` + vowel (either case) + one of these + `;` (`&eacute;`). */
export const ACCENT_ENTITY_NAMES: readonly string[] = ['acute', 'grave', 'uml'];

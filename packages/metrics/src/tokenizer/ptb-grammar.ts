/**
 * The lexical grammar of Stanford CoreNLP 3.4.1's `PTBLexer` (JFlex, `%caseless`), restated for our own
 * scanner generator, with the option set that `PTBTokenizer -preserveLines -lowerCase` runs with: the
 * default PTB3 normalisations (`ptb3Escaping` on: `-LRB-` brackets, LaTeX quotes, `...`, `--`, `&amp;` → `&`,
 * currency and fraction normalisation, spaces inside tokens → U+00A0), `tokenizeNLs` on, `americanize` off,
 * `splitAssimilations` on, untokenizable characters deleted, the traditional (not strict) Treebank 3 state.
 *
 * Each rule is a pattern, an optional trailing context (JFlex's `r1/r2`: it must follow for the rule to
 * match and counts towards the match length, but is not part of the token) and what the rule does. The
 * rule order is the priority order, exactly as in the JFlex specification, because a JFlex scanner takes
 * the longest match and breaks ties by rule order. Macro definitions are ordered so each uses only earlier
 * ones (JFlex allows forward references; the expansions are the same).
 *
 * @internal
 */

/** What a rule does with the text it matched. */
export enum Action {
  /** The matched text is the token. */
  Text,
  /** Nothing is emitted (spaces, zero-width characters, DEL, `&nbsp;`). */
  Skip,
  /** A line break (`tokenizeNLs`): the token `*NL*`, which `-preserveLines` prints as a newline. */
  Newline,
  /** Untokenizable character: deleted (CoreNLP logs a warning for the first one). */
  Untokenizable,
  /** Token = text without its last `n` characters, which are scanned again (`cannot` → `can` + `not`). */
  SplitOffTail,
  /** Soft hyphens (U+00AD) removed; `-` if nothing is left. */
  RemoveSoftHyphens,
  /** `&amp;` (any case) → `&`. */
  NormalizeAmpersand,
  /** Spaces → U+00A0 (SGML tags, fractions such as `3 1/2`). */
  SpacesToNbsp,
  /** Phone numbers: spaces → U+00A0, `(`/`)` → `-LRB-`/`-RRB-`. */
  Phone,
  /** Smileys: `(`/`)` → `-LRB-`/`-RRB-`. */
  ParenthesesInside,
  /** Quote normalisation to LaTeX style, the quote probably opening. */
  OpeningQuote,
  /** Quote normalisation to LaTeX style, the quote probably closing. */
  ClosingQuote,
  /** A fixed replacement token (`-LRB-`, `--`, `...`, `<`, ...), given in the rule. */
  Replace,
  /** `-` runs: 3 or 4 dashes → `--`, others unchanged. */
  Hyphens,
  /** `¼ ½ ¾ ⅓ ⅔` → `1/4 1/2 3/4 1/3 2/3`; other vulgar fractions unchanged. */
  Fraction,
  /** `¢` → `cents`, `£` → `#`, `¤ € ₠ U+0080` → `$`; others unchanged. */
  Currency,
  /** Acronym before a sentence start: `I.` → `I` + `.`; otherwise the token keeps its period and the period is also scanned again. */
  AcronymAtSentenceEnd,
  /** Abbreviation ending a sentence: the token keeps its period and the period is also scanned again. */
  AbbreviationAtSentenceEnd,
}

/** One rule of the grammar. */
export interface Rule {
  /** Pattern of the token (JFlex `r1`). */
  readonly pattern: string;
  /** Trailing context (JFlex `r2` in `r1/r2`). */
  readonly lookahead?: string;
  /** What the rule does. */
  readonly action: Action;
  /** Replacement token for {@link Action.Replace}; number of characters for {@link Action.SplitOffTail}. */
  readonly argument?: string | number;
}

/** Macro definitions, `[name, pattern]`, each using only earlier ones. */
export const MACROS: readonly (readonly [string, string])[] = [
  // SGML/XML tags, comments and declarations (spaces inside become U+00A0).
  ['TAG_NAME', String.raw`[A-Za-z][A-Za-z0-9_:\.\-]*`],
  [
    'SGML',
    String.raw`\<([!\?][A-Za-z\-][^>\r\n]*|{TAG_NAME}([ ]+({TAG_NAME}|{TAG_NAME}[ ]*=[ ]*('[^']*'|\"[^\"]*\")))*[ ]*\/?|\/{TAG_NAME})[ ]*\>`,
  ],
  // Character entities.
  ['SPMDASH', String.raw`&(MD|mdash|ndash);|[\u0096\u0097\u2013\u2014\u2015]`],
  ['SPAMP', String.raw`&amp;`],
  ['SPPUNC', String.raw`&(HT|TL|UR|LR|QC|QL|QR|odq|cdq|#[0-9]+);`],
  ['SPLET', String.raw`&[aeiouAEIOU](acute|grave|uml);`],
  // Space and line breaks (U+3000 is the ideographic space; U+0085 is also an ellipsis, see LDOTS).
  ['SPACE', String.raw`[ \t\u00A0\u2000-\u200A\u3000]`],
  ['SPACES', String.raw`{SPACE}+`],
  ['NEWLINE', String.raw`\r|\r?\n|\u2028|\u2029|\u000B|\u000C|\u0085`],
  ['SPACENL', String.raw`({SPACE}|{NEWLINE})`],
  ['SPACENLS', String.raw`{SPACENL}+`],
  ['SENTEND', String.raw`{SPACENL}({SPACENL}|[:uppercase:]|{SGML})`],
  // Numbers.
  ['DIGIT', String.raw`[:digit:]|[\u07C0-\u07C9]`],
  ['DATE', String.raw`{DIGIT}{1,2}[\-\/]{DIGIT}{1,2}[\-\/]{DIGIT}{2,4}`],
  ['NUM', String.raw`{DIGIT}+|{DIGIT}*([.:,\u00AD\u066B\u066C]{DIGIT}+)+`],
  ['NUMBER', String.raw`[\-+]?{NUM}`],
  ['SUBSUPNUM', String.raw`[\u207A\u207B\u208A\u208B]?([\u2070\u00B9\u00B2\u00B3\u2074-\u2079]+|[\u2080-\u2089]+)`],
  ['FRAC', String.raw`({DIGIT}{1,4}[- \u00A0])?{DIGIT}{1,4}(\\?\/|\u2044){DIGIT}{1,4}`],
  ['FRAC2', String.raw`[\u00BC\u00BD\u00BE\u2153-\u215E]`],
  ['DOLSIGN', String.raw`([A-Z]*\$|#)`],
  ['DOLSIGN2', String.raw`[\u00A2\u00A3\u00A4\u00A5\u0080\u20A0\u20AC\u060B\u0E3F\u20A4\uFFE0\uFFE1\uFFE5\uFFE6]`],
  // Letters: JFlex's [:letter:], letter entities, the soft hyphen and combining marks of many scripts.
  [
    'LETTER',
    String.raw`([:letter:]|{SPLET}|[\u00AD\u0237-\u024F\u02C2-\u02C5\u02D2-\u02DF\u02E5-\u02FF\u0300-\u036F` +
      String.raw`\u0370-\u037D\u0384\u0385\u03CF\u03F6\u03FC-\u03FF\u0483-\u0487\u04CF\u04F6-\u04FF\u0510-\u0525` +
      String.raw`\u055A-\u055F\u0591-\u05BD\u05BF\u05C1\u05C2\u05C4\u05C5\u05C7\u0615-\u061A\u063B-\u063F` +
      String.raw`\u064B-\u065E\u0670\u06D6-\u06EF\u06FA-\u06FF\u070F\u0711\u0730-\u074F\u0750-\u077F\u07A6-\u07B1` +
      String.raw`\u07CA-\u07F5\u07FA\u0900-\u0903\u093C\u093E-\u094E\u0951-\u0955\u0962-\u0963\u0981-\u0983` +
      String.raw`\u09BC-\u09C4\u09C7\u09C8\u09CB-\u09CD\u09D7\u09E2\u09E3\u0A01-\u0A03\u0A3C\u0A3E-\u0A4F` +
      String.raw`\u0A81-\u0A83\u0ABC-\u0ACF\u0B82\u0BBE-\u0BC2\u0BC6-\u0BC8\u0BCA-\u0BCD\u0C01-\u0C03` +
      String.raw`\u0C3E-\u0C56\u0D3E-\u0D44\u0D46-\u0D48\u0E30-\u0E3A\u0E47-\u0E4E\u0EB1-\u0EBC\u0EC8-\u0ECD])`,
  ],
  ['WORD', String.raw`{LETTER}({LETTER}|{DIGIT})*([.!?]{LETTER}({LETTER}|{DIGIT})*)*`],
  [
    'FILENAME_EXT',
    String.raw`bat|bmp|c|class|cgi|cpp|dll|doc|docx|exe|gif|gz|h|htm|html|jar|java|jpeg|jpg|mov|mp3|pdf|php|` +
      String.raw`pl|png|ppt|ps|py|sql|tar|txt|wav|x|xml|zip`,
  ],
  ['FILENAME', String.raw`({LETTER}|{DIGIT})+([.]({LETTER}|{DIGIT})+)*([.]{FILENAME_EXT})`],
  // Apostrophes (straight, CP1252 U+0092, curly) and the wider set that may sit inside a word.
  ['APOS', String.raw`['\u0092\u2019]|&apos;`],
  ['APOSETCETERA', String.raw`{APOS}|[\`\u0091\u2018\u201B]`],
  ['HYPHEN', String.raw`[-_\u058A\u2010\u2011]`],
  // Acronyms (also used by HTHING).
  ['ACRO', String.raw`[A-Za-z](\.[A-Za-z])*|(Canada|Sino|Korean|EU|Japan|non)-U\.S|U\.S\.-(U\.K|U\.S\.S\.R)`],
  ['ACRO2', String.raw`[A-Za-z](\.[A-Za-z])+|(Canada|Sino|Korean|EU|Japan|non)-U\.S|U\.S\.-(U\.K|U\.S\.S\.R)`],
  // Hyphenated and other compound "things".
  ['LETTER_OR_DIGIT', String.raw`([:letter:]|[:digit:])`],
  ['ELIDED', String.raw`([dDoOlL]{APOSETCETERA}{LETTER_OR_DIGIT})`],
  ['THING', String.raw`{ELIDED}?{LETTER_OR_DIGIT}+({HYPHEN}{ELIDED}?{LETTER_OR_DIGIT}+)*`],
  ['THINGA', String.raw`[A-Z]+(([+&]|{SPAMP})[A-Z]+)+`],
  ['THING3', String.raw`[A-Za-z0-9]+(-[A-Za-z]+){0,2}(\\?\/[A-Za-z0-9]+(-[A-Za-z]+){0,2}){1,2}`],
  ['HTHING', String.raw`[A-Za-z0-9][A-Za-z0-9.,\u00AD]*(-([A-Za-z0-9\u00AD]+|{ACRO2}\.))+`],
  // Clitics: 's 're 've 'll 'm 'd and n't; SWORD is a word that cannot end in n (it takes the n of n't).
  ['REDAUX', String.raw`{APOS}([msdMSD]|re|ve|ll)`],
  ['SWORD', String.raw`[A-Za-z\u00AD]*[A-MO-Za-mo-z](\u00AD)*`],
  ['SREDAUX', String.raw`n{APOSETCETERA}t`],
  // Words with an apostrophe that stay whole.
  [
    'APOWORD',
    String.raw`{APOS}n{APOS}?|[lLdDjJ]{APOS}|Dunkin{APOS}|somethin{APOS}|ol{APOS}|{APOS}em|` +
      String.raw`[A-HJ-XZn]{APOSETCETERA}[:letter:]{2}[:letter:]*|{APOS}[2-9]0s|{APOS}till?|` +
      String.raw`[:letter:][:letter:]*[aeiouyAEIOUY]{APOSETCETERA}[aeiouA-Z][:letter:]*|{APOS}cause|cont'd\.?|` +
      String.raw`'twas|nor'easter|c'mon|e'er|s'mores|ev'ry|li'l|nat'l|O{APOSETCETERA}o`,
  ],
  ['APOWORD2', String.raw`y{APOS}`],
  // URLs, e-mail addresses, Twitter names and hashtags. Note `,-_` in LIKELYURL: a range (U+002C..U+005F).
  ['FULLURL', String.raw`https?:\/\/[^ \t\n\f\r\"<>|(){}]+[^ \t\n\f\r\"<>|.!?(){},-]`],
  [
    'LIKELYURL',
    String.raw`((www\.([^ \t\n\f\r\"<>|.!?(){},]+\.)+[a-zA-Z]{2,4})|(([^ \t\n\f\r\"\`'<>|.!?(){},-_$]+\.)+(com|net|org|edu)))` +
      String.raw`(\/[^ \t\n\f\r\"<>|()]+[^ \t\n\f\r\"<>|.!?(){},-])?`,
  ],
  [
    'EMAIL',
    String.raw`(&lt;|<)?[a-zA-Z0-9][^ \t\n\f\r\"<>|()\u00A0{}]*@([^ \t\n\f\r\"<>|(){}.\u00A0]+\.)*` +
      String.raw`([^ \t\n\f\r\"<>|(){}.\u00A0]+)(&gt;|>)?`,
  ],
  ['TWITTER', String.raw`@[a-zA-Z_][a-zA-Z_0-9]*|#{LETTER}+`],
  // Abbreviations usually followed by a lower-case word (ABBREV1); an upper-case word after them means a sentence end.
  ['ABMONTH', String.raw`Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec`],
  ['ABDAYS', String.raw`Mon|Tue|Tues|Wed|Thu|Thurs|Fri`],
  [
    'ABSTATE',
    String.raw`Ala|Ariz|[A]z|[A]rk|Calif|Colo|Conn|Ct|Dak|[D]el|Fla|Ga|[I]ll|Ind|Kans?|Ky|[L]a|[M]ass|Md|Mich|Minn|` +
      String.raw`[M]iss|Mo|Mont|Neb|Nev|Okla|[O]re|[P]a|Penn|Tenn|[T]ex|Va|Vt|[W]ash|Wisc?|Wyo`,
  ],
  ['ABCOMP', String.raw`Inc|Cos?|Corp|Pp?t[ye]s?|Ltd|Plc|Rt|Bancorp|Bhd|Assn|Univ|Intl|Sys`],
  ['ABNUM', String.raw`tel|est|ext|sq`],
  ['ABPTIT', String.raw`Jr|Sr|Bros|(Ed|Ph)\.D|Blvd|Rd|Esq`],
  ['ABBREV1', String.raw`({ABMONTH}|{ABDAYS}|{ABSTATE}|{ABCOMP}|{ABNUM}|{ABPTIT}|etc|al|seq|Bldg)\.`],
  // Abbreviations usually followed by an upper-case word (titles, acronyms).
  [
    'ABTITLE',
    String.raw`Mr|Mrs|Ms|[M]iss|Drs?|Profs?|Sens?|Reps?|Attys?|Lt|Col|Gen|Messrs|Govs?|Adm|Rev|Maj|Sgt|Cpl|Pvt|Capt|` +
      String.raw`Ste?|Ave|Pres|Lieut|Hon|Brig|Co?mdr|Pfc|Spc|Supts?|Det|Mt|Ft|Adj|Adv|Asst|Assoc|Ens|Insp|Mlle|Mme|` +
      String.raw`Msgr|Sfc`,
  ],
  ['ABCOMP2', String.raw`Invt|Elec|Natl|M[ft]g|Dept`],
  ['ABBREV4', String.raw`{ABTITLE}|vs|Alex|Wm|Jos|Cie|a\.k\.a|cf|TREAS|Ph|{ACRO}|{ABCOMP2}`],
  ['ABBREV2', String.raw`{ABBREV4}\.`],
  ['ACRONYM', String.raw`({ACRO})\.`],
  // Abbreviations recognised only before a number.
  ['ABBREV3', String.raw`(ca|figs?|prop|nos?|art|bldg|prop|pp|op)\.`],
  [
    'PHONE',
    String.raw`(\([0-9]{2,3}\)[ \u00A0]?|(\+\+?)?([0-9]{2,4}[\- \u00A0])?[0-9]{2,4}[\- \u00A0])[0-9]{3,4}[\- \u00A0]?[0-9]{3,5}|` +
      String.raw`((\+\+?)?[0-9]{2,4}\.)?[0-9]{2,4}\.[0-9]{3,4}\.[0-9]{3,5}`,
  ],
  ['FAKEDUCKFEET', String.raw`<<|>>`],
  ['LESSTHAN', String.raw`<|&lt;`],
  ['GREATERTHAN', String.raw`>|&gt;`],
  ['HYPHENS', String.raw`\-+`],
  ['LDOTS', String.raw`\.{3,5}|(\.[ \u00A0]){2,4}\.|[\u0085\u2026]`],
  ['FNMARKS', String.raw`@+|#+|_+`],
  ['ASTS', String.raw`\*+|(\\\*){1,3}`],
  ['INSENTP', String.raw`[,;:\u3001]`],
  [
    'QUOTES',
    String.raw`{APOS}|''|[\`\u2018\u2019\u201A\u201B\u201C\u201D\u0091\u0092\u0093\u0094\u201E\u201F\u2039\u203A\u00AB\u00BB]{1,2}`,
  ],
  ['DBLQUOT', String.raw`\"|&quot;`],
  [
    'TBSPEC',
    String.raw`-(RRB|LRB|RCB|LCB|RSB|LSB)-|C\.D\.s|pro-|anti-|S(&|&amp;)P-500|S(&|&amp;)Ls|Cap{APOS}n|c{APOS}est`,
  ],
  ['TBSPEC2', String.raw`{APOS}[0-9][0-9]`],
  // Smileys. The first Asian alternative really is the literal text `^.[^x=~<>]` after its first class
  // (an unescaped `[` was meant): reproduced as the 3.4.1 scanner has it.
  ['SMILEY', String.raw`[<>]?[:;=][\-o\*']?[\(\)DPdpO\\{@\|\[\]]`],
  [
    'ASIANSMILEY',
    String.raw`[\^x=~<>]\.\[\^x=~<>\]|[\-\^x=~<>']_[\-\^x=~<>']|\([\-\^x=~<>'][_.]?[\-\^x=~<>']\)|` +
      String.raw`\([\^x=~<>']-[\^x=~<>'\`]\)`,
  ],
  [
    'MISCSYMBOL',
    String.raw`[+%&~\^|\\\u00A6\u00A7\u00A8\u00A9\u00AC\u00AE\u00AF\u00B0-\u00B3\u00B4-\u00BA\u00D7\u00F7\u0387\u05BE` +
      String.raw`\u05C0\u05C3\u05C6\u05F3\u05F4\u0600-\u0603\u0606-\u060A\u060C\u0614\u061B\u061E\u066A\u066D` +
      String.raw`\u0703-\u070D\u07F6\u07F7\u07F8\u0964\u0965\u0E4F\u1FBD\u2016\u2017\u2020-\u2023\u2030-\u2038` +
      String.raw`\u203B\u203E-\u2042\u2044\u207A-\u207F\u208A-\u208E\u2100-\u214F\u2190-\u21FF\u2200-\u2BFF\u3012` +
      String.raw`\u30FB\uFF01-\uFF0F\uFF1A-\uFF20\uFF3B-\uFF40\uFF5B-\uFF65]`,
  ],
  // Words after which an acronym's period ends the sentence (first letter case-sensitive, the rest caseless).
  [
    'SENTENCE_STARTER',
    String.raw`[A]bout|[A]ccording|[A]dditionally|[A]fter|[A]n|[A]|[A]s|[A]t|[B]ut|[E]arlier|[H]e|[H]er|[H]ere|` +
      String.raw`[H]owever|[I]f|[I]n|[I]t|[L]ast|[M]any|[M]ore|[M]r\.|[M]s\.|[N]ow|[O]nce|[O]ne|[O]ther|[O]ur|[S]he|` +
      String.raw`[S]ince|[S]o|[S]ome|[S]uch|[T]hat|[T]he|[T]heir|[T]hen|[T]here|[T]hese|[T]hey|[T]his|[W]e|[W]hen|` +
      String.raw`[W]hile|[W]hat|[Y]et|[Y]ou|{SGML}`,
  ],
];

const text = (pattern: string, lookahead?: string): Rule =>
  lookahead === undefined ? { pattern, action: Action.Text } : { pattern, lookahead, action: Action.Text };
const act = (pattern: string, action: Action, lookahead?: string): Rule =>
  lookahead === undefined ? { pattern, action } : { pattern, lookahead, action };
const replace = (pattern: string, token: string): Rule => ({ pattern, action: Action.Replace, argument: token });
const splitOff = (pattern: string, tail: number): Rule => ({ pattern, action: Action.SplitOffTail, argument: tail });

/** The rules, highest priority first (the order of the JFlex specification). */
export const RULES: readonly Rule[] = [
  text(String.raw`c[+][+]`),
  text(String.raw`(c|f)#`),
  splitOff(String.raw`cannot`, 3),
  splitOff(String.raw`'twas`, 3),
  splitOff(String.raw`'tis`, 2),
  splitOff(String.raw`gonna|gotta|lemme|gimme|wanna`, 2),
  act('{SGML}', Action.SpacesToNbsp),
  replace('{SPMDASH}', '--'),
  act('{SPAMP}', Action.NormalizeAmpersand),
  text('{SPPUNC}'),
  act('{WORD}', Action.RemoveSoftHyphens, '{REDAUX}'),
  act('{SWORD}', Action.RemoveSoftHyphens, '{SREDAUX}'),
  act('{WORD}', Action.RemoveSoftHyphens),
  text('{APOWORD}'),
  text('{APOWORD2}', '[:letter:]'),
  text('{FULLURL}'),
  text('{LIKELYURL}'),
  text('{EMAIL}'),
  text('{TWITTER}'),
  act('{REDAUX}', Action.ClosingQuote, '[^A-Za-z]'),
  act('{SREDAUX}', Action.ClosingQuote, '[^A-Za-z]'),
  text('{DATE}'),
  act('{NUMBER}', Action.RemoveSoftHyphens),
  text('{SUBSUPNUM}'),
  act('{FRAC}', Action.SpacesToNbsp),
  act('{FRAC2}', Action.Fraction),
  act('{TBSPEC}', Action.NormalizeAmpersand),
  text('{THING3}'),
  text('{DOLSIGN}'),
  act('{DOLSIGN2}', Action.Currency),
  act('{ACRONYM}', Action.AcronymAtSentenceEnd, '({SPACENLS})({SENTENCE_STARTER}){SPACENL}'),
  text('{ABBREV3}', '{SPACENL}?[:digit:]'),
  text(String.raw`(pt[eyEY]|co)\.`, '{SPACE}(ltd|lim)'),
  act('{ABBREV1}', Action.AbbreviationAtSentenceEnd, '{SENTEND}'),
  text('{ABBREV1}', '[^][^]'),
  act('{ABBREV1}', Action.AbbreviationAtSentenceEnd),
  text('{ABBREV2}'),
  text('{ABBREV4}', '{SPACE}'),
  text('{ACRO}', '{SPACENL}'),
  text('{TBSPEC2}', '{SPACENL}'),
  text('{FILENAME}', '({SPACENL}|[.?!,])'),
  act(String.raw`{WORD}\.`, Action.RemoveSoftHyphens, '{INSENTP}'),
  act('{PHONE}', Action.Phone),
  act('{DBLQUOT}', Action.OpeningQuote, '[A-Za-z0-9$]'),
  act('{DBLQUOT}', Action.ClosingQuote),
  act(String.raw`\x7f`, Action.Skip),
  replace('{LESSTHAN}', '<'),
  replace('{GREATERTHAN}', '>'),
  act('{SMILEY}', Action.ParenthesesInside, '[^A-Za-z0-9]'),
  act('{ASIANSMILEY}', Action.ParenthesesInside),
  replace(String.raw`\{`, '-LCB-'),
  replace(String.raw`\}`, '-RCB-'),
  replace(String.raw`\[`, '-LSB-'),
  replace(String.raw`\]`, '-RSB-'),
  replace(String.raw`\(`, '-LRB-'),
  replace(String.raw`\)`, '-RRB-'),
  act('{HYPHENS}', Action.Hyphens),
  replace('{LDOTS}', '...'),
  text('{FNMARKS}'),
  text('{ASTS}'),
  text('{INSENTP}'),
  text('[?!]+'),
  text(String.raw`[.\u00A1\u00BF\u037E\u0589\u061F\u06D4\u0700-\u0702\u07FA\u3002]`),
  text('='),
  text(String.raw`\/`),
  act(String.raw`{HTHING}\.`, Action.RemoveSoftHyphens, '{INSENTP}'),
  act('{HTHING}', Action.RemoveSoftHyphens),
  text(String.raw`{THING}\.`, '{INSENTP}'),
  text('{THING}'),
  act(String.raw`{THINGA}\.`, Action.NormalizeAmpersand, '{INSENTP}'),
  act('{THINGA}', Action.NormalizeAmpersand),
  act("'", Action.OpeningQuote, String.raw`[A-Za-z][^ \t\n\r\u00A0]`),
  act('{REDAUX}', Action.ClosingQuote),
  act('{SREDAUX}', Action.ClosingQuote),
  act('{QUOTES}', Action.ClosingQuote),
  text('{FAKEDUCKFEET}'),
  text('{MISCSYMBOL}'),
  act(String.raw`\0|{SPACES}|[\u200B\u200E-\u200F\uFEFF]`, Action.Skip),
  act('{NEWLINE}', Action.Newline),
  act('&nbsp;', Action.Skip),
  act('.', Action.Untokenizable),
];

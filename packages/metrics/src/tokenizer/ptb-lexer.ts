/**
 * The PTB lexer: the grammar of `ptb-grammar.ts` compiled to a lazy DFA, driven the way the JFlex 1.5.1
 * scanner of CoreNLP 3.4.1 is driven (longest match, ties to the earlier rule, trailing contexts, push-back),
 * with each rule's action. Produces the token strings `PTBTokenizer` prints, before lower-casing.
 *
 * @internal
 */
import { charSetsOf, CharClassPartition, DEAD, LazyDfa } from './lazy-dfa';
import { fixedLength, type Regex } from './regex';
import { Action, TOKEN_RULES, type TokenRule } from './ptb-grammar';
import { SPACE_CHARACTERS } from './ptb-characters';
import { SPLIT_CONTRACTIONS } from './ptb-word-lists';

/** A grammar rule ready for scanning. */
interface CompiledRule {
  readonly rule: TokenRule;
  /** `rule.action`, copied here so the scanning loop reads one object. */
  readonly action: Action;
  /** Whether the rule has a trailing context. */
  readonly hasLookahead: boolean;
  /** Length of the trailing context when every string it matches has the same length. */
  readonly lookaheadLength: number | undefined;
  /** Length of the token when every string the pattern matches has the same length. */
  readonly patternLength: number | undefined;
  /** Pattern and context as separate automata, for the general split (built on first use). */
  splitters: { pattern: LazyDfa; lookahead: LazyDfa } | undefined;
  readonly patternRegex: Regex;
  readonly lookaheadRegex: Regex | undefined;
}

/** The compiled grammar (built once, on first use). */
interface CompiledGrammar {
  readonly scanner: LazyDfa;
  readonly rules: readonly CompiledRule[];
  readonly partition: CharClassPartition;
}

let compiled: CompiledGrammar | undefined;

function compileGrammar(): CompiledGrammar {
  const patterns: Regex[] = [];
  const pieces: Regex[] = [];
  const rules = TOKEN_RULES.map((rule): CompiledRule => {
    const patternRegex = rule.pattern;
    const lookaheadRegex = rule.followedBy;
    patterns.push(
      lookaheadRegex === undefined ? patternRegex : { kind: 'concat', parts: [patternRegex, lookaheadRegex] },
    );
    pieces.push(patternRegex);
    if (lookaheadRegex !== undefined) pieces.push(lookaheadRegex);
    return {
      rule,
      action: rule.action,
      hasLookahead: lookaheadRegex !== undefined,
      patternRegex,
      lookaheadRegex,
      lookaheadLength: lookaheadRegex === undefined ? undefined : fixedLength(lookaheadRegex),
      patternLength: fixedLength(patternRegex),
      splitters: undefined,
    };
  });
  const partition = new CharClassPartition(charSetsOf(pieces));
  return { scanner: new LazyDfa(patterns, partition), rules, partition };
}

function grammar(): CompiledGrammar {
  compiled ??= compileGrammar();
  return compiled;
}

/**
 * Length of the token of a match of a rule with trailing context: JFlex 1.5 takes the longest prefix of the
 * match that the pattern matches such that the context matches the rest.
 */
function tokenLengthWithLookahead(compiledRule: CompiledRule, text: string, start: number, end: number): number {
  if (compiledRule.lookaheadLength !== undefined) return end - start - compiledRule.lookaheadLength;
  if (compiledRule.patternLength !== undefined) return compiledRule.patternLength;
  const g = grammar();
  compiledRule.splitters ??= {
    pattern: new LazyDfa([compiledRule.patternRegex], g.partition),
    lookahead: new LazyDfa([compiledRule.lookaheadRegex as Regex], g.partition),
  };
  const { pattern, lookahead } = compiledRule.splitters;
  const patternEnds: number[] = [];
  let state = pattern.startState;
  for (let i = start; i < end; i++) {
    state = pattern.step(state, text.charCodeAt(i));
    if (state === DEAD) break;
    if (pattern.acceptOf(state) >= 0) patternEnds.push(i + 1);
  }
  for (let k = patternEnds.length - 1; k >= 0; k--) {
    const split = patternEnds[k] as number;
    let context = lookahead.startState;
    for (let i = split; i < end && context !== DEAD; i++) context = lookahead.step(context, text.charCodeAt(i));
    if (context !== DEAD && lookahead.acceptOf(context) >= 0) return split - start;
  }
  // Unreachable: the combined automaton matched pattern·context over [start, end).
  throw new Error(
    `PTB lexer: no split of ${JSON.stringify(text.slice(start, end))} for the rule "${compiledRule.rule.name}"`,
  );
}

function removeSoftHyphens(token: string): string {
  if (token.indexOf('\u00ad') < 0) return token;
  const out = token.replace(/\u00ad/g, '');
  return out === '' ? '-' : out;
}

function normalizeAmpersand(token: string): string {
  return token.indexOf('&') < 0 ? token : token.replace(/&amp;/gi, '&');
}

function parenthesesToPtb(token: string): string {
  return token.replace(/\(/g, '-LRB-').replace(/\)/g, '-RRB-');
}

/** LaTeX-style quotes, as CoreNLP's `latexQuotes` (its patterns are case-sensitive: `&APOS;` stays). */
function latexQuotes(token: string, probablyOpening: boolean): string {
  let out = probablyOpening
    ? token.replace(/&apos;|'/g, '`').replace(/"|&quot;/g, '``')
    : token.replace(/&apos;|'/g, "'").replace(/"|&quot;/g, "''");
  out = out
    .replace(/[\u0091\u2018\u201b\u2039]/g, '`')
    .replace(/[\u0092\u2019\u203a]/g, "'")
    .replace(/[\u0093\u201c\u00ab]/g, '``')
    .replace(/[\u0094\u201d\u00bb]/g, "''");
  return out;
}

const FRACTIONS: Readonly<Record<string, string>> = {
  '\u00bc': '1/4',
  '\u00bd': '1/2',
  '\u00be': '3/4',
  '\u2153': '1/3',
  '\u2154': '2/3',
};

const CURRENCIES: Readonly<Record<string, string>> = {
  '\u00a2': 'cents',
  '\u00a3': '#',
  '\u0080': '$',
  '\u00a4': '$',
  '\u20a0': '$',
  '\u20ac': '$',
};

/**
 * Receives the tokens of {@link scanPtb}. A token is either a verbatim piece of the input (`text[start, end)`,
 * `replacement` null) or a normalised form of that piece (`replacement`, e.g. `-LRB-` for `(`).
 */
export interface PtbTokenSink {
  /** One token. */
  token(start: number, end: number, replacement: string | null): void;
  /** A line break (the `*NL*` token of `tokenizeNLs`). Return `false` to stop the scan. */
  newline(): boolean;
}

/**
 * Scans `text` the way `new PTBLexer(reader, factory, "tokenizeNLs")` of CoreNLP 3.4.1 does and hands each
 * token (before lower-casing) and line break to `sink`, in order. Untokenizable characters are dropped.
 *
 * @param text the input
 * @param sink receives the tokens
 */
export function scanPtb(text: string, sink: PtbTokenSink): void {
  const { scanner, rules } = grammar();
  const end = text.length;
  const hasSoftHyphen = text.indexOf('\u00ad') >= 0;
  let pos = 0;
  while (pos < end) {
    const c = text.charCodeAt(pos);
    if (c < 0x80) {
      const kind = ASCII_KIND[c] as number;
      if (kind === SPACE) {
        // The skip rule takes the whole run of space characters (not only U+0020): skipping just the
        // U+0020 would let a following U+3000 start a token of its own (e.g. a web address).
        pos++;
        while (pos < end && IS_SPACE[text.charCodeAt(pos)] === 1) pos++;
        continue;
      }
      if (kind === LINE_FEED) {
        if (!sink.newline()) return;
        pos++;
        continue;
      }
      if (kind === LETTER) {
        // Shortcut for the commonest token, proven equal to the grammar's verdict: an ASCII letter, then
        // ASCII letters and digits, then a space, \n, \r or the end of the text is one token, the 'word'
        // rule's (the rules that match as long or longer, such as 'acronym before a space' for "a " or
        // 'abbreviation before a space' for "st ", give the same token; nothing that starts with a letter can
        // cross a space or line break), except the split contractions (cannot, gonna, ...), which rank first.
        let j = pos + 1;
        while (j < end && (ASCII_KIND[text.charCodeAt(j)] as number) >= LETTER) j++;
        const after = j < end ? text.charCodeAt(j) : 0x20;
        if ((after === 0x20 || after === 0x0a || after === 0x0d) && !isAssimilation(text, pos, j)) {
          sink.token(pos, j, null);
          pos = j;
          continue;
        }
      }
    }
    scanner.longestMatch(text, pos, end);
    const compiledRule = rules[scanner.matchedRule] as CompiledRule;
    let matchEnd = scanner.matchEnd;
    if (compiledRule.hasLookahead) matchEnd = pos + tokenLengthWithLookahead(compiledRule, text, pos, matchEnd);
    const action = compiledRule.action;
    if (action === Action.Text || (action === Action.RemoveSoftHyphens && !hasSoftHyphen)) {
      sink.token(pos, matchEnd, null);
      pos = matchEnd;
    } else if (action === Action.Skip || action === Action.Untokenizable) {
      pos = matchEnd;
    } else if (action === Action.Newline) {
      if (!sink.newline()) return;
      pos = matchEnd;
    } else {
      pos = applyAction(compiledRule.rule, text, pos, matchEnd, sink);
    }
  }
}

/** {@link ASCII_KIND}: anything else. */
const OTHER = 0;
/** {@link ASCII_KIND}: U+0020, skipped with the space characters after it (no token starts with a space). */
const SPACE = 1;
/** {@link ASCII_KIND}: `\n` alone is a line break (only `\r\n` and `\r` need the scanner). */
const LINE_FEED = 2;
/** {@link ASCII_KIND}: A-Z, a-z. */
const LETTER = 3;
/** {@link ASCII_KIND}: 0-9 (inside a word). */
const DIGIT = 4;

/** Kind of each ASCII code unit for the scanner's shortcuts. */
const ASCII_KIND: Uint8Array = (() => {
  const kinds = new Uint8Array(128).fill(OTHER);
  kinds[0x20] = SPACE;
  kinds[0x0a] = LINE_FEED;
  for (let c = 0x41; c <= 0x5a; c++) kinds[c] = LETTER;
  for (let c = 0x61; c <= 0x7a; c++) kinds[c] = LETTER;
  for (let c = 0x30; c <= 0x39; c++) kinds[c] = DIGIT;
  return kinds;
})();

/**
 * 1 for each code unit of {@link SPACE_CHARACTERS} (a table: the space-run loop tests the code unit after every space).
 */
const IS_SPACE: Uint8Array = (() => {
  const table = new Uint8Array(0x10000);
  for (const [lo, hi] of SPACE_CHARACTERS.pairs()) table.fill(1, lo, hi + 1);
  return table;
})();

/** The split contractions made of letters only (`cannot`, `gonna`, ...): the ones the word shortcut can meet. */
const ASSIMILATIONS: readonly string[] = SPLIT_CONTRACTIONS.map(([word]) => word).filter((word) =>
  /^[a-z]+$/.test(word),
);
const ASSIMILATION_MIN_LENGTH = Math.min(...ASSIMILATIONS.map((word) => word.length));
const ASSIMILATION_MAX_LENGTH = Math.max(...ASSIMILATIONS.map((word) => word.length));

/**
 * Whether `text[start, end)` (ASCII letters and digits) is one of {@link ASSIMILATIONS}, compared code unit by
 * code unit (ASCII lower case by `| 0x20`, exact for letters; a digit never matches a letter that way): this
 * runs for every word of their lengths, so it builds no string.
 */
function isAssimilation(text: string, start: number, end: number): boolean {
  const length = end - start;
  if (length < ASSIMILATION_MIN_LENGTH || length > ASSIMILATION_MAX_LENGTH) return false;
  for (const word of ASSIMILATIONS) {
    if (word.length !== length) continue;
    let i = 0;
    while (i < length && (text.charCodeAt(start + i) | 0x20) === word.charCodeAt(i)) i++;
    if (i === length) return true;
  }
  return false;
}

/**
 * The less frequent actions: hands the token of the match `text[start, end)` of `rule` to `sink` and returns
 * where scanning resumes (before `end` when the rule pushes characters back).
 */
function applyAction(rule: TokenRule, text: string, start: number, end: number, sink: PtbTokenSink): number {
  const matched = text.slice(start, end);
  let token: string = matched;
  switch (rule.action) {
    case Action.SplitOffTail: {
      const resume = end - (rule.pushBack ?? 0);
      sink.token(start, resume, null);
      return resume;
    }
    case Action.AcronymAtSentenceEnd:
      // "I." before a sentence start gives "I" then "."; a longer acronym keeps its period and the
      // period is scanned again as a token of its own (CoreNLP's "reduplication").
      sink.token(start, end - start === 2 ? start + 1 : end, null);
      return end - 1;
    case Action.AbbreviationAtSentenceEnd:
      sink.token(start, end, null);
      return end - 1;
    case Action.SpacesToNbsp:
      // Always a replacement (even when unchanged): only these tokens (SGML) can hold a line break.
      sink.token(start, end, matched.replace(/ /g, '\u00a0'));
      return end;
    case Action.Replace:
      sink.token(start, end, rule.replacement ?? matched);
      return end;
    case Action.RemoveSoftHyphens:
      token = removeSoftHyphens(matched);
      break;
    case Action.NormalizeAmpersand:
      token = normalizeAmpersand(matched);
      break;
    case Action.Phone:
      token = parenthesesToPtb(matched.replace(/ /g, '\u00a0'));
      break;
    case Action.ParenthesesInside:
      token = parenthesesToPtb(matched);
      break;
    case Action.OpeningQuote:
      token = latexQuotes(matched, true);
      break;
    case Action.ClosingQuote:
      token = latexQuotes(matched, false);
      break;
    case Action.Hyphens:
      token = matched.length >= 3 && matched.length <= 4 ? '--' : matched;
      break;
    case Action.Fraction:
      token = FRACTIONS[matched] ?? matched;
      break;
    case Action.Currency:
      token = CURRENCIES[matched] ?? matched;
      break;
    default:
      // Text, Skip, Untokenizable and Newline are handled by the caller.
      throw new Error(`PTB lexer: unexpected action ${rule.action}`);
  }
  sink.token(start, end, token === matched ? null : token);
  return end;
}

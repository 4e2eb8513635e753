/**
 * The PTB lexer: the grammar of `ptb-grammar.ts` compiled to a lazy DFA, driven the way the JFlex 1.5.1
 * scanner of CoreNLP 3.4.1 is driven (longest match, ties to the earlier rule, trailing contexts, push-back),
 * with each rule's action. Produces the token strings `PTBTokenizer` prints, before lower-casing.
 *
 * @internal
 */
import { charSetsOf, CharClassPartition, LazyDfa } from './lazy-dfa';
import { fixedLength, parseMacros, parseRegex, type Regex } from './regex';
import { Action, MACROS, RULES, type Rule } from './ptb-grammar';

/** The token CoreNLP emits for a line break with `tokenizeNLs` (what `-preserveLines` turns into a newline). */
export const NEWLINE_TOKEN = '*NL*';

/** How a rule with a trailing context splits its match into token and context. */
interface CompiledRule {
  readonly rule: Rule;
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
  const macros = parseMacros(MACROS);
  const patterns: Regex[] = [];
  const pieces: Regex[] = [];
  const rules = RULES.map((rule): CompiledRule => {
    const patternRegex = parseRegex(rule.pattern, macros);
    const lookaheadRegex = rule.lookahead === undefined ? undefined : parseRegex(rule.lookahead, macros);
    patterns.push(
      lookaheadRegex === undefined ? patternRegex : { kind: 'concat', parts: [patternRegex, lookaheadRegex] },
    );
    pieces.push(patternRegex);
    if (lookaheadRegex !== undefined) pieces.push(lookaheadRegex);
    return {
      rule,
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
    if (state === 0) break;
    if (pattern.acceptOf(state) >= 0) patternEnds.push(i + 1);
  }
  for (let k = patternEnds.length - 1; k >= 0; k--) {
    const split = patternEnds[k] as number;
    let context = lookahead.startState;
    for (let i = split; i < end && context !== 0; i++) context = lookahead.step(context, text.charCodeAt(i));
    if (context !== 0 && lookahead.acceptOf(context) >= 0) return split - start;
  }
  // Unreachable: the combined automaton matched pattern·context over [start, end).
  throw new Error(`PTB lexer: no split of ${JSON.stringify(text.slice(start, end))} for rule /${compiledRule.rule.pattern}/`);
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
 * Scans `text` the way `new PTBLexer(reader, factory, "tokenizeNLs")` does and returns its tokens in order,
 * line breaks as {@link NEWLINE_TOKEN}. Untokenizable characters are dropped.
 */
export function lexPtb(text: string): string[] {
  const tokens: string[] = [];
  const { scanner, rules } = grammar();
  const end = text.length;
  let pos = 0;
  while (pos < end) {
    scanner.longestMatch(text, pos, end);
    const ruleIndex = scanner.matchedRule;
    const compiledRule = rules[ruleIndex];
    if (compiledRule === undefined) {
      // Cannot happen: the last rule matches any single code unit that no other rule takes.
      throw new Error(`PTB lexer: no rule matches at ${pos}`);
    }
    let matchEnd = scanner.matchEnd;
    const rule = compiledRule.rule;
    if (rule.lookahead !== undefined) matchEnd = pos + tokenLengthWithLookahead(compiledRule, text, pos, matchEnd);
    const matched = text.slice(pos, matchEnd);
    let next = matchEnd;
    switch (rule.action) {
      case Action.Text:
        tokens.push(matched);
        break;
      case Action.Skip:
      case Action.Untokenizable:
        break;
      case Action.Newline:
        tokens.push(NEWLINE_TOKEN);
        break;
      case Action.SplitOffTail:
        next = matchEnd - (rule.argument as number);
        tokens.push(text.slice(pos, next));
        break;
      case Action.RemoveSoftHyphens:
        tokens.push(removeSoftHyphens(matched));
        break;
      case Action.NormalizeAmpersand:
        tokens.push(normalizeAmpersand(matched));
        break;
      case Action.SpacesToNbsp:
        tokens.push(matched.replace(/ /g, '\u00a0'));
        break;
      case Action.Phone:
        tokens.push(parenthesesToPtb(matched.replace(/ /g, '\u00a0')));
        break;
      case Action.ParenthesesInside:
        tokens.push(parenthesesToPtb(matched));
        break;
      case Action.OpeningQuote:
        tokens.push(latexQuotes(matched, true));
        break;
      case Action.ClosingQuote:
        tokens.push(latexQuotes(matched, false));
        break;
      case Action.Replace:
        tokens.push(rule.argument as string);
        break;
      case Action.Hyphens:
        tokens.push(matched.length >= 3 && matched.length <= 4 ? '--' : matched);
        break;
      case Action.Fraction:
        tokens.push(FRACTIONS[matched] ?? matched);
        break;
      case Action.Currency:
        tokens.push(CURRENCIES[matched] ?? matched);
        break;
      case Action.AcronymAtSentenceEnd:
        if (matched.length === 2) {
          tokens.push(matched.slice(0, 1));
        } else {
          tokens.push(matched);
        }
        next = matchEnd - 1;
        break;
      case Action.AbbreviationAtSentenceEnd:
        tokens.push(matched);
        next = matchEnd - 1;
        break;
    }
    pos = next;
  }
  return tokens;
}

/**
 * A parser for the small regular-expression language the PTB grammar is written in: the JFlex 1.5 subset
 * that Stanford's `PTBLexer.flex` uses, with JFlex's meaning for each construct.
 *
 * - `a|b`, concatenation, `( )`, `*`, `+`, `?`, `{n}`, `{n,m}`; `{NAME}` expands a macro.
 * - `[...]` classes with ranges and `^` negation; `[^]` is any code unit; `[:letter:]`, `[:digit:]`,
 *   `[:uppercase:]` are JFlex's predefined Unicode classes (Unicode 6.3 tables, see `unicode-classes.ts`).
 * - `.` is any code unit but the JFlex 1.5 newlines `\n \r \u000B \u000C \u0085 \u2028 \u2029`.
 * - Escapes: `\uXXXX`, `\xXX`, `\0`, `\t`, `\n`, `\r`, `\f`, `\b`; any other escaped character is itself.
 * - Caseless scanning (JFlex `%caseless`): a literal character outside a class also matches its upper- and
 *   lower-case forms; classes are never widened (`[a]` matches only `a`), exactly as JFlex does it.
 * - Whitespace is not allowed outside classes (write `[ ]`); a double quote must be escaped.
 *
 * @internal
 */
import { CharSet } from './char-set';
import { JFLEX_DIGIT_RANGES, JFLEX_LETTER_RANGES, JFLEX_UPPERCASE_RANGES } from './unicode-classes';

/** A parsed regular expression. */
export type Regex =
  | { readonly kind: 'set'; readonly set: CharSet }
  | { readonly kind: 'concat'; readonly parts: readonly Regex[] }
  | { readonly kind: 'alt'; readonly alternatives: readonly Regex[] }
  | { readonly kind: 'repeat'; readonly body: Regex; readonly min: number; readonly max: number };

/** `max` of a {@link Regex} `repeat` node without an upper bound (`*`, `+`). */
export const UNBOUNDED = Number.POSITIVE_INFINITY;

/** A grammar's syntax error, with the offending source and position. */
export class RegexSyntaxError extends Error {
  constructor(problem: string, source: string, position: number) {
    super(`${problem} at ${position} in /${source}/`);
    this.name = 'RegexSyntaxError';
  }
}

function parseRangeList(encoded: string): CharSet {
  const pairs: [number, number][] = [];
  for (const item of encoded.split(' ')) {
    if (item === '') continue;
    const dash = item.indexOf('-');
    const lo = parseInt(dash < 0 ? item : item.slice(0, dash), 16);
    pairs.push([lo, dash < 0 ? lo : parseInt(item.slice(dash + 1), 16)]);
  }
  return CharSet.fromPairs(pairs);
}

/** JFlex's predefined classes, by the name written between `[:` and `:]`. */
const PREDEFINED: ReadonlyMap<string, CharSet> = new Map([
  ['letter', parseRangeList(JFLEX_LETTER_RANGES)],
  ['digit', parseRangeList(JFLEX_DIGIT_RANGES)],
  ['uppercase', parseRangeList(JFLEX_UPPERCASE_RANGES)],
]);

/** What `.` excludes in JFlex 1.5: its newline characters. */
const DOT = CharSet.of('\n\r\u000b\u000c\u0085\u2028\u2029').complement();

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { t: 9, n: 10, r: 13, f: 12, b: 8, '0': 0 };

/**
 * Parses `source` with the given macros (already parsed) in caseless mode.
 *
 * @param source the expression text
 * @param macros `{NAME}` definitions visible to it
 */
export function parseRegex(source: string, macros: ReadonlyMap<string, Regex>): Regex {
  let pos = 0;

  const fail = (problem: string): never => {
    throw new RegexSyntaxError(problem, source, pos);
  };

  const escapeCode = (): number => {
    // called with source[pos] === '\\'
    pos++;
    const c = source[pos];
    if (c === undefined) return fail('dangling backslash');
    if (c === 'u' || c === 'x') {
      const width = c === 'u' ? 4 : 2;
      const hex = source.slice(pos + 1, pos + 1 + width);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) fail('bad hex escape');
      pos += 1 + width;
      return parseInt(hex, 16);
    }
    pos++;
    return SIMPLE_ESCAPES[c] ?? c.charCodeAt(0);
  };

  const caselessChar = (code: number): Regex => {
    const ch = String.fromCharCode(code);
    return { kind: 'set', set: CharSet.of(ch + ch.toUpperCase() + ch.toLowerCase()) };
  };

  const parseClass = (): Regex => {
    // called with source[pos] === '['
    const predefined = /^\[:([a-z]+):\]/.exec(source.slice(pos, pos + 16));
    if (predefined !== null) {
      const set = PREDEFINED.get(predefined[1] as string);
      if (set === undefined) return fail(`unknown predefined class ${predefined[0]}`);
      pos += predefined[0].length;
      return { kind: 'set', set };
    }
    pos++;
    let negated = false;
    if (source[pos] === '^') {
      negated = true;
      pos++;
    }
    const pairs: [number, number][] = [];
    const member = (): number => {
      const c = source[pos];
      if (c === undefined) return fail('unterminated class');
      if (c === '\\') return escapeCode();
      pos++;
      return c.charCodeAt(0);
    };
    while (source[pos] !== ']') {
      if (source[pos] === '[' && /^\[:[a-z]+:\]/.test(source.slice(pos, pos + 16))) {
        const inner = parseClass();
        if (inner.kind === 'set') pairs.push(...inner.set.pairs());
        continue;
      }
      const lo = member();
      if (source[pos] === '-' && source[pos + 1] !== ']' && source[pos + 1] !== undefined) {
        pos++;
        const hi = member();
        if (hi < lo) fail('empty range');
        pairs.push([lo, hi]);
      } else {
        pairs.push([lo, lo]);
      }
    }
    pos++; // ']'
    const set = CharSet.fromPairs(pairs);
    return { kind: 'set', set: negated ? set.complement() : set };
  };

  const parseAtom = (): Regex => {
    const c = source[pos] as string;
    if (c === '(') {
      pos++;
      const inner = parseAlternation();
      if (source[pos] !== ')') fail('missing )');
      pos++;
      return inner;
    }
    if (c === '[') return parseClass();
    if (c === '{') {
      const close = source.indexOf('}', pos);
      if (close < 0) fail('unterminated macro');
      const name = source.slice(pos + 1, close);
      const macro = macros.get(name);
      if (macro === undefined) return fail(`unknown macro {${name}}`);
      pos = close + 1;
      return macro;
    }
    if (c === '.') {
      pos++;
      return { kind: 'set', set: DOT };
    }
    if (c === '\\') return caselessChar(escapeCode());
    if (c === '"' || /\s/.test(c) || c === ')' || c === '|' || c === '*' || c === '+' || c === '?') {
      return fail(`unexpected ${JSON.stringify(c)}`);
    }
    pos++;
    return caselessChar(c.charCodeAt(0));
  };

  const parsePostfix = (): Regex => {
    let re = parseAtom();
    for (;;) {
      const c = source[pos];
      if (c === '*') re = { kind: 'repeat', body: re, min: 0, max: UNBOUNDED };
      else if (c === '+') re = { kind: 'repeat', body: re, min: 1, max: UNBOUNDED };
      else if (c === '?') re = { kind: 'repeat', body: re, min: 0, max: 1 };
      else if (c === '{' && /[0-9]/.test(source[pos + 1] ?? '')) {
        const m = /^\{(\d+)(?:,(\d+))?\}/.exec(source.slice(pos));
        if (m === null) return fail('bad repetition');
        const min = Number(m[1]);
        const max = m[2] === undefined ? min : Number(m[2]);
        if (max < min) fail('bad repetition bounds');
        re = { kind: 'repeat', body: re, min, max };
        pos += m[0].length - 1;
      } else {
        return re;
      }
      pos++;
    }
  };

  const parseConcatenation = (): Regex => {
    const parts: Regex[] = [];
    while (pos < source.length && source[pos] !== '|' && source[pos] !== ')') parts.push(parsePostfix());
    return parts.length === 1 ? (parts[0] as Regex) : { kind: 'concat', parts };
  };

  function parseAlternation(): Regex {
    const alternatives = [parseConcatenation()];
    while (source[pos] === '|') {
      pos++;
      alternatives.push(parseConcatenation());
    }
    return alternatives.length === 1 ? (alternatives[0] as Regex) : { kind: 'alt', alternatives };
  }

  const result = parseAlternation();
  if (pos !== source.length) fail('unexpected )');
  return result;
}

/**
 * Parses macro definitions in order (a macro may use those before it).
 *
 * @param definitions `[name, source]` pairs
 * @param base macros already defined
 */
export function parseMacros(
  definitions: readonly (readonly [string, string])[],
  base: ReadonlyMap<string, Regex> = new Map()
): Map<string, Regex> {
  const macros = new Map(base);
  for (const [name, source] of definitions) macros.set(name, parseRegex(source, macros));
  return macros;
}

/** Every character set that occurs in `re`. */
export function collectSets(re: Regex, into: Set<CharSet>): void {
  switch (re.kind) {
    case 'set':
      into.add(re.set);
      return;
    case 'concat':
      for (const p of re.parts) collectSets(p, into);
      return;
    case 'alt':
      for (const a of re.alternatives) collectSets(a, into);
      return;
    case 'repeat':
      collectSets(re.body, into);
      return;
  }
}

/** The length of every string `re` matches, when they all have the same length; otherwise `undefined`. */
export function fixedLength(re: Regex): number | undefined {
  switch (re.kind) {
    case 'set':
      return 1;
    case 'concat': {
      let total = 0;
      for (const p of re.parts) {
        const n = fixedLength(p);
        if (n === undefined) return undefined;
        total += n;
      }
      return total;
    }
    case 'alt': {
      const first = fixedLength(re.alternatives[0] as Regex);
      return re.alternatives.every((a) => fixedLength(a) === first) ? first : undefined;
    }
    case 'repeat': {
      const n = fixedLength(re.body);
      return n !== undefined && re.min === re.max ? n * re.min : n === 0 ? 0 : undefined;
    }
  }
}

import { describe, expect, it } from 'vitest';
import { CharSet } from './char-set';
import { charSetsOf, CharClassPartition, LazyDfa } from './lazy-dfa';
import { fixedLength, parseMacros, parseRegex, RegexSyntaxError, type Regex } from './regex';

/** A scanner over `sources` (highest priority first); returns [rule, end] of the longest match at 0. */
function scanner(
  sources: string[],
  macros: ReadonlyMap<string, Regex> = new Map()
): (text: string) => [number, number] {
  const patterns = sources.map((s) => parseRegex(s, macros));
  const dfa = new LazyDfa(patterns, new CharClassPartition(charSetsOf(patterns)));
  return (text) => {
    dfa.longestMatch(text, 0, text.length);
    return [dfa.matchedRule, dfa.matchEnd];
  };
}

describe('JFlex-style longest match (lazy DFA)', () => {
  it('takes the longest match, then the earliest rule among equally long ones', () => {
    const scan = scanner(['ab', 'a', 'abc', '[a-z]+']);
    expect(scan('abcd!')).toEqual([3, 4]);
    expect(scan('abc!')).toEqual([2, 3]);
    expect(scan('ab!')).toEqual([0, 2]);
    expect(scan('!')).toEqual([-1, 0]);
  });

  it('is caseless for literal characters but not inside classes, as %caseless', () => {
    const scan = scanner(['if', '[a]']);
    expect(scan('IF')).toEqual([0, 2]);
    expect(scan('iF')).toEqual([0, 2]);
    expect(scan('a')).toEqual([1, 1]);
    expect(scan('A')).toEqual([-1, 0]);
  });

  it('knows [^] (anything), . (no JFlex 1.5 newline), [:letter:] and repetition bounds', () => {
    expect(scanner(['[^][^]'])('\n\u2028')).toEqual([0, 2]);
    expect(scanner(['.+'])('ab\u2028c')).toEqual([0, 2]);
    expect(scanner(['.+'])('ab\u0085c')).toEqual([0, 2]);
    expect(scanner(['[:letter:]+'])('\u00e9\u4e00x1')).toEqual([0, 3]);
    expect(scanner(['x{2,3}'])('xxxx')).toEqual([0, 3]);
    expect(scanner(['x{2,3}'])('x')).toEqual([-1, 0]);
  });

  it('expands macros and reads JFlex escapes', () => {
    const macros = parseMacros([
      ['D', '[0-9]'],
      ['N', String.raw`{D}+(\.{D}+)?`],
    ]);
    expect(scanner(['{N}'], macros)('12.5x')).toEqual([0, 4]);
    expect(scanner([String.raw`\u00e9\x41\t`])('\u00e9A\t')).toEqual([0, 3]);
  });

  it('rejects malformed patterns with the position', () => {
    expect(() => parseRegex('(ab', new Map())).toThrow(RegexSyntaxError);
    expect(() => parseRegex('{NOPE}', new Map())).toThrow(/unknown macro/);
    expect(() => parseRegex('a b', new Map())).toThrow(/at 1/);
  });

  it('computes fixed lengths of trailing contexts', () => {
    const m = new Map<string, Regex>();
    expect(fixedLength(parseRegex('[ ]', m))).toBe(1);
    expect(fixedLength(parseRegex('[^][^]', m))).toBe(2);
    expect(fixedLength(parseRegex(String.raw`\r|\r?\n`, m))).toBeUndefined();
    expect(fixedLength(parseRegex('x{3}', m))).toBe(3);
  });
});

describe('character class partition', () => {
  it('gives two code units the same class only when every set treats them alike', () => {
    const sets = [CharSet.range(0x41, 0x5a), CharSet.of('aeiouE'), CharSet.range(0x3000, 0x30ff).complement()];
    const partition = new CharClassPartition(sets);
    const signature = (c: number): string => sets.map((s) => (s.has(c) ? 1 : 0)).join('');
    const seen = new Map<number, string>();
    const conflicts: number[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      const cls = partition.classOf[c] as number;
      const sig = signature(c);
      const known = seen.get(cls);
      if (known === undefined) seen.set(cls, sig);
      else if (known !== sig) conflicts.push(c);
    }
    expect(conflicts).toEqual([]);
    expect(new Set(seen.values()).size).toBe(seen.size);
  });

  it('interns equal sets', () => {
    expect(CharSet.of('ba')).toBe(CharSet.fromPairs([[0x61, 0x62]]));
    expect(CharSet.of('a').complement().complement()).toBe(CharSet.of('a'));
  });
});

import { describe, expect, it } from 'vitest';
import { CharSet } from './char-set';
import { charSetsOf, CharClassPartition, LazyDfa } from './lazy-dfa';
import {
  anyCase,
  capitalized,
  chars,
  charsExcept,
  fixedLength,
  oneOf,
  oneOrMore,
  optional,
  repeat,
  seq,
  zeroOrMore,
  type Regex,
} from './regex';

/** A scanner over `patterns` (highest priority first); returns [rule, end] of the longest match at 0. */
function scanner(patterns: Regex[]): (text: string) => [number, number] {
  const dfa = new LazyDfa(patterns, new CharClassPartition(charSetsOf(patterns)));
  return (text) => {
    dfa.longestMatch(text, 0, text.length);
    return [dfa.matchedRule, dfa.matchEnd];
  };
}

const lowerCase = chars(CharSet.range(0x61, 0x7a));

describe('JFlex-style longest match (lazy DFA)', () => {
  it('takes the longest match, then the earliest rule among equally long ones', () => {
    const scan = scanner([seq('ab'), chars('a'), seq('abc'), oneOrMore(lowerCase)]);
    expect(scan('abcd!')).toEqual([3, 4]);
    expect(scan('abc!')).toEqual([2, 3]);
    expect(scan('ab!')).toEqual([0, 2]);
    expect(scan('!')).toEqual([-1, 0]);
  });

  it('matches literal text in any ASCII case, but a character set only as written', () => {
    const scan = scanner([seq('if'), chars('a')]);
    expect(scan('IF')).toEqual([0, 2]);
    expect(scan('iF')).toEqual([0, 2]);
    expect(scan('a')).toEqual([1, 1]);
    expect(scan('A')).toEqual([-1, 0]);
    expect(scanner([anyCase('&amp;')])('&AmP;')).toEqual([0, 5]);
  });

  it('keeps the capital of a capitalized word and lets the rest match in any case', () => {
    const scan = scanner([capitalized('The')]);
    expect(scan('THE')).toEqual([0, 3]);
    expect(scan('The')).toEqual([0, 3]);
    expect(scan('the')).toEqual([-1, 0]);
  });

  it('refuses literal text with a cased letter outside ASCII (its other case would be silently missed)', () => {
    expect(() => anyCase('caf\u00e9')).toThrow(RangeError);
    expect(() => seq('a', '\u00e9')).toThrow(/chars\(\)/);
    expect(() => anyCase('\u00a0\u4e00-')).not.toThrow();
  });

  it('knows any-code-unit sets, negated sets, optional parts and repetition bounds', () => {
    expect(scanner([repeat(charsExcept(''), 2, 2)])('\n\u2028x')).toEqual([0, 2]);
    expect(scanner([oneOrMore(charsExcept('\n'))])('ab\u2028c\nd')).toEqual([0, 4]);
    expect(scanner([repeat('x', 2, 3)])('xxxx')).toEqual([0, 3]);
    expect(scanner([repeat('x', 2, 3)])('x')).toEqual([-1, 0]);
    expect(scanner([seq('a', optional('b'), zeroOrMore('c'), 'd')])('acccd')).toEqual([0, 5]);
    expect(scanner([seq('a', optional('b'), zeroOrMore('c'), 'd')])('abbd')).toEqual([-1, 0]);
    expect(scanner([oneOf(seq('ab'), seq('a', 'bc'))])('abc')).toEqual([0, 3]);
    expect(() => repeat('x', 3, 2)).toThrow(RangeError);
  });

  it('computes fixed lengths of trailing contexts', () => {
    expect(fixedLength(chars(' '))).toBe(1);
    expect(fixedLength(repeat(charsExcept(''), 2, 2))).toBe(2);
    expect(fixedLength(oneOf('\r\n', chars('\r\n')))).toBeUndefined();
    expect(fixedLength(oneOf('ab', 'cd'))).toBe(2);
    expect(fixedLength(repeat('x', 3, 3))).toBe(3);
    expect(fixedLength(optional('x'))).toBeUndefined();
  });
});

describe('character sets', () => {
  it('reads hexadecimal lists, and forms unions and differences', () => {
    const set = CharSet.fromHexList(' 41-43  61\n 7a ');
    expect(set).toBe(CharSet.of('ABCaz'));
    expect(CharSet.union(CharSet.of('ab'), CharSet.range(0x63, 0x65))).toBe(CharSet.range(0x61, 0x65));
    expect(CharSet.range(0x61, 0x65).minus(CharSet.of('bd'))).toBe(CharSet.of('ace'));
    expect(CharSet.of('a').minus(CharSet.of('a')).ranges).toEqual([]);
    expect(() => CharSet.fromHexList('43-41')).toThrow(RangeError);
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

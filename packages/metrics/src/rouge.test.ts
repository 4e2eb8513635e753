import { describe, expect, it } from 'vitest';
import { rouge } from './rouge';
import { expectPerImage, expectRelativeClose, itMatchesEveryOracleCase } from './testing/expected-cases';

itMatchesEveryOracleCase('rouge parity', (expected) => {
  const result = rouge(expected.refs, expected.cands);
  expectRelativeClose(result.score, expected.corpus.ROUGE_L, 'corpus ROUGE_L');
  expectPerImage(result.perImage, expected, 'ROUGE_L');
});

describe('rouge', () => {
  it('takes the maximum precision and the maximum recall over references separately', () => {
    // LCS with ref 1 ("a b"): 2 → P = 2/4, R = 1; with ref 2 ("a b c d e f g h"): 4 → P = 1, R = 0.5.
    const { score } = rouge({ x: ['a b', 'a b c d e f g h'] }, { x: 'a b c d' });
    const beta2 = 1.2 ** 2;
    expect(score).toBe(((1 + beta2) * 1 * 1) / (1 + beta2 * 1));
  });

  it('equals a direct port of rouge.py on random captions, candidates shorter and longer than 32 tokens', () => {
    // rouge.py's my_lcs (dynamic programme over split(" ") tokens) and calc_score, written out plainly here.
    const lcs = (a: string[], b: string[]): number => {
      const table = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
      for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
          table[i]![j] =
            a[i - 1] === b[j - 1] ? table[i - 1]![j - 1]! + 1 : Math.max(table[i - 1]![j]!, table[i]![j - 1]!);
        }
      }
      return table[a.length]![b.length]!;
    };
    const calcScore = (candidate: string, references: string[]): number => {
      const tokens = candidate.split(' ');
      let precisionMax = 0;
      let recallMax = 0;
      for (const reference of references) {
        const common = lcs(reference.split(' '), tokens);
        precisionMax = Math.max(precisionMax, common / tokens.length);
        recallMax = Math.max(recallMax, common / reference.split(' ').length);
      }
      const beta2 = 1.2 ** 2;
      return precisionMax !== 0 && recallMax !== 0
        ? ((1 + beta2) * precisionMax * recallMax) / (recallMax + beta2 * precisionMax)
        : 0;
    };
    let seed = 12345;
    const random = (below: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % below;
    };
    const words = ['a', 'dog', 'on', 'the', 'grass', 'man', 'red', 'bus', 'of', 'two'];
    const caption = (length: number): string => Array.from({ length }, () => words[random(words.length)]).join(' ');
    const refs: Record<string, string[]> = {};
    const cands: Record<string, string> = {};
    for (let image = 0; image < 60; image++) {
      refs[image] = Array.from({ length: 1 + random(5) }, () => caption(1 + random(40)));
      cands[image] = caption(image < 20 ? 33 + random(15) : 1 + random(32));
    }
    // The bit-parallel limit itself: 31, 32 (a full 32-bit word) and 33 tokens, against up to 64 reference tokens.
    for (const length of [31, 32, 33, 32, 32]) {
      const image = Object.keys(cands).length;
      refs[image] = Array.from({ length: 3 }, () => caption(1 + random(64)));
      cands[image] = caption(length);
    }
    const { perImage } = rouge(refs, cands);
    for (const id of Object.keys(cands))
      expect(perImage[id]).toBe(calcScore(cands[id] as string, refs[id] as string[]));
  });

  it('refuses a beta that is not a positive number (it would give NaN)', () => {
    expect(() => rouge({ x: ['a'] }, { x: 'a' }, { beta: Number.NaN })).toThrow(
      /field "beta": ROUGE_L: option beta must be a positive number/,
    );
  });

  it('splits on single spaces as rouge.py does: an empty candidate against an empty reference scores 1', () => {
    expect(rouge({ x: [''] }, { x: '' }).score).toBe(1);
    expect(rouge({ x: ['a dog'] }, { x: '' }).score).toBe(0);
  });
});

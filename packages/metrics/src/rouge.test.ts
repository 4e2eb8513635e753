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

  it('splits on single spaces as rouge.py does: an empty candidate against an empty reference scores 1', () => {
    expect(rouge({ x: [''] }, { x: '' }).score).toBe(1);
    expect(rouge({ x: ['a dog'] }, { x: '' }).score).toBe(0);
  });
});

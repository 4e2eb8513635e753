import { describeWithShared } from '@caption/test-support';
import { describe, expect, it } from 'vitest';
import { rouge } from './rouge';
import { EDGE_CASES, REAL_CASES, expectPerImage, expectRelativeClose, loadEdgeCases, loadRealCase } from './testing/expected-cases';

for (const [name, path] of Object.entries(REAL_CASES)) {
  describeWithShared(`rouge parity on ${name}`, [path], (data) => {
    it('matches the oracle corpus ROUGE_L and every per-image score', () => {
      const expected = loadRealCase(data, path);
      const result = rouge(expected.refs, expected.cands);
      expectRelativeClose(result.score, expected.corpus.ROUGE_L, 'corpus ROUGE_L');
      expectPerImage(result.perImage, expected, 'ROUGE_L');
    });
  });
}

describeWithShared('rouge parity on the metric edge cases', [EDGE_CASES], (data) => {
  it('matches the oracle', () => {
    const expected = loadEdgeCases(data);
    const result = rouge(expected.refs, expected.cands);
    expectRelativeClose(result.score, expected.corpus.ROUGE_L, 'corpus ROUGE_L');
    expectPerImage(result.perImage, expected, 'ROUGE_L');
  });
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

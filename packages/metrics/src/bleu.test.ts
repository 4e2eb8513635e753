import { describe, expect, it } from 'vitest';
import { bleu, bleuFromCounts, bleuOfEncoded } from './bleu';
import { encodeCorpus } from './internal/encoded-corpus';
import { MetricsInputError } from './errors';
import { expectPerImage, expectRelativeClose, itMatchesEveryOracleCase } from './testing/expected-cases';

const BLEU_KEYS = ['Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4'];

itMatchesEveryOracleCase('bleu parity', (expected) => {
  const result = bleu(expected.refs, expected.cands);
  if (expected.bleuStats !== undefined) expect(result.stats).toEqual(expected.bleuStats);
  BLEU_KEYS.forEach((key, k) => {
    expectRelativeClose(result.score[k], expected.corpus[key], `corpus ${key}`);
    const perImage = Object.fromEntries(Object.entries(result.perImage).map(([id, s]) => [id, s[k] as number]));
    expectPerImage(perImage, expected, key);
  });
});

describe('bleu', () => {
  it('gives BLEU-1..k of BLEU-n for n = k, also from n-grams counted to a higher order', () => {
    const refs = { a: ['a dog runs on the grass', 'a brown dog on a field'], b: ['two cats on a bed'] };
    const cands = { a: 'a dog on the grass', b: 'a cat on a bed' };
    const four = bleu(refs, cands);
    const two = bleu(refs, cands, { n: 2 });
    const twoOfFour = bleuOfEncoded(encodeCorpus(refs, cands, ['a', 'b'], 4), 2);
    expect(two.score).toEqual(four.score.slice(0, 2));
    expect(twoOfFour.score).toEqual(two.score);
    expect(twoOfFour.perImage).toEqual(two.perImage);
  });

  it('gives 1 (up to the reference guards) for a candidate equal to its only reference', () => {
    const { score } = bleu({ a: ['the cat sat on the mat'] }, { a: 'the cat sat on the mat' });
    for (const value of score) expect(value).toBeCloseTo(1, 8);
  });

  it('clips candidate n-gram counts by the largest count in any one reference', () => {
    // "the" ×4 in the candidate; at most 2 in one reference, although 3 across both.
    const { stats } = bleu({ a: ['the the cat', 'the dog'] }, { a: 'the the the the' });
    expect(stats.correct[0]).toBe(2);
    expect(stats.guess).toEqual([4, 3, 2, 1]);
  });

  it("picks the closest reference length, the shorter one on ties ('closest' option)", () => {
    // candidate length 4; references of length 3 and 5 are both at distance 1: 3 wins.
    const { stats } = bleu({ a: ['a b c', 'a b c d e'] }, { a: 'a b c d' });
    expect(stats.reflen).toBe(3);
  });

  it('applies the brevity penalty computed from the guarded ratio', () => {
    const [b1] = bleuFromCounts(2, 4, [2, 1, 0, 0], [2, 1, 0, 0]);
    const ratio = (2 + 1e-15) / (4 + 1e-9);
    expect(b1).toBe(((2 + 1e-15) / (2 + 1e-9)) * Math.exp(1 - 1 / ratio));
  });

  it('scores an empty candidate 0 without NaN', () => {
    const { score, perImage } = bleu({ a: ['a dog'] }, { a: '' });
    expect(score).toEqual([0, 0, 0, 0]);
    expect(perImage.a).toEqual([0, 0, 0, 0]);
  });

  it('rejects ids that differ between references and candidates, naming the image', () => {
    expect(() => bleu({ a: ['x'], b: ['y'] }, { a: 'x' })).toThrow(/image id b/);
    expect(() => bleu({ a: ['x'] }, { a: 'x', c: 'z' })).toThrow(MetricsInputError);
    expect(() => bleu({ a: [] }, { a: 'x' })).toThrow(/reference list is empty/);
    expect(() => bleu({ a: ['x'] }, { a: 'x' }, { n: 0 })).toThrow(
      /field "n": BLEU: option n must be a positive integer, got 0/,
    );
    // Only the references' own keys count (not Object.prototype's `constructor`).
    expect(() => bleu({ a: ['x'] }, { constructor: 'x' })).toThrow(
      /image id constructor, field "references": BLEU: candidate has no references/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { cider, ciderOfEncoded } from './cider';
import { encodeCorpus } from './internal/encoded-corpus';
import { expectPerImage, expectRelativeClose, itMatchesEveryOracleCase } from './testing/expected-cases';

itMatchesEveryOracleCase('cider parity', (expected) => {
  const result = cider(expected.refs, expected.cands);
  expectRelativeClose(result.score, expected.corpus.CIDEr, 'corpus CIDEr');
  expectPerImage(result.perImage, expected, 'CIDEr');
});

describe('cider', () => {
  it('gives the same n = 3 scores from n-grams counted to order 3 or to order 4', () => {
    const refs = {
      a: ['a dog runs on the grass', 'a brown dog on a field'],
      b: ['two cats on a bed'],
      c: ['a red bus'],
    };
    const cands = { a: 'a dog on the grass', b: 'a cat on a bed', c: 'a bus on a street' };
    const three = cider(refs, cands, { n: 3 });
    expect(ciderOfEncoded(encodeCorpus(refs, cands, ['a', 'b', 'c'], 4), { n: 3 })).toEqual(three);
    expect(three.score).not.toBe(cider(refs, cands).score);
  });

  it('refuses an n or sigma that would make every score NaN', () => {
    const refs = { '1': ['a dog'], '2': ['a cat'] };
    const cands = { '1': 'a dog', '2': 'a cat' };
    expect(() => cider(refs, cands, { n: 0 })).toThrow(/field "n": CIDEr: option n must be a positive integer, got 0/);
    expect(() => cider(refs, cands, { sigma: 0 })).toThrow(
      /field "sigma": CIDEr: option sigma must be a positive number, got 0/,
    );
  });

  it('takes document frequencies from the evaluated references: an n-gram in every image weighs nothing', () => {
    // "a" occurs in the references of both images, so its idf is log(2) - log(2) = 0.
    const refs = { '1': ['a dog'], '2': ['a cat'] };
    expect(cider(refs, { '1': 'a', '2': 'a' }).score).toBe(0);
    expect(cider(refs, { '1': 'a dog', '2': 'a cat' }).perImage['1']).toBeGreaterThan(0);
  });

  it('penalises a length difference with exp(-delta^2 / 72), delta counted in bigrams', () => {
    const refs = { '1': ['x y'], '2': ['z w'] };
    // A copy of a two-token reference: orders 1 and 2 give cosine 1, orders 3 and 4 have no n-gram.
    expect(cider(refs, { '1': 'x y', '2': 'z w' }).perImage['1']).toBeCloseTo((10 * (1 + 1)) / 4, 12);
    // "x y q": every weight is log 2 ("q" and "y q" are unseen: df 0 counts as 1). Unigrams: 2 / (√3 √2);
    // bigrams: 1 / (√2 · 1); delta = 2 − 1 bigrams.
    const longer = cider(refs, { '1': 'x y q', '2': 'z w' }).perImage['1'] as number;
    const expected = (10 * ((2 / Math.sqrt(6) + 1 / Math.sqrt(2)) * Math.exp(-1 / 72))) / 4;
    expect(longer).toBeCloseTo(expected, 12);
  });
});

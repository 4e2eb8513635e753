/**
 * The one document-frequency counter: each image counts once per distinct n-gram, n-grams in coco-caption's
 * first-occurrence order, and the frequencies the CIDEr-D training reward reads (on real captions).
 */
import { describe, expect, it } from 'vitest';
import { CiderDScorer } from './cider-d-scorer';
import { documentFrequencies } from './document-frequency';
import { itMatchesEveryOracleCase } from './testing/expected-cases';

describe('documentFrequencies', () => {
  it('counts an image once per distinct n-gram, in first-occurrence order (unigrams, then bigrams, per caption)', () => {
    const { documentFrequency, referenceSetCount } = documentFrequencies([['a a dog', 'a\u3000dog'], ['dog a'], []], {
      n: 2,
    });
    expect(referenceSetCount).toBe(3);
    expect([...documentFrequency]).toEqual([
      ['a', 2],
      ['dog', 2],
      ['a a', 1],
      ['a dog', 1],
      ['dog a', 1],
    ]);
  });

  it('rejects an order that is not a positive integer', () => {
    expect(() => documentFrequencies([], { n: 0 })).toThrow('n');
  });
});

itMatchesEveryOracleCase('documentFrequencies equals what CiderDScorer.fromCorpus counts', (expected) => {
  const refs = Object.values(expected.refs) as (readonly string[])[];
  const { documentFrequency, referenceSetCount } = documentFrequencies(refs);
  const scorer = CiderDScorer.fromCorpus(refs);
  expect(referenceSetCount).toBe(refs.length);
  expect(documentFrequency.size).toBeGreaterThan(refs.length);
  for (const [ngram, df] of documentFrequency) expect(scorer.documentFrequencyOf(ngram)).toBe(df);
});

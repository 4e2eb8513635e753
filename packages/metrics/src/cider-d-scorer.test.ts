import { readFileSync } from 'node:fs';
import { describeWithShared } from '@caption/test-support';
import { describe, expect, it } from 'vitest';
import { CiderDScorer, PreparedReferences } from './cider-d-scorer';
import { MetricsInputError } from './errors';
import {
  REAL_CASES,
  expectRelativeClose,
  itMatchesEveryOracleCase,
  loadRealCase,
  type ExpectedCase,
} from './testing/expected-cases';

/** The reward oracle: ruotianluo/cider CiderD(df='corpus') over the case's own references. */
function expectRewardParity(expected: ExpectedCase): void {
  const ids = Object.keys(expected.cands);
  const refs = ids.map((id) => expected.refs[id] as readonly string[]);
  const scorer = CiderDScorer.fromCorpus(refs);
  const result = scorer.score(
    ids.map((id) => expected.cands[id] as string),
    refs,
  );
  expectRelativeClose(result.score, expected.ciderDReward.score, 'mean reward');
  ids.forEach((id, i) =>
    expectRelativeClose(result.scores[i], expected.ciderDReward.perImage[id], `reward of image ${id}`),
  );
}

itMatchesEveryOracleCase('CiderDScorer reward parity', expectRewardParity);

interface TrainingFixture {
  corpus: { images: number };
  seqPerImg: number;
  dataGts: number[][][];
  genResult: number[][];
  greedyRes: number[][];
  expected: { mean: number; scores: number[] };
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/cider-d-training.json', import.meta.url), 'utf8'),
) as TrainingFixture;

describeWithShared('CiderDScorer in the self-critical training set-up', [REAL_CASES.fakecap_first500], (data) => {
  /** The corpus and batch of scripts/make-cider-d-training-fixture.py, rebuilt by the same rules. */
  function trainingSetUp(): { corpus: Int32Array[][]; candidates: Int32Array[]; refs: Int32Array[][] } {
    const expected = loadRealCase(data, REAL_CASES.fakecap_first500);
    const vocabulary = new Map<string, number>();
    const ids = Object.keys(expected.refs);
    for (const id of ids) {
      for (const sentence of [...(expected.refs[id] as string[]), expected.cands[id] as string]) {
        for (const word of sentence.split(' ')) if (!vocabulary.has(word)) vocabulary.set(word, vocabulary.size + 1);
      }
    }
    const row = (sentence: string): Int32Array =>
      Int32Array.from([...sentence.split(' ').map((w) => vocabulary.get(w) as number), 0]);
    const corpus = ids.slice(0, fixture.corpus.images).map((id) => (expected.refs[id] as string[]).map(row));
    const imageRefs = fixture.dataGts.map((rows) => rows.map((r) => Int32Array.from(r)));
    const candidates = [...fixture.genResult, ...fixture.greedyRes].map((r) => Int32Array.from(r));
    const refs = [
      ...fixture.genResult.map((_, i) => imageRefs[Math.floor(i / fixture.seqPerImg)] as Int32Array[]),
      ...imageRefs,
    ];
    return { corpus, candidates, refs };
  }

  it('matches ruotianluo/cider on padded token-id rows with document frequencies from a training corpus', () => {
    const { corpus, candidates, refs } = trainingSetUp();
    const scorer = CiderDScorer.fromCorpus(corpus);
    expect(scorer.referenceSetCount).toBe(fixture.corpus.images);
    const result = scorer.score(candidates, refs);
    expectRelativeClose(result.score, fixture.expected.mean, 'batch mean');
    fixture.expected.scores.forEach((value, i) => expectRelativeClose(result.scores[i], value, `candidate ${i}`));
  });

  it('gives the same bits after a JSON round trip, and with prepared references reused', () => {
    const { corpus, candidates, refs } = trainingSetUp();
    const scorer = CiderDScorer.fromCorpus(corpus);
    const direct = scorer.score(candidates, refs).scores;
    const restored = CiderDScorer.fromJSON(JSON.parse(JSON.stringify(scorer.toJSON())));
    expect(restored.score(candidates, refs).scores).toEqual(direct);
    const prepared = new Map(refs.map((list) => [list, scorer.prepareReferences(list)]));
    expect(
      scorer.score(
        candidates,
        refs.map((list) => prepared.get(list) as ReturnType<typeof scorer.prepareReferences>),
      ).scores,
    ).toEqual(direct);
  });
});

describe('CiderDScorer', () => {
  const corpus = [
    ['a dog runs on the grass', 'a brown dog running'],
    ['two cats sleep on a bed'],
    ['a red bus on a street'],
  ];

  it('counts document frequency once per reference set', () => {
    const scorer = CiderDScorer.fromCorpus(corpus);
    expect(scorer.documentFrequencyOf('dog')).toBe(1);
    expect(scorer.documentFrequencyOf('a')).toBe(3);
    expect(scorer.documentFrequencyOf('on a')).toBe(2);
    expect(scorer.documentFrequencyOf('spaceship')).toBe(0);
    expect(scorer.referenceSetCount).toBe(3);
  });

  it('keeps unseen candidate n-grams out of its state', () => {
    const scorer = CiderDScorer.fromCorpus(corpus);
    const before = JSON.stringify(scorer.toJSON());
    const first = scorer.score(['a zebra flies a kite', 'a dog runs'], [corpus[0] as string[], corpus[0] as string[]]);
    expect(scorer.documentFrequencyOf('zebra')).toBe(0);
    expect(JSON.stringify(scorer.toJSON())).toBe(before);
    expect(
      scorer.score(['a zebra flies a kite', 'a dog runs'], [corpus[0] as string[], corpus[0] as string[]]).scores,
    ).toEqual(first.scores);
  });

  it('cuts id rows after the first end token and treats number arrays like Int32Array rows', () => {
    const scorer = CiderDScorer.fromCorpus([[[5, 8, 9, 0]], [[7, 8, 0]]]);
    const refs = [[5, 8, 9, 0]];
    const padded = scorer.score([Int32Array.from([5, 8, 0, 0, 0])], [refs]).score;
    expect(scorer.score([[5, 8, 0]], [refs]).score).toBe(padded);
    expect(scorer.score(['5 8 0'], [refs]).score).toBe(padded);
    expect(scorer.score([[5, 8, 0, 9, 9]], [refs]).score).toBe(padded);
    // Without an end token the whole row counts.
    expect(scorer.score([[5, 8]], [refs]).score).not.toBe(padded);
  });

  it('rewards 0, without an error, a sample that ends at once (end token first) and an empty caption, as ruotianluo/cider', () => {
    // A model can emit the end token first. ImageCaptioning.pytorch's array_to_str makes that row "0"; "0" ends
    // every reference of a corpus built from rows ending with 0, so its document frequency is the number of
    // reference sets and its idf log(N) - log(N) = 0: a zero vector, which CiderD's `norm != 0` guard scores 0.
    // An empty caption has no n-gram at all. (The oracle's edge cases pin "" too, in the reward parity test.)
    const scorer = CiderDScorer.fromCorpus([
      [
        [5, 8, 9, 0],
        [5, 7, 0],
      ],
      [[7, 8, 0]],
    ]);
    const refs = [
      [5, 8, 9, 0],
      [5, 7, 0],
    ];
    const result = scorer.score(
      [Int32Array.of(0, 0, 0, 0), [0, 5, 8], Int32Array.of(), '', Int32Array.of(5, 8, 9, 0)],
      [refs, refs, refs, refs, refs],
    );
    expect([...result.scores.slice(0, 4)]).toEqual([0, 0, 0, 0]);
    expect(result.scores[4]).toBeGreaterThan(0);
    expect(result.score).toBe((result.scores[4] as number) / 5);
  });

  it('rejects malformed input with MetricsInputError', () => {
    const scorer = CiderDScorer.fromCorpus(corpus);
    const other = CiderDScorer.fromCorpus(corpus);
    expect(() => scorer.score(['a dog'], [])).toThrow(/1 candidates but 0 reference lists/);
    expect(() => scorer.score(['a dog'], [[]])).toThrow(MetricsInputError);
    expect(() => scorer.score(['a dog'], [other.prepareReferences(['a dog'])])).toThrow(/not made by this scorer/);
    expect(() => scorer.score(['a dog'], [new PreparedReferences(1)])).toThrow(/not made by this scorer/);
    expect(() => scorer.score([[1.5]], [['a']])).toThrow(/not an integer id/);
    expect(() => CiderDScorer.fromCorpus([])).toThrow(/no reference sets/);
    expect(() => CiderDScorer.fromCorpus(corpus, { sigma: 0 })).toThrow(
      /field "sigma": CIDEr-D: option sigma must be a positive number/,
    );
    expect(() => CiderDScorer.fromCorpus(corpus, { n: 2.5 })).toThrow(
      /field "n": CIDEr-D: option n must be a positive integer/,
    );
    expect(() => CiderDScorer.fromCorpus(corpus, { endToken: 0.5 })).toThrow(/field "endToken"/);
    expect(() => CiderDScorer.fromJSON({ format: 'other' })).toThrow(/unknown format/);
    const settings = { n: 4, sigma: 6, endToken: 0, referenceSetCount: 3 };
    expect(() =>
      CiderDScorer.fromJSON({ format: 'caption-cider-d/v1', ...settings, documentFrequency: { 'a  b': 1 } }),
    ).toThrow(/single spaces/);
    const saved = scorer.toJSON();
    expect(() => CiderDScorer.fromJSON({ ...saved, ngrams: saved.ngrams.slice(0, -1) })).toThrow(MetricsInputError);
    expect(() => CiderDScorer.fromJSON({ ...saved, ngrams: `${saved.ngrams}A` })).toThrow(/left after/);
    expect(() => CiderDScorer.fromJSON({ ...saved, tokens: saved.tokens.map(() => 'a') })).toThrow(/listed twice/);
    expect(() => CiderDScorer.fromJSON({ ...saved, ngrams: `${saved.ngrams.slice(0, -1)}!` })).toThrow(
      /not a base-64 digit/,
    );
  });

  it('writes format v2 as documented: tokens once, then (prefix, token, frequency) numbers in VLQ digits', () => {
    // Unigrams "a" (token 0, df 1) and "b" (token 1 = previous + 1, df 1): A B, B B; the bigram "a b": prefix
    // position 0 − 0, token 1 (first of its order: absolute), df 1: A B B. VLQ digits 0 and 1 are "A" and "B".
    const json = CiderDScorer.fromCorpus([['a b']]).toJSON();
    expect(json).toEqual({
      format: 'caption-cider-d/v2',
      n: 4,
      sigma: 6,
      endToken: 0,
      referenceSetCount: 1,
      tokens: ['a', 'b'],
      ngramCounts: [2, 1, 0, 0],
      ngrams: 'ABBBABB',
    });
  });

  it('reads format v1 (a converted ruotianluo/cider pickle) to the same scorer as format v2', () => {
    // Document frequencies counted here independently: each image's set of n-grams, orders 1-4.
    const documentFrequency: Record<string, number> = {};
    for (const refs of corpus) {
      const ngrams = new Set<string>();
      for (const ref of refs) {
        const words = ref.split(' ');
        for (let k = 1; k <= 4; k++)
          for (let i = 0; i + k <= words.length; i++) ngrams.add(words.slice(i, i + k).join(' '));
      }
      for (const ngram of ngrams) documentFrequency[ngram] = (documentFrequency[ngram] ?? 0) + 1;
    }
    const v1 = CiderDScorer.fromJSON({
      format: 'caption-cider-d/v1',
      n: 4,
      sigma: 6,
      endToken: 0,
      referenceSetCount: 3,
      documentFrequency,
    });
    const v2 = CiderDScorer.fromJSON(JSON.parse(JSON.stringify(CiderDScorer.fromCorpus(corpus).toJSON())));
    const candidates = ['a dog on a bed', 'two red cats', 'a bus'];
    const refs = [corpus[0] as string[], corpus[1] as string[], corpus[2] as string[]];
    expect(v1.score(candidates, refs).scores).toEqual(v2.score(candidates, refs).scores);
    expect(v1.toJSON()).toEqual(v2.toJSON());
    expect(v2.documentFrequencyOf('on a')).toBe(2);
  });
});

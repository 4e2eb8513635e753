import { readFileSync } from 'node:fs';
import { describeWithShared } from '@caption/test-support';
import { describe, expect, it } from 'vitest';
import { CiderDScorer } from './cider-d-scorer';
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
  ids.forEach((id, i) => expectRelativeClose(result.scores[i], expected.ciderDReward.perImage[id], `reward of image ${id}`));
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
    expect(scorer.score(candidates, refs.map((list) => prepared.get(list) as ReturnType<typeof scorer.prepareReferences>)).scores).toEqual(direct);
  });
});

describe('CiderDScorer', () => {
  const corpus = [['a dog runs on the grass', 'a brown dog running'], ['two cats sleep on a bed'], ['a red bus on a street']];

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
    expect(scorer.score(['a zebra flies a kite', 'a dog runs'], [corpus[0] as string[], corpus[0] as string[]]).scores).toEqual(first.scores);
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

  it('rejects malformed input with MetricsInputError', () => {
    const scorer = CiderDScorer.fromCorpus(corpus);
    const other = CiderDScorer.fromCorpus(corpus);
    expect(() => scorer.score(['a dog'], [])).toThrow(/1 candidates but 0 reference lists/);
    expect(() => scorer.score(['a dog'], [[]])).toThrow(MetricsInputError);
    expect(() => scorer.score(['a dog'], [other.prepareReferences(['a dog'])])).toThrow(/another scorer/);
    expect(() => scorer.score([[1.5]], [['a']])).toThrow(/not an integer id/);
    expect(() => CiderDScorer.fromCorpus([])).toThrow(/no reference sets/);
    expect(() => CiderDScorer.fromJSON({ format: 'other' })).toThrow(/unknown format/);
    expect(() => CiderDScorer.fromJSON({ ...scorer.toJSON(), documentFrequency: { 'a  b': 1 } })).toThrow(/single spaces/);
  });
});

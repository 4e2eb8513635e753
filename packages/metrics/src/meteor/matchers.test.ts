/**
 * Each matcher stage on pairs that only it aligns, and the search's quirks, against values the jar computed
 * (fixtures/meteor/jar-cases.json); the paraphrase stage with a paraphrase table this test writes in the jar's
 * format.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describeWithShared } from '@caption/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_CASES, loadRealCase } from '../testing/expected-cases';
import { loadMeteorScorer } from './node-data';
import type { MeteorScorer } from './scorer';
import { formatMeteorStats, meteorScoreFromStats } from './stats';
import { matchedStages, readJarCases, SHARED_METEOR_FILES, type JarSegment } from './test-fixtures';

const cases = readJarCases();

function segment(list: readonly JarSegment[], what: string): JarSegment {
  const found = list.find((s) => s.what.startsWith(what));
  if (found === undefined) throw new Error(`fixture has no segment "${what}"`);
  return found;
}

/** Scores `s` and checks the statistics line and score against the jar's; returns the stages that matched. */
function checkAgainstJar(scorer: MeteorScorer, s: JarSegment): string[] {
  const stats = scorer.segmentStats(s.candidate, s.refs);
  expect(formatMeteorStats(stats), s.what).toBe(s.stats);
  expect(Math.abs(meteorScoreFromStats(stats) - s.score), s.what).toBeLessThan(1e-12);
  return matchedStages(stats);
}

describeWithShared('METEOR matchers (no paraphrase table)', SHARED_METEOR_FILES, (data) => {
  let scorer: MeteorScorer;
  beforeAll(async () => {
    scorer = await loadMeteorScorer({ meteorData: data.path('meteor'), meteorParaphrase: false });
  });

  it('exact: "zebra" aligns only by the exact stage', () => {
    expect(checkAgainstJar(scorer, segment(cases.segments, 'exact stage only'))).toEqual(['exact']);
  });

  it('stem: "generously" / "generous" align only by the stem stage (Snowball stems equal, no shared synset)', () => {
    expect(checkAgainstJar(scorer, segment(cases.segments, 'stem stage only'))).toEqual(['stem']);
  });

  it('synonym: "automobile" / "car" align only by the synonym stage (a shared WordNet synset)', () => {
    expect(checkAgainstJar(scorer, segment(cases.segments, 'synonym stage only'))).toEqual(['synonym']);
  });

  it('synonym: base forms come from the exceptions file ("geese") and WordNet morphology ("automobiles")', () => {
    expect(checkAgainstJar(scorer, segment(cases.segments, 'synonym via irregular form'))).toEqual(['synonym']);
    expect(checkAgainstJar(scorer, segment(cases.segments, 'synonym via WordNet morphology'))).toEqual(['synonym']);
  });

  it('nothing aligns unrelated words', () => {
    expect(checkAgainstJar(scorer, segment(cases.segments, 'nothing matches'))).toEqual([]);
  });

  it("the jar's search quirk: a pair two stages propose is not fixed and loses to no match (weights truncate to 0)", () => {
    expect(checkAgainstJar(scorer, segment(cases.segments, 'stem and synonym both propose'))).toEqual([]);
  });

  it('words are compared by Java String.hashCode, so "20" matches "0n" as the jar does', () => {
    expect(checkAgainstJar(scorer, segment(cases.segments, 'Java hashCode collision'))).toEqual(['exact']);
  });

  it('every other focused pair (ties, chunks, "|||", empty candidate, punctuation) equals the jar', () => {
    for (const s of cases.segments) checkAgainstJar(scorer, s);
  });
});

describeWithShared(
  'METEOR paraphrase stage (table written by the test)',
  [...SHARED_METEOR_FILES, REAL_CASES.fakecap_first500],
  (data) => {
    let scorer: MeteorScorer;
    let dir = '';
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'meteor-paraphrase-'));
      const table = join(dir, 'paraphrase-en.gz');
      writeFileSync(table, gzipSync(cases.paraphrase.table));
      scorer = await loadMeteorScorer({
        meteorData: data.path('meteor'),
        meteorParaphrase: table,
        meteorCache: join(dir, 'cache'),
      });
    });
    afterAll(() => {
      if (dir !== '') rmSync(dir, { recursive: true, force: true });
    });

    it('paraphrase: "atop" / "on top of" align only by the paraphrase stage, both directions', () => {
      expect(
        checkAgainstJar(scorer, segment(cases.paraphrase.segments, 'paraphrase stage only (3 words to 1)')),
      ).toEqual(['paraphrase']);
      expect(
        checkAgainstJar(scorer, segment(cases.paraphrase.segments, 'paraphrase stage only (1 word to 3)')),
      ).toEqual(['paraphrase']);
    });

    it('paraphrases inside sentences, competing with exact matches, equal the jar', () => {
      for (const s of cases.paraphrase.segments) checkAgainstJar(scorer, s);
    });

    it('fakecap_first500 with the table: every statistics line, per-image and corpus score equal the jar', () => {
      const expected = loadRealCase(data, REAL_CASES.fakecap_first500);
      const result = scorer.score(expected.refs, expected.cands);
      const { ids, stats, scores, corpus } = cases.paraphrase.fakecap_first500;
      expect(Object.keys(result.stats)).toEqual(ids);
      const withParaphrases = ids.filter((id) => matchedStages(result.stats[id]!).includes('paraphrase'));
      expect(withParaphrases.length).toBeGreaterThan(20);
      ids.forEach((id, k) => {
        expect(formatMeteorStats(result.stats[id]!), `image ${id}`).toBe(stats[k]);
        expect(Math.abs((result.perImage[id] as number) - (scores[k] as number)), `image ${id}`).toBeLessThan(1e-12);
      });
      expect(Math.abs(result.score - corpus)).toBeLessThan(1e-12);
    });
  },
);

describe('METEOR statistics line', () => {
  it("is the jar's 23 numbers, Java-formatted", () => {
    const s = cases.segments[0] as JarSegment;
    expect(s.stats.split(' ')).toHaveLength(23);
    expect(s.stats).toMatch(/^(\d+\.0 ){22}\d+\.0$/);
  });
});

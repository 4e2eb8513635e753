/**
 * METEOR against the oracle values in ../shared/data/coco-caption/expected (METEOR 1.5 run as coco-caption
 * runs it, with an empty paraphrase table): every image's sufficient statistics, per-image scores and the
 * corpus score, on real COCO captions; and the same through `evaluate`.
 */
import { describeWithShared } from '@caption/test-support';
import { beforeAll, expect, it } from 'vitest';
import { evaluate } from '../evaluate';
import { EDGE_CASES, REAL_CASES, loadRealCase } from '../testing/expected-cases';
import { meteor } from './meteor';
import { loadMeteorScorer } from './node-data';
import type { MeteorScorer } from './scorer';
import { formatMeteorStats } from './stats';
import { SHARED_METEOR_FILES } from './test-fixtures';

describeWithShared(
  'METEOR equals the jar on the expected cases',
  [...SHARED_METEOR_FILES, ...Object.values(REAL_CASES), EDGE_CASES],
  (data) => {
    let scorer: MeteorScorer;
    beforeAll(async () => {
      scorer = await loadMeteorScorer({ meteorData: data.path('meteor'), meteorParaphrase: false });
    });

    for (const [name, path] of Object.entries(REAL_CASES)) {
      it(`${name}: statistics of every image, per-image and corpus scores`, () => {
        const expected = loadRealCase(data, path);
        const { meteorStats } = data.readJson<{ meteorStats: Record<string, string> }>(path);
        const result = scorer.score(expected.refs, expected.cands);
        const ids = Object.keys(expected.cands);
        expect(ids).toHaveLength(500);
        expect(Object.keys(result.perImage)).toEqual(ids);
        for (const id of ids) {
          expect(formatMeteorStats(result.stats[id]!), `image ${id}`).toBe(meteorStats[id]);
          expect(
            Math.abs((result.perImage[id] as number) - (expected.perImage[id]?.METEOR as number)),
            `image ${id}`,
          ).toBeLessThan(1e-12);
        }
        expect(Math.abs(result.score - (expected.corpus.METEOR as number))).toBeLessThan(1e-12);
      });
    }

    it('metric edge cases (empty, one word, copies, reversed, repeated, "|||" inside)', async () => {
      const edge = data.readJson<{
        refs: Record<string, string[]>;
        candidates: Record<string, string>;
        corpus: { METEOR: number };
        perImage: Record<string, { METEOR: number }>;
      }>(EDGE_CASES);
      const result = await meteor(edge.refs, edge.candidates, { scorer });
      for (const [id, scores] of Object.entries(edge.perImage)) {
        expect(Math.abs((result.perImage[id] as number) - scores.METEOR), `image ${id}`).toBeLessThan(1e-12);
      }
      expect(Math.abs(result.score - edge.corpus.METEOR)).toBeLessThan(1e-12);
    });

    it("evaluate() with emptyCandidates: 'score-zero' gives the jar's METEOR on the edge cases, the empty candidate included", async () => {
      const edge = data.readJson<{
        refs: Record<string, string[]>;
        candidates: Record<string, string>;
        corpus: { METEOR: number };
        perImage: Record<string, { METEOR: number }>;
      }>(EDGE_CASES);
      const result = await evaluate(edge.refs, edge.candidates, {
        metrics: ['meteor'],
        meteorData: scorer,
        tokenize: 'none',
        emptyCandidates: 'score-zero',
      });
      expect(result.emptyCandidateIds.length).toBeGreaterThan(0);
      for (const [id, scores] of Object.entries(edge.perImage)) {
        expect(Math.abs((result.perImage[id]?.METEOR as number) - scores.METEOR), `image ${id}`).toBeLessThan(1e-12);
      }
      expect(Math.abs((result.corpus.METEOR as number) - edge.corpus.METEOR)).toBeLessThan(1e-12);
    });

    it('evaluate() reports METEOR from raw captions (PTB-tokenized first), as COCOEvalCap', async () => {
      const expected = loadRealCase(data, REAL_CASES.magic_karpathy_test_first500);
      const result = await evaluate(expected.rawRefs!, expected.rawCands!, { metrics: ['meteor'], meteorData: scorer });
      expect(Object.keys(result.corpus)).toEqual(['METEOR']);
      expect(Math.abs((result.corpus.METEOR as number) - (expected.corpus.METEOR as number))).toBeLessThan(1e-12);
      for (const id of result.imageIds) {
        expect(
          Math.abs((result.perImage[id]?.METEOR as number) - (expected.perImage[id]?.METEOR as number)),
          `image ${id}`,
        ).toBeLessThan(1e-12);
      }
    });
  },
);

/**
 * Runs in vitest's edge-runtime environment (see vitest.config.ts): scoring works with Web globals only and
 * gives the oracle's numbers on inline data.
 */
import { describe, expect, it } from 'vitest';
import { CiderDScorer, bleu, cider, evaluate, rouge } from './index';
import { INLINE_SAMPLE } from './testing/inline-sample';

const { refs, cands, corpus, perImage } = INLINE_SAMPLE;

function expectClose(actual: number | undefined, expected: number | undefined, label: string): void {
  expect(Math.abs((actual as number) - (expected as number)), label).toBeLessThanOrEqual(
    1e-9 * Math.abs(expected as number),
  );
}

describe('scoring in an edge runtime', () => {
  it('runs in the edge-runtime environment', () => {
    expect(typeof (globalThis as { EdgeRuntime?: unknown }).EdgeRuntime).toBe('string');
  });

  it('gives the coco-caption BLEU, ROUGE-L and CIDEr of the inline sample', () => {
    const b = bleu(refs, cands);
    const r = rouge(refs, cands);
    const c = cider(refs, cands);
    b.score.forEach((value, k) => expectClose(value, corpus[`Bleu_${k + 1}`], `Bleu_${k + 1}`));
    expectClose(r.score, corpus.ROUGE_L, 'ROUGE_L');
    expectClose(c.score, corpus.CIDEr, 'CIDEr');
    for (const id of Object.keys(cands)) {
      expectClose(c.perImage[id], perImage[id]?.CIDEr, `CIDEr of ${id}`);
      expectClose(r.perImage[id], perImage[id]?.ROUGE_L, `ROUGE_L of ${id}`);
    }
  });

  it('evaluates pre-tokenized captions and round-trips a CIDEr-D scorer through JSON', async () => {
    // Image 4's candidate is "" (no token), scored by the oracle: the opt-in scores it the same way.
    const result = await evaluate(refs, cands, {
      tokenize: 'none',
      metrics: ['bleu', 'rouge', 'cider'],
      emptyCandidates: 'score-zero',
    });
    for (const [key, value] of Object.entries(result.corpus)) expectClose(value, corpus[key], key);
    const lists = Object.values(refs);
    const scorer = CiderDScorer.fromJSON(JSON.parse(JSON.stringify(CiderDScorer.fromCorpus(lists).toJSON())));
    expectClose(scorer.score(Object.values(cands), lists).score, corpus.CIDEr, 'CIDEr-D reward');
  });
});

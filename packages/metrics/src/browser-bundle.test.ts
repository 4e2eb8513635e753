/**
 * The package's entry bundled for the browser platform (esbuild fails on any Node built-in import) and run
 * inside an Edge runtime VM, which has no `process`, `require`, `Buffer` or file system: scoring needs none.
 */
import { fileURLToPath } from 'node:url';
import { EdgeVM } from '@edge-runtime/vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { INLINE_SAMPLE } from './testing/inline-sample';

describe('browser bundle', () => {
  it('builds without Node built-ins and scores in an Edge VM', async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('./index.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'captionMetrics',
      write: false,
      logLevel: 'silent',
    });
    const code = bundle.outputFiles[0]?.text ?? '';
    const vm = new EdgeVM();
    expect(vm.evaluate('typeof process + " " + typeof require')).toBe('undefined undefined');
    vm.evaluate(code);
    const input = JSON.stringify([INLINE_SAMPLE.refs, INLINE_SAMPLE.cands]);
    const corpus = (await vm.evaluate(
      `captionMetrics.evaluate(...${input}, { tokenize: 'none', metrics: ['bleu', 'rouge', 'cider'], emptyCandidates: 'score-zero' }).then((r) => JSON.stringify(r.corpus))`,
    )) as string;
    const scores = JSON.parse(corpus) as Record<string, number>;
    for (const key of ['Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4', 'ROUGE_L', 'CIDEr']) {
      const expected = INLINE_SAMPLE.corpus[key] as number;
      expect(Math.abs((scores[key] as number) - expected), key).toBeLessThanOrEqual(1e-9 * expected);
    }
  });
});

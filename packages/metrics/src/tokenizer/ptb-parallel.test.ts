import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeWithShared } from '@caption/test-support';
import { describe, expect, it } from 'vitest';
import { ptbTokenize } from './ptb-tokenizer';
import { captionChunks, ptbTokenizeParallel, startPtbWorkers, tokenizeChunk, tokenizeInChunks } from './ptb-parallel';

/** Captions whose tokens depend on their neighbours' (abbreviations before capitals, quotes, ellipses). */
const TRICKY = [
  'A man, a plan, etc.',
  'Two dogs on the U.S. flag.',
  'A sign says "stop" etc.',
  "'Tis a cat.",
  '"Quoted" start and end "',
  '... three dots first',
  'Mr. Smith rides a horse',
  'it ends with I.',
  'U.S.',
  'A. B. C.',
  'no punctuation at all',
  '(brackets) and [square] {curly}',
  "can't won't don't",
  'a    lot   of    spaces   ',
  '',
];

const flat = (record: Record<string, string[]>): string[] => Object.values(record).flat();

describe('PTB tokenizer in chunks', () => {
  it('gives the one-text tokens for every cut of tricky neighbours (one caption of context on each side)', async () => {
    const texts = Array.from({ length: 6 }, () => TRICKY).flat();
    const expected = flat(ptbTokenize({ '0': texts }));
    for (let parts = 2; parts <= 9; parts++) {
      expect(
        await tokenizeInChunks(captionChunks(texts, parts), (_, text, trim) => tokenizeChunk(text, trim)),
        `${parts} parts`,
      ).toEqual(expected);
    }
  });

  it('falls back to one thread for few captions, a line break other than \\n, or no worker program', async () => {
    const captions = { '1': ['A dog.', 'A cat\rsits.'], '2': ['Etc.'] };
    const expected = ptbTokenize(captions);
    expect(await ptbTokenizeParallel(captions, 4, { minCaptionsPerThread: 1, workerFile: null })).toEqual(expected);
    expect(await ptbTokenizeParallel(captions, 4, { minCaptionsPerThread: 1 })).toEqual(expected);
  });
});

const builtWorker = fileURLToPath(new URL('../../dist/ptb-worker.js', import.meta.url));

describeWithShared(
  'PTB tokenizer on worker threads (the built worker program)',
  ['coco-caption/captions_val2014_reconstructed.json.gz'],
  (data) => {
    it.skipIf(!existsSync(builtWorker))(
      'equals the one-text tokens on 30,000 real COCO captions, on 2 and 3 threads (workers started early, reused)',
      async () => {
        const annotations = data
          .readJson<{ annotations: Array<{ image_id: number; caption: string }> }>(
            'coco-caption/captions_val2014_reconstructed.json.gz',
          )
          .annotations.slice(0, 30_000);
        const captions: Record<string, string[]> = {};
        for (const a of annotations) (captions[a.image_id] ??= []).push(a.caption);
        startPtbWorkers(2, { workerFile: builtWorker });
        const expected = ptbTokenize(captions);
        for (const threads of [2, 3, 3]) {
          const got = await ptbTokenizeParallel(captions, threads, {
            minCaptionsPerThread: 5000,
            workerFile: builtWorker,
          });
          expect(got).toEqual(expected);
        }
      },
    );
  },
);

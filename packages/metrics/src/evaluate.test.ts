import { describeWithShared } from '@caption/test-support';
import { describe, expect, it } from 'vitest';
import { bleu } from './bleu';
import { MetricsInputError } from './errors';
import { evaluate, type EvaluationProgress } from './evaluate';
import { METRIC_FAMILIES } from './metric-families';
import {
  EDGE_CASES,
  REAL_CASES,
  expectPerImage,
  expectRelativeClose,
  loadEdgeCases,
  loadRealCase,
} from './testing/expected-cases';
import { INLINE_SAMPLE } from './testing/inline-sample';
import { ptbTokenize } from './tokenizer';

const KEYS = ['Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4', 'ROUGE_L', 'CIDEr'] as const;

for (const [name, path] of Object.entries(REAL_CASES)) {
  describeWithShared(`evaluate parity on ${name}`, [path], (data) => {
    it('raw captions → ptbTokenize → BLEU, ROUGE-L, CIDEr equal the oracle, corpus and per image', async () => {
      const expected = loadRealCase(data, path);
      const result = await evaluate(expected.rawRefs ?? {}, expected.rawCands ?? {}, {
        metrics: ['bleu', 'rouge', 'cider'],
      });
      expect(Object.keys(result.corpus)).toEqual(KEYS);
      for (const key of KEYS) {
        expectRelativeClose(result.corpus[key], expected.corpus[key], `corpus ${key}`);
        expectPerImage(
          Object.fromEntries(result.imageIds.map((id) => [id, result.perImage[id]?.[key] as number])),
          expected,
          key,
        );
      }
      expect(result.skippedReferenceIds).toEqual([]);
      expect(result.emptyCandidateIds).toEqual([]);
      expect(result.emptyReferences).toEqual([]);
    });
  });
}

describeWithShared('evaluate parity on the metric edge cases (an empty candidate among them)', [EDGE_CASES], (data) => {
  it("with emptyCandidates: 'score-zero', equals the oracle, corpus and every image; by default refuses the empty one", async () => {
    const expected = loadEdgeCases(data);
    const emptyIds = Object.keys(expected.cands).filter((id) => expected.cands[id] === '');
    expect(emptyIds.length).toBeGreaterThan(0);
    const options = { tokenize: 'none', metrics: ['bleu', 'rouge', 'cider'] } as const;
    const result = await evaluate(expected.refs, expected.cands, { ...options, emptyCandidates: 'score-zero' });
    for (const key of KEYS) {
      expectRelativeClose(result.corpus[key], expected.corpus[key], `corpus ${key}`);
      expectPerImage(
        Object.fromEntries(result.imageIds.map((id) => [id, result.perImage[id]?.[key] as number])),
        expected,
        key,
      );
    }
    expect(result.emptyCandidateIds).toEqual(emptyIds);
    await expect(evaluate(expected.refs, expected.cands, options)).rejects.toThrow(
      new RegExp(`image id ${emptyIds[0]}, field "caption": caption "" tokenizes to nothing \\(tokenize: 'none'\\)`),
    );
  });
});

describe('evaluate', () => {
  const { refs, cands, corpus } = INLINE_SAMPLE;

  it('scores pre-tokenized captions with tokenize: none, keys in coco-caption order', async () => {
    // Image 4's candidate is "" (no token): the oracle scored it, so the opt-in gives the same numbers.
    const result = await evaluate(refs, cands, {
      tokenize: 'none',
      metrics: ['cider', 'bleu', 'rouge'],
      emptyCandidates: 'score-zero',
    });
    expect(Object.keys(result.corpus)).toEqual(KEYS);
    for (const key of KEYS) expectRelativeClose(result.corpus[key], corpus[key], key);
    expect(result.emptyCandidateIds).toEqual(['4']);
    expect(result.perImage['4']).toEqual({ Bleu_1: 0, Bleu_2: 0, Bleu_3: 0, Bleu_4: 0, ROUGE_L: 0, CIDEr: 0 });
  });

  it('runs every family that can run by default', async () => {
    const runnable = METRIC_FAMILIES.filter((family) => family.unavailableReason({}) === null).flatMap((f) => f.keys);
    const result = await evaluate({ '1': ['a dog runs'] }, { '1': 'a dog' }, { tokenize: 'none' });
    expect(Object.keys(result.corpus).sort()).toEqual([...runnable].sort());
  });

  it('scores only images with a candidate (COCOEvalCap with imgIds = cocoRes.getImgIds()), or refuses', async () => {
    const refs3 = { '1': ['a dog runs'], '2': ['a cat sleeps'], '3': ['a bird flies'] };
    const result = await evaluate(refs3, { '1': 'a dog', '3': 'a bird' }, { metrics: ['cider'] });
    expect(result.imageIds).toEqual(['1', '3']);
    expect(result.skippedReferenceIds).toEqual(['2']);
    // CIDEr's document frequencies come from the scored images only, as in the reference.
    const alone = await evaluate(
      { '1': refs3['1'], '3': refs3['3'] },
      { '1': 'a dog', '3': 'a bird' },
      { metrics: ['cider'] },
    );
    expect(result.corpus).toEqual(alone.corpus);
    await expect(evaluate(refs3, { '1': 'a dog' }, { missingCandidates: 'error' })).rejects.toThrow(/image id 2/);
  });

  it('reports progress before each stage and at the end', async () => {
    const stages: EvaluationProgress[] = [];
    await evaluate(
      { '1': ['a dog runs'] },
      { '1': 'a dog' },
      { metrics: ['bleu', 'cider'], onProgress: (p) => stages.push(p) },
    );
    expect(stages.map((p) => p.stage)).toEqual(['tokenize', 'bleu', 'cider', 'done']);
    expect(stages.at(-1)).toEqual({ stage: 'done', completed: 3, total: 3 });
  });

  describe('a candidate that tokenizes to nothing', () => {
    const refs2 = { '1': ['a dog runs'], '2': ['a cat'] };
    const metrics = ['bleu', 'rouge', 'cider'] as const;

    it('is a MetricsInputError by default, naming the file, the image id, the field, the text and the opt-in', async () => {
      const attempt = evaluate(refs2, { '1': '...', '2': 'a cat' }, { metrics, candidatesFile: 'res.json' });
      await expect(attempt).rejects.toSatisfy(MetricsInputError.isInstance);
      await expect(attempt).rejects.toThrow(
        `file res.json, image id 1, field "caption": caption "..." tokenizes to nothing (tokenize: 'ptb'); to score such captions 0 as coco-caption does, pass emptyCandidates: 'score-zero' (caption-eval: --empty-captions score-zero)`,
      );
      await expect(attempt).rejects.toMatchObject({ file: 'res.json', imageId: '1', field: 'caption' });
      // Every empty one is counted; the first in evaluation order (ascending ids) is named.
      await expect(evaluate(refs2, { '2': ' - ', '1': '...' }, { metrics })).rejects.toThrow(
        /image id 1, field "caption": caption "\.\.\." tokenizes to nothing \(tokenize: 'ptb'\) \(2 candidates in all have no token; this is the first\)/,
      );
      // A tokenizer function that returns no token for a candidate, too.
      const dropsDots = (captions: Record<string, readonly string[]>): Record<string, string[]> =>
        Object.fromEntries(Object.entries(captions).map(([id, list]) => [id, list.map((c) => c.replaceAll('!', ''))]));
      await expect(evaluate(refs2, { '1': '!!', '2': 'a cat' }, { metrics, tokenize: dropsDots })).rejects.toThrow(
        /image id 1, field "caption": caption "!!" tokenizes to nothing \(the tokenize function\)/,
      );
      // An empty or only-spaces candidate says how to opt in as well.
      await expect(evaluate(refs2, { '1': ' ', '2': 'a cat' }, { metrics })).rejects.toThrow(
        /image id 1, field "caption": caption is empty \(" "\); to score such captions 0 .*emptyCandidates: 'score-zero'/,
      );
    });

    it("with emptyCandidates: 'score-zero', is scored as coco-caption scores the empty candidate, and listed", async () => {
      const cands = { '1': '...', '2': 'a cat', '3': '', '4': ' \t' };
      const refs4 = { ...refs2, '3': ['a bird'], '4': ['a fish swims'] };
      const result = await evaluate(refs4, cands, { metrics, emptyCandidates: 'score-zero' });
      expect(result.emptyCandidateIds).toEqual(['1', '3', '4']);
      // The same as the tokenized form, where "" is what coco-caption's tokenizer gives for each of them: the
      // scorers' parity with the oracle on an empty candidate is tested in bleu/rouge/cider.test.ts.
      const tokenized = await evaluate(
        ptbTokenize(refs4),
        { '1': '', '2': 'a cat', '3': '', '4': '' },
        { metrics, tokenize: 'none', emptyCandidates: 'score-zero' },
      );
      expect(result.perImage).toEqual(tokenized.perImage);
      expect(result.corpus).toEqual(tokenized.corpus);
      for (const id of ['1', '3', '4'])
        expect(result.perImage[id]).toEqual({ Bleu_1: 0, Bleu_2: 0, Bleu_3: 0, Bleu_4: 0, ROUGE_L: 0, CIDEr: 0 });
      for (const value of [...Object.values(result.corpus), ...Object.values(result.perImage).flatMap(Object.values)]) {
        expect(Number.isFinite(value)).toBe(true);
      }
      // Every candidate empty: still numbers, all 0.
      const allEmpty = await evaluate(refs2, { '1': '...', '2': '?' }, { metrics, emptyCandidates: 'score-zero' });
      expect(allEmpty.corpus).toEqual({ Bleu_1: 0, Bleu_2: 0, Bleu_3: 0, Bleu_4: 0, ROUGE_L: 0, CIDEr: 0 });
    });
  });

  it('keeps a reference caption that tokenizes to nothing as an empty reference, as coco-caption does, and lists it', async () => {
    const refs2 = { '1': ['a dog runs', '...'], '2': ['a cat', 'a small cat'] };
    const cands = { '1': 'a dog runs', '2': 'a cat' };
    const result = await evaluate(refs2, cands, { metrics: ['bleu', 'rouge', 'cider'] });
    expect(result.emptyReferences).toEqual([{ imageId: '1', index: 1 }]);
    // Scored with the empty reference in the list: the same as the tokenized input that holds "" there.
    const tokenized = await evaluate({ '1': ['a dog runs', ''], '2': ['a cat', 'a small cat'] }, cands, {
      metrics: ['bleu', 'rouge', 'cider'],
      tokenize: 'none',
    });
    expect(result.perImage).toEqual(tokenized.perImage);
    expect(tokenized.emptyReferences).toEqual([{ imageId: '1', index: 1 }]);
  });

  it('validates emptyCandidates and missingCandidates', async () => {
    const refs1 = { '1': ['a dog runs'] };
    await expect(evaluate(refs1, { '1': 'a dog' }, { emptyCandidates: 'zero' as 'score-zero' })).rejects.toThrow(
      /^field "emptyCandidates": unknown value "zero" of option emptyCandidates \(known: error, score-zero\)$/,
    );
    await expect(evaluate(refs1, { '1': 'a dog' }, { emptyCandidates: 'zero' as 'score-zero' })).rejects.toSatisfy(
      MetricsInputError.isInstance,
    );
    await expect(evaluate(refs1, { '1': 'a dog' }, { missingCandidates: 'ignore' as 'skip' })).rejects.toThrow(
      /field "missingCandidates": unknown value "ignore" of option missingCandidates \(known: skip, error\)/,
    );
    const result = await evaluate(
      refs1,
      { '1': 'a dog' },
      { emptyCandidates: 'error', missingCandidates: 'skip', metrics: ['bleu'] },
    );
    expect(result.emptyCandidateIds).toEqual([]);
  });

  it('tokenizes the references in the order of the candidates, as COCOEvalCap does (a caption can depend on the next)', async () => {
    // "I." before a sentence starter ("The") is "i" then "."; at the end of the text it is one token, "i.".
    const refs = { b: ['It was I.'], a: ['The dog'] };
    const tokenized = ptbTokenize({ a: refs.a, b: refs.b });
    expect(tokenized.b).toEqual(['it was i.']);
    const { perImage } = await evaluate(refs, { a: 'the dog', b: 'it was i' }, { metrics: ['bleu'] });
    const expected = bleu(tokenized, { a: 'the dog', b: 'it was i' }).perImage.b?.[0];
    expect(perImage.b?.Bleu_1).toBe(expected);
  });

  it('accepts a tokenizer function', async () => {
    const upper = (captions: Record<string, readonly string[]>): Record<string, string[]> =>
      Object.fromEntries(Object.entries(captions).map(([id, list]) => [id, list.map((c) => c.toLowerCase())]));
    const result = await evaluate({ '1': ['A DOG'] }, { '1': 'a dog' }, { tokenize: upper, metrics: ['rouge'] });
    expect(result.corpus.ROUGE_L).toBe(1);
  });

  it('rejects bad input with MetricsInputError naming the image id and field', async () => {
    const refs1 = { '1': ['a dog runs'] };
    const reject = (promise: Promise<unknown>, pattern: RegExp) =>
      expect(promise).rejects.toSatisfy(
        (e: unknown) => MetricsInputError.isInstance(e) && pattern.test((e as Error).message),
      );
    await reject(
      evaluate(refs1, { '1': '  ' }, { candidatesFile: 'res.json' }),
      /file res.json, image id 1, field "caption": caption is empty/,
    );
    await reject(evaluate(refs1, { '1': 3 as unknown as string }), /image id 1, field "caption": caption is a number/);
    await reject(evaluate(refs1, { '2': 'a dog' }), /image id 2, field "image_id": image id has no reference captions/);
    await reject(evaluate({ '1': [] }, { '1': 'a dog' }), /reference list is empty/);
    await reject(evaluate({ '1': ['ok', ''] }, { '1': 'a dog' }), /reference caption 1 is empty/);
    await reject(evaluate(refs1, {}), /no candidate caption/);
    await reject(evaluate(refs1, { '1': 'a' }, { metrics: ['blue' as 'bleu'] }), /unknown metric "blue"/);
    await reject(evaluate(refs1, { '1': 'a' }, { metrics: ['wmd'] }), /metric "wmd"/);
    await reject(evaluate(refs1, { '1': 'a' }, { tokenize: 'zz' as 'ptb' }), /unknown tokenizer "zz"/);
    const dropsOne = (captions: Record<string, readonly string[]>): Record<string, string[]> =>
      Object.fromEntries(Object.entries(captions).map(([id, list]) => [id, list.slice(1)]));
    await reject(
      evaluate({ '1': ['a', 'b'] }, { '1': 'a' }, { tokenize: dropsOne }),
      /image id 1, field "tokenize": the tokenizer function must return/,
    );
    // An id read from JSON can be "__proto__", which a plain result object cannot hold as a key.
    await reject(
      evaluate(JSON.parse('{"__proto__": ["a dog"]}'), JSON.parse('{"__proto__": "a dog"}')),
      /image id __proto__, field "image_id"/,
    );
  });
});

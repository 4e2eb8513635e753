import { describe, expect, it } from 'vitest';
import { candidatesFromCocoResults, evaluateCoco, readReferences, referencesFromKarpathy } from './coco-files';
import { MetricsInputError } from './errors';

const annotations = {
  images: [{ id: 1 }, { id: 2 }, { id: 3 }],
  annotations: [
    { image_id: 2, caption: 'Two cats sleep on a bed.' },
    { image_id: 1, caption: 'A dog runs on the grass.' },
    { image_id: 1, caption: 'A brown dog running.' },
  ],
};

describe('COCO and Karpathy readers', () => {
  it('groups annotations by image id in file order and keeps the declared images', () => {
    const { refs, declaredImageIds } = readReferences(annotations);
    expect(refs).toEqual({
      '1': ['A dog runs on the grass.', 'A brown dog running.'],
      '2': ['Two cats sleep on a bed.'],
    });
    expect([...(declaredImageIds ?? [])]).toEqual(['1', '2', '3']);
  });

  it('reads one Karpathy split, keyed by cocoid, else imgid', () => {
    const dataset = {
      images: [
        { split: 'test', imgid: 0, sentences: [{ raw: 'A man rides.' }] },
        { split: 'test', cocoid: 77, imgid: 1, sentences: [{ raw: 'A bus.' }, { raw: 'A red bus.' }] },
        { split: 'restval', imgid: 2, sentences: [{ raw: 'Not in test.' }] },
      ],
    };
    expect(referencesFromKarpathy(dataset, 'test').refs).toEqual({
      '0': ['A man rides.'],
      '77': ['A bus.', 'A red bus.'],
    });
    expect(readReferences(dataset, { split: 'restval' }).refs).toEqual({ '2': ['Not in test.'] });
  });

  it('rejects duplicate result ids and malformed entries, naming the image and field', () => {
    const duplicate = () =>
      candidatesFromCocoResults(
        [
          { image_id: 5, caption: 'a' },
          { image_id: 5, caption: 'b' },
        ],
        'r.json',
      );
    expect(duplicate).toThrow(MetricsInputError);
    expect(duplicate).toThrow('file r.json, image id 5, field "image_id": duplicate result: entries 0 and 1');
    expect(() => candidatesFromCocoResults([{ image_id: 5, caption: null }])).toThrow(/image id 5, field "caption"/);
    expect(() => readReferences({ annotations: [{ image_id: 1.5, caption: 'x' }] })).toThrow(/field "image_id"/);
    expect(() =>
      readReferences({ annotations: [{ image_id: '__proto__', caption: 'x' }] }, { file: 'a.json' }),
    ).toThrow('file a.json, image id __proto__, field "image_id": "__proto__" cannot be an image id');
  });

  it('accepts and rejects exactly what the zod schemas do (the files are checked by hand first)', () => {
    const annotations = (annotation: unknown, images?: unknown) => () =>
      readReferences({ annotations: [annotation], ...(images === undefined ? {} : { images }) }, { file: 'a.json' });
    // accepted: integral ids past 2^53 in annotation files (AI Challenger), extra fields, images without names
    expect(annotations({ image_id: 2 ** 60, caption: 'x', id: 3 }, [{ id: 2 ** 60 }])()).toMatchObject({
      refs: { [String(2 ** 60)]: ['x'] },
    });
    expect(annotations({ image_id: 'img-1', caption: '' }, [{ id: 'img-1', file_name: 'a.jpg' }])().refs).toEqual({
      'img-1': [''],
    });
    // rejected, each worded by the schema
    expect(annotations({ image_id: 1, caption: 7 })).toThrow(/field "caption": COCO captions annotations at/);
    expect(annotations({ image_id: '', caption: 'x' })).toThrow(/field "image_id"/);
    expect(annotations(null)).toThrow(/COCO captions annotations at annotations\[0\]/);
    expect(annotations([1, 'x'])).toThrow(/COCO captions annotations at annotations\[0\]/);
    expect(annotations({ image_id: 1, caption: 'x' }, [{ id: 1, file_name: null }])).toThrow(/field "file_name"/);
    expect(annotations({ image_id: 1, caption: 'x' }, [{ id: 1.5 }])).toThrow(/field "id"/);
    expect(annotations({ image_id: 1, caption: 'x' }, { id: 1 })).toThrow(/field "images"/);
    expect(() => readReferences({ annotations: {} })).toThrow(/field "annotations"/);
    // results: ids must be safe integers (zod's int()) or non-empty strings
    expect(candidatesFromCocoResults([{ image_id: 2 ** 53 - 1, caption: 'x', score: 1 }])).toEqual({
      [String(2 ** 53 - 1)]: 'x',
    });
    expect(() => candidatesFromCocoResults([{ image_id: 2 ** 60, caption: 'x' }])).toThrow(/field "image_id"/);
    expect(() => candidatesFromCocoResults([{ image_id: 1 }])).toThrow(/field "caption": COCO results at \[0\]/);
    expect(() => candidatesFromCocoResults([[1, 'x']])).toThrow(/COCO results at \[0\]/);
    expect(() => candidatesFromCocoResults({ image_id: 1, caption: 'x' })).toThrow(/COCO results/);
  });
});

describe('evaluateCoco', () => {
  it('scores the images with a result and lists the annotated images without one', async () => {
    const result = await evaluateCoco(annotations, [{ image_id: 1, caption: 'a dog running on grass' }], {
      metrics: ['bleu'],
    });
    expect(result.imageIds).toEqual(['1']);
    expect(result.skippedReferenceIds).toEqual(['2']);
  });

  it('rejects a result for an image that is not annotated, as loadRes asserts', async () => {
    await expect(evaluateCoco(annotations, [{ image_id: 9, caption: 'a dog' }])).rejects.toThrow(
      /image id 9.*not an image of the annotations/,
    );
    // Declared in `images` but without any annotation: COCOEvalCap would crash with a KeyError.
    await expect(evaluateCoco(annotations, [{ image_id: 3, caption: 'a dog' }])).rejects.toThrow(
      /image id 3.*no reference caption/,
    );
  });

  it('names the results file for a caption that tokenizes to nothing, and scores it 0 with the opt-in', async () => {
    const results = [
      { image_id: 2, caption: 'two cats on a bed' },
      { image_id: 1, caption: '. . .' },
    ];
    const files = {
      candidatesFile: 'results.json',
      referencesFile: 'captions.json',
      metrics: ['bleu', 'cider'],
    } as const;
    const attempt = evaluateCoco(annotations, results, files);
    await expect(attempt).rejects.toSatisfy(MetricsInputError.isInstance);
    await expect(attempt).rejects.toThrow(
      /^file results\.json, image id 1, field "caption": caption "\. \. \." tokenizes to nothing \(tokenize: 'ptb'\); .*emptyCandidates: 'score-zero'/,
    );
    const result = await evaluateCoco(annotations, results, { ...files, emptyCandidates: 'score-zero' });
    expect(result.emptyCandidateIds).toEqual(['1']);
    expect(result.perImage['1']).toEqual({ Bleu_1: 0, Bleu_2: 0, Bleu_3: 0, Bleu_4: 0, CIDEr: 0 });
  });
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithShared } from '@caption/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCocoTalk, readCocoTalk, writeCocoTalk } from './cocotalk.js';
import { type KarpathyDataset, parseKarpathyDataset, readKarpathyDataset } from './karpathy.js';
import { type CaptionLabels, readLabelsH5 } from './labels.js';
import {
  buildNgramCaches,
  formatDocumentFrequencyPickle,
  parseDocumentFrequencyPickle,
  readDocumentFrequencyCache,
} from './ngrams.js';
import { type PreparedLabels, prepareLabels } from './prepro.js';

const UCM = 'ucm-captions-prepro';
const files = ['dataset.json.gz', 'cocotalk.json', 'cocotalk_label.h5', 'coco-train-idxs.p', 'coco-train-words.p'].map(
  (f) => `${UCM}/${f}`,
);

describeWithShared(
  'prepro_labels / prepro_ngrams parity on UCM-captions (files made by ImageCaptioning.pytorch)',
  files,
  (data) => {
    let dataset: KarpathyDataset;
    let prepared: PreparedLabels;
    let reference: CaptionLabels;
    const dir = mkdtempSync(join(tmpdir(), 'data-coco-prepro-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    beforeAll(async () => {
      dataset = await readKarpathyDataset(data.path(`${UCM}/dataset.json.gz`));
      // the reference's settings: max_length 16, word_count_threshold 5; the files were made under Python 2
      prepared = prepareLabels(dataset, { maxLength: 16, countThreshold: 5, pythonDictOrder: 2 });
      reference = await readLabelsH5(data.path(`${UCM}/cocotalk_label.h5`));
    });

    it('writes cocotalk.json byte for byte as the reference did', async () => {
      const path = join(dir, 'cocotalk.json');
      await writeCocoTalk(path, prepared.cocotalk, { pythonDictOrder: 2 });
      expect(readFileSync(path, 'utf8')).toBe(data.readText(`${UCM}/cocotalk.json`));
      expect(prepared.cocotalk.vocabulary.size).toBe(301);
    });

    it('reproduces the four h5 datasets exactly (values, shapes, dtypes)', () => {
      expect(prepared.labels.count).toBe(reference.count);
      expect(prepared.labels.seqLength).toBe(reference.seqLength);
      expect(prepared.labels.labels).toEqual(reference.labels);
      expect(prepared.labels.labelStartIx).toEqual(reference.labelStartIx);
      expect(prepared.labels.labelEndIx).toEqual(reference.labelEndIx);
      expect(prepared.labels.labelLength).toEqual(reference.labelLength);
      expect(prepared.labels.labels).toBeInstanceOf(Uint32Array);
    });

    it('with Python 3 order gives the same vocabulary in first-occurrence order, and round-trips through the file', async () => {
      const py3 = prepareLabels(dataset);
      expect([...py3.cocotalk.vocabulary.words].sort()).toEqual([...prepared.cocotalk.vocabulary.words].sort());
      expect(py3.cocotalk.vocabulary.words.slice(0, 3)).toEqual(['There', 'is', 'a']);
      const path = join(dir, 'py3.json');
      await writeCocoTalk(path, py3.cocotalk);
      const back = await readCocoTalk(path);
      expect(back.vocabulary.words).toEqual(py3.cocotalk.vocabulary.words);
      expect(back.images).toEqual(py3.cocotalk.images);
      expect(formatCocoTalk(back)).toBe(readFileSync(path, 'utf8'));
    });

    for (const kind of ['idxs', 'words'] as const) {
      it(`computes the n-gram document frequencies of coco-train-${kind}.p exactly, and writes a pickle that reads back the same`, async () => {
        const vocab = (await readCocoTalk(data.path(`${UCM}/cocotalk.json`))).vocabulary;
        const ours = buildNgramCaches(dataset.images, vocab, 'train')[kind];
        const ref = await readDocumentFrequencyCache(data.path(`${UCM}/coco-train-${kind}.p`));
        expect(ours.refLen).toBe(1680);
        expect(ref.refLen).toBe(1680);
        expect(ours.documentFrequency.size).toBe(ref.documentFrequency.size);
        expect(new Map([...ours.documentFrequency].sort())).toEqual(new Map([...ref.documentFrequency].sort()));
        expect(parseDocumentFrequencyPickle(formatDocumentFrequencyPickle(ours))).toEqual(ours);
      });
    }
  },
);

describe('prepareLabels errors', () => {
  it('names the image (cocoid, else imgid) and the sentence of an empty caption, and an image without captions', () => {
    const dataset = parseKarpathyDataset({
      images: [
        { split: 'train', filename: 'a.jpg', cocoid: 41, sentences: [{ tokens: ['a', 'dog'] }] },
        { split: 'train', filename: 'b.jpg', imgid: 42, sentences: [{ tokens: ['a'] }, { tokens: [] }] },
      ],
    });
    expect(() => prepareLabels(dataset)).toThrow(
      'image id 42, field "images[1].sentences[1].tokens": a caption has no words',
    );
    const none = parseKarpathyDataset({ images: [{ split: 'val', filename: 'c.jpg', cocoid: 7, sentences: [] }] });
    expect(() => prepareLabels(none)).toThrow('image id 7, field "images[0].sentences": image has no captions');
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describeWithShared } from '@caption/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFormatError } from './errors.js';
import {
  countSplits,
  iterateKarpathyImages,
  karpathyFilePath,
  karpathyImageId,
  parseKarpathyDataset,
  readKarpathyDataset,
} from './karpathy.js';

const dir = mkdtempSync(join(tmpdir(), 'data-coco-karpathy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tiny = {
  images: [
    {
      split: 'train',
      filepath: 'train2014',
      filename: 'a.jpg',
      cocoid: 1,
      imgid: 0,
      sentences: [{ tokens: ['a', 'dog'], raw: 'A dog.' }],
    },
    {
      split: 'restval',
      filepath: 'val2014',
      filename: 'b.jpg',
      cocoid: 2,
      imgid: 1,
      sentences: [{ tokens: ['a', 'cat'], raw: 'A cat' }],
    },
    { split: 'test', filename: 'c.jpg', imgid: 2, sentences: [{ tokens: ['x'] }] },
  ],
  dataset: 'coco',
};

describe('Karpathy split files', () => {
  it('reads splits, ids and paths as prepro_labels.py does, and folds restval when asked', async () => {
    const path = join(dir, 'tiny.json.gz');
    writeFileSync(path, gzipSync(JSON.stringify(tiny)));
    const ds = await readKarpathyDataset(path);
    expect(ds.dataset).toBe('coco');
    expect(countSplits(ds.images)).toEqual({ train: 1, val: 0, test: 1, restval: 1 });
    expect(ds.images.map(karpathyImageId)).toEqual([1, 2, 2]);
    expect(ds.images.map(karpathyFilePath)).toEqual(['train2014/a.jpg', 'val2014/b.jpg', 'c.jpg']);
    const folded = await readKarpathyDataset(path, { foldRestval: true, keepRaw: false });
    expect(countSplits(folded.images)).toEqual({ train: 2, val: 0, test: 1, restval: 0 });
    expect(folded.images[1]?.fileSplit).toBe('restval');
    expect(folded.images[0]?.sentences[0]?.raw).toBeUndefined();
    const onlyTest = await readKarpathyDataset(path, { splits: ['test'] });
    expect(onlyTest.images.map((im) => im.filename)).toEqual(['c.jpg']);
  });

  it('streams large files image by image with the same result as parsing at once', async () => {
    const path = join(dir, 'tiny.json');
    writeFileSync(path, JSON.stringify(tiny));
    const whole = await readKarpathyDataset(path);
    const streamed = await readKarpathyDataset(path, { streamAboveBytes: 0 });
    expect(streamed).toEqual(whole);
    const ids: number[] = [];
    for await (const im of iterateKarpathyImages(path)) ids.push(im.imgid ?? -1);
    expect(ids).toEqual([0, 1, 2]);
  });

  it('names the file, the image and the field of a bad entry', async () => {
    const bad = structuredClone(tiny) as { images: Array<Record<string, unknown>> };
    (bad.images[1] as { sentences: unknown[] }).sentences = [{ tokens: ['ok', 3] }];
    expect(() => parseKarpathyDataset(bad, {}, 'd.json')).toThrow(
      'file d.json, image id 2, field "images[1].sentences[0].tokens": expected an array of strings',
    );
    (bad.images[0] as Record<string, unknown>).split = 'training';
    expect(() => parseKarpathyDataset(bad, {}, 'd.json')).toThrow(/image id 1, field "images\[0\]\.split"/);
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{"images": [');
    await expect(readKarpathyDataset(path)).rejects.toThrow(DataFormatError);
    await expect(readKarpathyDataset(path, { streamAboveBytes: 0 })).rejects.toThrow(/file .*broken\.json: invalid/);
    // a COCO annotation file (no "images" of Karpathy's kind) is named, streamed or not, not read as an empty data set
    const coco = join(dir, 'captions.json');
    writeFileSync(coco, JSON.stringify({ annotations: [{ image_id: 1, caption: 'a dog' }] }));
    for (const streamAboveBytes of [undefined, 0]) {
      await expect(readKarpathyDataset(coco, { streamAboveBytes })).rejects.toThrow(
        /captions\.json, field "images": expected an object with a non-empty "images" array/,
      );
    }
    const gz = join(dir, 'truncated.json.gz');
    writeFileSync(gz, gzipSync(JSON.stringify(tiny)).subarray(0, 40));
    await expect(readKarpathyDataset(gz, { streamAboveBytes: 0 })).rejects.toThrow(
      /truncated\.json\.gz: invalid or unreadable JSON/,
    );
  });
});

describeWithShared('the real Karpathy Flickr8k file', ['flickr8k/dataset_flickr8k.json.gz'], (data) => {
  it('loads 8,000 images split 6,000/1,000/1,000 with 5 sentences each, streamed or not', async () => {
    const path = data.path('flickr8k/dataset_flickr8k.json.gz');
    const ds = await readKarpathyDataset(path);
    expect(ds.dataset).toBe('flickr8k');
    expect(ds.images).toHaveLength(8000);
    expect(countSplits(ds.images)).toEqual({ train: 6000, val: 1000, test: 1000, restval: 0 });
    expect(ds.images.every((im) => im.sentences.length === 5)).toBe(true);
    const streamed = await readKarpathyDataset(path, { streamAboveBytes: 0 });
    expect(streamed.images[7999]).toEqual(ds.images[7999]);
    expect(streamed.images).toHaveLength(8000);
  });
});

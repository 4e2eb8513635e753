import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CocoTalk } from './cocotalk.js';
import { FeatureDirectory, MemoryFeatureStore } from './feature-store.js';
import { encodeCaptions } from './labels.js';
import { CaptionLoader, type CaptionBatch, type CaptionLoaderOptions } from './loader.js';
import { float16ToFloat32, float32ToFloat16 } from './npy.js';
import { Vocabulary } from './vocabulary.js';

const dir = mkdtempSync(join(tmpdir(), 'data-coco-loader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 15 train, 3 restval, 5 val images; image i has 3 + (i % 5) captions and 2 + (i % 4) regions of size 3.
const splits = [...Array(15).fill('train'), ...Array(3).fill('restval'), ...Array(5).fill('val')] as string[];
const vocabulary = new Vocabulary(['a', 'b', 'c', 'd', 'e', 'UNK']);
const captions = splits.map((_, i) =>
  Array.from({ length: 3 + (i % 5) }, (_, j) =>
    Array.from({ length: 1 + ((i + j) % 6) }, (_, t) => 'abcde'[(i + j + t) % 5] as string),
  ),
);
const labels = encodeCaptions(captions, vocabulary, 4);
const cocotalk: CocoTalk = {
  vocabulary,
  images: splits.map((split, i) => ({ id: 100 + i, split, filePath: `${i}.jpg` })),
};
const att = new MemoryFeatureStore();
const fc = new MemoryFeatureStore();
splits.forEach((_, i) => {
  const k = 2 + (i % 4);
  att.set(100 + i, { data: Float32Array.from({ length: k * 3 }, (_, j) => i + j / 10), shape: [k, 3] });
  fc.set(100 + i, { data: Float32Array.of(i, -i), shape: [2] });
});
const base: CaptionLoaderOptions = { cocotalk, labels, att, fc, split: 'train', batchSize: 4, seqPerImg: 5, seed: 7 };

async function take(loader: CaptionLoader, n: number): Promise<CaptionBatch[]> {
  const out: CaptionBatch[] = [];
  for (let i = 0; i < n; i += 1) out.push((await loader.next()) as CaptionBatch);
  return out;
}
const ids = (b: CaptionBatch): number[] => b.infos.map((x) => x.id);

describe('CaptionLoader', () => {
  it('yields identical batches for the same seed, other batches for another seed, whatever the prefetch', async () => {
    const a = await take(new CaptionLoader(base), 12);
    const b = await take(new CaptionLoader({ ...base, prefetch: 0 }), 12);
    const c = await take(new CaptionLoader({ ...base, prefetch: 5 }), 12);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    const other = await take(new CaptionLoader({ ...base, seed: 8 }), 12);
    expect(other.map(ids)).not.toEqual(a.map(ids));
  });

  it('resumes mid-epoch (and across an epoch boundary) at the same batch, from a JSON position', async () => {
    const reference = await take(new CaptionLoader(base), 14);
    for (const stop of [2, 5, 9]) {
      const first = new CaptionLoader(base);
      await take(first, stop);
      const saved = JSON.parse(JSON.stringify(first.state()));
      const resumed = new CaptionLoader({ ...base, resume: saved });
      expect(await take(resumed, 14 - stop)).toEqual(reference.slice(stop));
    }
  });

  it('visits every train and restval image once per epoch in a new order each epoch, and flags the wrap', async () => {
    const loader = new CaptionLoader({ ...base, batchSize: 6 }); // 18 images: 3 batches per epoch
    const batches = await take(loader, 6);
    const epoch1 = batches.slice(0, 3).flatMap(ids);
    const epoch2 = batches.slice(3).flatMap(ids);
    const expected = Array.from({ length: 18 }, (_, i) => 100 + i);
    expect([...epoch1].sort((x, y) => x - y)).toEqual(expected);
    expect([...epoch2].sort((x, y) => x - y)).toEqual(expected);
    expect(epoch2).not.toEqual(epoch1);
    expect(batches.map((b) => b.bounds.wrapped)).toEqual([false, false, false, true, false, false]);
    expect(batches.map((b) => b.epoch)).toEqual([0, 0, 0, 1, 1, 1]);
    const trainOnly = new CaptionLoader({ ...base, trainOnly: true });
    expect(trainOnly.size).toBe(15);
  });

  it('takes a contiguous block of seqPerImg captions, or draws with replacement when an image has fewer', async () => {
    const loader = new CaptionLoader({ ...base, seqPerImg: 4 });
    for (const batch of await take(loader, 10)) {
      const [b, s, width] = batch.labels?.shape as [number, number, number];
      expect([b, s, width]).toEqual([4, 4, 6]);
      batch.infos.forEach((info, i) => {
        const gt = batch.gts[i] as { data: Int32Array; shape: number[] };
        const rows = Array.from({ length: gt.shape[0] as number }, (_, r) =>
          Array.from(gt.data.subarray(r * 4, r * 4 + 4)).join(),
        );
        const chosen = Array.from({ length: s }, (_, q) => {
          const off = (i * s + q) * width;
          const row = batch.labels?.data.subarray(off, off + width) as Int32Array;
          expect(row[0]).toBe(0);
          expect(row[width - 1]).toBe(0);
          const nonzero = Array.from(row).filter((v) => v !== 0).length;
          const mask = Array.from(batch.masks?.data.subarray(off, off + width) ?? []);
          expect(mask).toEqual(Array.from({ length: width }, (_, t) => (t < nonzero + 2 ? 1 : 0)));
          return Array.from(row.subarray(1, 5)).join();
        });
        expect(chosen.every((r) => rows.includes(r))).toBe(true);
        if (rows.length >= s) {
          const blocks = Array.from({ length: rows.length - s + 1 }, (_, start) => rows.slice(start, start + s));
          expect(blocks).toContainEqual(chosen);
        }
      });
    }
  });

  it('pads att features to the batch maximum with a mask, drops the mask when all counts agree', async () => {
    const batch = (await new CaptionLoader({ ...base, shuffle: false }).next()) as CaptionBatch; // images 100..103: 2,3,4,5 regions
    expect(batch.attFeats?.shape).toEqual([4, 5, 3]);
    expect(Array.from(batch.attMasks?.data ?? [])).toEqual([
      1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1,
    ]);
    expect(Array.from(batch.attFeats?.data.subarray(0, 15) ?? [])).toEqual(
      Array.from(Float32Array.from([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0])),
    );
    expect(Array.from(batch.fcFeats?.data ?? [])).toEqual([0, -0, 1, -1, 2, -2, 3, -3]);
    const same = new MemoryFeatureStore();
    splits.forEach((_, i) => same.set(100 + i, { data: new Float32Array(6), shape: [2, 3] }));
    const uniform = (await new CaptionLoader({ ...base, att: same }).next()) as CaptionBatch;
    expect(uniform.attMasks).toBeNull();
  });

  it('serves val in file order, ends with a short batch, and starts over after reset', async () => {
    const loader = new CaptionLoader({ ...base, split: 'val', batchSize: 2 });
    const batches: CaptionBatch[] = [];
    for await (const b of loader) batches.push(b);
    expect(batches.map(ids)).toEqual([[118, 119], [120, 121], [122]]);
    expect(batches.map((b) => b.bounds)).toEqual([
      { itPosNow: 2, itMax: 5, wrapped: false },
      { itPosNow: 4, itMax: 5, wrapped: false },
      { itPosNow: 5, itMax: 5, wrapped: false },
    ]);
    expect(await loader.next()).toBeNull();
    loader.reset();
    expect(ids((await loader.next()) as CaptionBatch)).toEqual([118, 119]);
  });

  it('starts over after reset() the same whatever the prefetch, even when batches were read ahead', async () => {
    for (const split of ['train', 'val'] as const) {
      const runs = await Promise.all(
        [0, 1, 4].map(async (prefetch) => {
          const loader = new CaptionLoader({ ...base, split, batchSize: 2, wrap: false, shuffle: true, prefetch });
          await take(loader, 1);
          loader.reset();
          const state = loader.state();
          return { state, batches: await take(loader, 2) };
        }),
      );
      for (const run of runs.slice(1)) {
        expect(run.state, split).toEqual(runs[0]?.state);
        expect(run.batches, split).toEqual(runs[0]?.batches);
      }
    }
  });

  it('reads features from disk (float16 npz att, npy fc) and derives fc from att when no fc is given', async () => {
    const attDir = new FeatureDirectory(join(dir, 'att'), { format: 'npz', dtype: 'float16' });
    const fcDir = new FeatureDirectory(join(dir, 'fc'), { format: 'npy' });
    for (const id of att.ids()) {
      await attDir.put(id, await att.get(id));
      await fcDir.put(id, await fc.get(id));
    }
    const fromMemory = await take(new CaptionLoader(base), 3);
    const fromDisk = await take(new CaptionLoader({ ...base, att: attDir, fc: fcDir }), 3);
    expect(fromDisk.map(ids)).toEqual(fromMemory.map(ids));
    expect(fromDisk[0]?.labels).toEqual(fromMemory[0]?.labels);
    expect(fromDisk[0]?.fcFeats).toEqual(fromMemory[0]?.fcFeats);
    expect(fromDisk[0]?.attFeats?.data).toEqual(
      float16ToFloat32(float32ToFloat16(fromMemory[0]?.attFeats?.data ?? [])),
    );
    const noFc = (await new CaptionLoader({ ...base, fc: undefined, shuffle: false }).next()) as CaptionBatch;
    expect(noFc.fcFeats?.shape).toEqual([4, 3]);
    expect(noFc.fcFeats?.data[0]).toBeCloseTo((0 + 0.3) / 2, 6); // image 100: rows [0, .1, .2], [.3, .4, .5]
  });

  it('appends box features and sorts regions by box area, largest first (use_box)', async () => {
    const one: CocoTalk = { vocabulary, images: [{ id: 1, split: 'train', width: 10, height: 20 }] };
    const a = new MemoryFeatureStore();
    a.set(1, { data: Float32Array.of(1, 1, 2, 2), shape: [2, 2] });
    const boxes = new MemoryFeatureStore();
    boxes.set(1, { data: Float32Array.of(0, 0, 5, 10, 0, 0, 10, 20), shape: [2, 4] });
    const batch = (await new CaptionLoader({
      cocotalk: one,
      att: a,
      box: boxes,
      useBox: true,
      split: 'train',
      batchSize: 1,
    }).next()) as CaptionBatch;
    expect(batch.attFeats?.shape).toEqual([1, 2, 7]);
    // second region: box = whole image → (0, 0, 1, 1, area 1) sorts first; first region: (0, 0, .5, .5, .25)
    expect(Array.from(batch.attFeats?.data ?? [])).toEqual([2, 2, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0.5, 0.5, 0.25]);
  });

  it('rejects a saved position of another split, and labels that do not cover the images', () => {
    const state = new CaptionLoader(base).state();
    expect(() => new CaptionLoader({ ...base, split: 'val', resume: state })).toThrow(
      /saved position is for split "train"/,
    );
    const short = encodeCaptions(captions.slice(0, 3), vocabulary, 4);
    expect(() => new CaptionLoader({ ...base, labels: short })).toThrow(
      /labels cover 3 images but cocotalk.json lists 23/,
    );
  });
});

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithShared } from '@caption/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFormatError } from './errors.js';
import { FeatureDirectory, MemoryFeatureStore, readBigFile } from './feature-store.js';
import { float16ToFloat32, float32ToFloat16 } from './npy.js';

const dir = mkdtempSync(join(tmpdir(), 'data-coco-features-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('feature stores', () => {
  const array = { data: Float32Array.from({ length: 6 * 8 }, (_, i) => Math.cos(i) * 7), shape: [6, 8] };

  it('writes and reads <id>.npy and <id>.npz (key feat) files, float32 and float16, with headers readable alone', async () => {
    const npy = new FeatureDirectory(join(dir, 'fc'), { format: 'npy' });
    await npy.put(42, array);
    expect(await npy.get(42)).toEqual(array);
    expect(await npy.header('42')).toEqual({ shape: [6, 8], dtype: 'float32' });
    const half = new FeatureDirectory(join(dir, 'att16'), { format: 'npz', dtype: 'float16' });
    await half.put(42, array);
    const back = await half.get(42);
    expect(back.data).toEqual(float16ToFloat32(float32ToFloat16(array.data)));
    expect(await half.header(42)).toEqual({ shape: [6, 8], dtype: 'float16' });
    const full = new FeatureDirectory(join(dir, 'att32'), { format: 'npz', compress: false });
    const big = { data: Float32Array.from({ length: 36 * 2048 }, (_, i) => Math.sin(i)), shape: [36, 2048] };
    await full.put(1, big);
    await half.put(1, big);
    expect(statSync(half.pathOf(1)).size).toBeLessThan(statSync(full.pathOf(1)).size * 0.55);
    expect(await half.has(43)).toBe(false);
    await expect(half.get(43)).rejects.toThrow(/43\.npz, image id 43: cannot read the file/);
  });

  it('names the file and the image when a feature file cannot be written, and leaves no temporary file', async () => {
    const store = new FeatureDirectory(join(dir, 'blocked'), { format: 'npy' });
    mkdirSync(store.pathOf(7), { recursive: true }); // a folder where the file should go: the rename fails
    await expect(store.put(7, array)).rejects.toThrow(/blocked\/7\.npy, image id 7: cannot write the features/);
    expect(readdirSync(join(dir, 'blocked'))).toEqual(['7.npy']);
    writeFileSync(join(dir, 'not-a-folder'), '');
    await expect(
      new FeatureDirectory(join(dir, 'not-a-folder', 'fc'), { format: 'npy' }).put(1, array),
    ).rejects.toThrow(DataFormatError);
  });

  it('keeps arrays in memory and rejects a shape that does not match the data', async () => {
    const store = new MemoryFeatureStore();
    store.set('x', array);
    expect(await store.get('x')).toBe(array);
    expect(() => store.set('y', { data: new Float32Array(3), shape: [2, 2] })).toThrow(RangeError);
    await expect(store.get('z')).rejects.toThrow(/image id z: no features/);
  });
});

describeWithShared(
  'real ResNet-152 features (COCO-CN BigFile)',
  ['features/coco-cn-resnet152-pool5/feature.bin'],
  (data) => {
    it('reads the 10 × 2048 rows by id', async () => {
      const root = data.path('features/coco-cn-resnet152-pool5');
      const store = await readBigFile(root);
      const ids = readFileSync(join(root, 'id.txt'), 'utf8').trim().split(/\s+/);
      expect(store.ids()).toEqual(ids);
      const first = await store.get(ids[0] as string);
      expect(first.shape).toEqual([2048]);
      const raw = new Float32Array(readFileSync(join(root, 'feature.bin')).buffer.slice(0, 2048 * 4));
      expect(first.data).toEqual(raw);
      expect(Math.min(...first.data)).toBeGreaterThanOrEqual(0);
    });
  },
);

import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeImage } from '@caption/data-coco';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateShapes, type KarpathyDataset, type ScenesFile, type ShapesDataset } from './generate';

const small = { train: 24, val: 8, test: 8 };
let root: string;
let first: ShapesDataset;

async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of await readdir(join(dir, 'images')))
    out.set(`images/${name}`, await readFile(join(dir, 'images', name)));
  for (const name of ['dataset_shapes.json', 'scenes.json']) out.set(name, await readFile(join(dir, name)));
  return out;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'shapes-test-'));
  first = await generateShapes({ ...small, seed: 7, outDir: join(root, 'a') });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('generateShapes', () => {
  it('is deterministic: one seed gives byte-identical files, another seed different ones', async () => {
    await generateShapes({ ...small, seed: 7, outDir: join(root, 'b') });
    await generateShapes({ ...small, seed: 8, outDir: join(root, 'c') });
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((d) => filesOf(join(root, d))));
    expect([...a!.keys()].sort()).toEqual([...b!.keys()].sort());
    for (const [name, bytes] of a!) expect(bytes.equals(b!.get(name)!), name).toBe(true);
    expect(a!.get('dataset_shapes.json')!.equals(c!.get('dataset_shapes.json')!)).toBe(false);
    expect(a!.get('images/shapes_000001.png')!.equals(c!.get('images/shapes_000001.png')!)).toBe(false);
  });

  it('writes a consistent Karpathy split file', async () => {
    const data = JSON.parse(await readFile(first.datasetPath, 'utf8')) as KarpathyDataset;
    expect(data.dataset).toBe('shapes');
    expect(data.images).toHaveLength(40);
    const splits = { train: 0, val: 0, test: 0 };
    const sentids: number[] = [];
    const ids = new Set<number>();
    data.images.forEach((img, index) => {
      expect(img.imgid).toBe(index);
      expect(img.cocoid).toBe(img.id);
      ids.add(img.cocoid);
      splits[img.split]++;
      expect(img.sentences).toHaveLength(5);
      expect(img.sentids).toEqual(img.sentences.map((s) => s.sentid));
      for (const s of img.sentences) {
        expect(s.imgid).toBe(img.imgid);
        expect(s.tokens.length).toBeGreaterThan(0);
        expect(typeof s.raw).toBe('string');
      }
      sentids.push(...img.sentids);
    });
    expect(splits).toEqual(small);
    expect(ids.size).toBe(40);
    expect(sentids).toEqual(sentids.map((_, i) => i));
    const files = new Set(await readdir(first.imagesDir));
    for (const img of data.images) {
      expect(img.filepath).toBe('images');
      expect(files.has(img.filename), img.filename).toBe(true);
    }
    expect(files.size).toBe(40);
  });

  it('writes images whose pixels at object centres have the drawn colours', async () => {
    const scenes = JSON.parse(await readFile(first.scenesPath, 'utf8')) as ScenesFile;
    expect(scenes.images).toHaveLength(40);
    for (const rec of scenes.images) {
      const { data, width, height } = await decodeImage(join(first.outDir, rec.file));
      expect([width, height, data.length]).toEqual([64, 64, 64 * 64 * 3]);
      for (const o of rec.objects) {
        const o3 = (Math.floor(o.center[1]) * 64 + Math.floor(o.center[0])) * 3;
        for (let c = 0; c < 3; c++) {
          expect(Math.abs(data[o3 + c]! - o.rgb[c]!), `${rec.file} ${o.color} ${o.shape}`).toBeLessThanOrEqual(
            rec.background.noiseAmplitude + 1,
          );
        }
      }
      // corners are background (within the noise), never an object colour
      const corner = [data[0]!, data[1]!, data[2]!];
      for (let c = 0; c < 3; c++)
        expect(Math.abs(corner[c]! - rec.background.from[c]!)).toBeLessThanOrEqual(rec.background.noiseAmplitude + 1);
    }
  });

  it('does nothing when run again with the same configuration, and regenerates on a change', async () => {
    const before = (await stat(first.datasetPath)).mtimeMs;
    const again = await generateShapes({ ...small, seed: 7, outDir: first.outDir });
    expect(again.cached).toEqual({ images: true, captions: true });
    expect((await stat(first.datasetPath)).mtimeMs).toBe(before);
    const fewer = await generateShapes({ ...small, test: 4, seed: 7, outDir: join(root, 'b') });
    expect(fewer.cached).toEqual({ images: false, captions: false });
    expect(await readdir(fewer.imagesDir)).toHaveLength(36);
  });

  it('writes Chinese captions beside the English ones, reusing the images', async () => {
    const zh = await generateShapes({ ...small, seed: 7, outDir: first.outDir, language: 'zh' });
    expect(zh.cached).toEqual({ images: true, captions: false });
    expect(zh.datasetPath.endsWith('dataset_shapes_zh.json')).toBe(true);
    const data = JSON.parse(await readFile(zh.datasetPath, 'utf8')) as KarpathyDataset;
    for (const img of data.images) {
      for (const s of img.sentences) {
        expect(s.raw).toMatch(/^[\u4e00-\u9fff，：、]+$/u);
        expect(s.tokens.join('')).toBe(s.raw.replace(/[，：、]/g, '')); // jieba words, punctuation dropped
      }
    }
    const en = await generateShapes({ ...small, seed: 7, outDir: first.outDir });
    expect(en.cached).toEqual({ images: true, captions: true });
  });

  it('rejects bad options by name', async () => {
    await expect(generateShapes({ train: -1, outDir: join(root, 'x') })).rejects.toThrow(/option train/);
    await expect(generateShapes({ language: 'fr' as 'en', outDir: join(root, 'x') })).rejects.toThrow(
      /option language/,
    );
  });
});

import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { describeWithShared } from '@caption/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { type RgbImage, cropImage, decodeImage, flipImage, normalizeImage, preprocessImage } from './images.js';
import { Random } from './random.js';
import { readFixtureJson } from './test-fixtures.js';

const pillow = readFixtureJson<{
  images: Record<string, { width: number; height: number; mode: string; sha256_rgb: string }>;
}>('pillow-rgb.json');

describeWithShared('decoding the 40 real COCO JPEGs', ['images/val2014'], (data) => {
  const decoded = new Map<string, RgbImage>();
  beforeAll(async () => {
    for (const name of readdirSync(data.path('images/val2014')))
      decoded.set(name, await decodeImage(data.path(`images/val2014/${name}`)));
  });

  it("gives exactly Pillow's Image.open(f).convert('RGB') pixels (ICC profiles ignored, as Pillow)", () => {
    expect(decoded.size).toBe(40);
    for (const [name, image] of decoded) {
      const want = pillow.images[name];
      expect({ name, width: image.width, height: image.height }).toEqual({
        name,
        width: want?.width,
        height: want?.height,
      });
      expect(createHash('sha256').update(image.data).digest('hex'), name).toBe(want?.sha256_rgb);
    }
  });

  it('expands the grayscale image to 3 equal channels, as the reference', () => {
    const grayName = Object.entries(pillow.images).find(([, v]) => v.mode === 'L')?.[0] as string;
    const gray = decoded.get(grayName) as RgbImage;
    expect(gray.data.length).toBe(gray.width * gray.height * 3);
    for (let p = 0; p < gray.width * gray.height; p += 97) {
      expect(gray.data[p * 3 + 1]).toBe(gray.data[p * 3]);
      expect(gray.data[p * 3 + 2]).toBe(gray.data[p * 3]);
    }
  });

  it('resizes, crops, flips and normalises a real image to the asked shape, deterministically per seed', async () => {
    const image = decoded.get('COCO_val2014_000000000139.jpg') as RgbImage;
    const opts = {
      resize: { shortSide: 256 },
      crop: { width: 224, height: 224, mode: 'random' as const },
      flip: 'random' as const,
    };
    const a = await preprocessImage(image, { ...opts, random: new Random(3) });
    const b = await preprocessImage(image, { ...opts, random: new Random(3) });
    expect(a.shape).toEqual([3, 224, 224]);
    expect(a.data).toEqual(b.data);
    const hwc = await preprocessImage(image, { resize: { width: 32, height: 16 }, layout: 'hwc' });
    expect(hwc.shape).toEqual([16, 32, 3]);
  });
});

describe('image preprocessing', () => {
  // a 4×3 image whose pixel (x, y) has channels (10x + y, 100 + x, 200 - y)
  const small: RgbImage = {
    width: 4,
    height: 3,
    data: Uint8Array.from({ length: 36 }, (_, i) => {
      const p = Math.floor(i / 3);
      const x = p % 4;
      const y = Math.floor(p / 4);
      return [10 * x + y, 100 + x, 200 - y][i % 3] as number;
    }),
  };
  const pixel = (im: RgbImage, x: number, y: number): number[] =>
    Array.from(im.data.subarray((y * im.width + x) * 3, (y * im.width + x) * 3 + 3));

  it('crops and flips by pixel coordinates', () => {
    const c = cropImage(small, 1, 1, 2, 2);
    expect([pixel(c, 0, 0), pixel(c, 1, 1)]).toEqual([pixel(small, 1, 1), pixel(small, 2, 2)]);
    const f = flipImage(small);
    expect(pixel(f, 0, 2)).toEqual(pixel(small, 3, 2));
  });

  it('normalises as (p / 255 − mean) / std per channel, in CHW or HWC', () => {
    const mean = [0.5, 0.25, 0] as const;
    const std = [0.5, 2, 1] as const;
    const chw = normalizeImage(small, mean, std, 'chw');
    const hwc = normalizeImage(small, mean, std, 'hwc');
    // pixel (2, 1): channels (21, 102, 199)
    const p = 1 * 4 + 2;
    expect(chw.data[0 * 12 + p]).toBeCloseTo((21 / 255 - 0.5) / 0.5, 6);
    expect(chw.data[1 * 12 + p]).toBeCloseTo((102 / 255 - 0.25) / 2, 6);
    expect(hwc.data[p * 3 + 2]).toBeCloseTo(199 / 255, 6);
  });

  it('places a centre crop as torchvision (round half to even) and keeps a flat colour through resizing', async () => {
    const x = await preprocessImage(small, {
      crop: { width: 1, height: 1, mode: 'center' },
      mean: [0, 0, 0],
      std: [1, 1, 1],
    });
    // (4 − 1) / 2 = 1.5 → 2, (3 − 1) / 2 = 1 → pixel (2, 1)
    expect(Array.from(x.data, (v) => Math.round(v * 255))).toEqual(pixel(small, 2, 1));
    const flat: RgbImage = { width: 10, height: 10, data: new Uint8Array(300).fill(77) };
    const r = await preprocessImage(flat, { resize: { width: 7, height: 5 }, mean: [0, 0, 0], std: [1, 1, 1] });
    expect(r.shape).toEqual([3, 5, 7]);
    expect(new Set(Array.from(r.data, (v) => Math.round(v * 255)))).toEqual(new Set([77]));
  });

  it("sizes a short-side resize as torchvision's Resize(int): the long side truncated, not rounded", async () => {
    // 10 × 7 to a short side of 4: the long side is int(4 · 10 / 7) = int(5.71) = 5 (rounding would give 6)
    const wide: RgbImage = { width: 10, height: 7, data: new Uint8Array(210).fill(9) };
    expect((await preprocessImage(wide, { resize: { shortSide: 4 } })).shape).toEqual([3, 4, 5]);
    const tall: RgbImage = { width: 7, height: 10, data: new Uint8Array(210).fill(9) };
    expect((await preprocessImage(tall, { resize: { shortSide: 4 } })).shape).toEqual([3, 5, 4]);
  });
});

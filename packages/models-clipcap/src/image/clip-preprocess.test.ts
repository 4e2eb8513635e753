/**
 * CLIP preprocessing against Pillow on real COCO images (`fixtures/pil-bicubic`, made by its script with Pillow
 * 9.4 as openai/CLIP's `_transform` runs): the resized and cropped RGB bytes and the normalised float32 tensor
 * must be identical (SHA-256). The JPEGs are decoded with sharp (`ignoreIcc`, byte-identical to Pillow's decoder
 * on these files, see ../shared/data/images/SOURCES.md); sharp is a test-only dependency of this package.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWithShared } from '@caption/test-support';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ReferenceFolder } from '../clipcap-reference.test-util';
import { ImageDecodeError } from '../clip/errors';
import {
  centerCrop,
  clipPreprocess,
  preprocessImageFiles,
  resizeBicubic,
  shortSideSize,
  type RgbPixels,
} from './clip-preprocess';

interface Case {
  file: string;
  size: [number, number];
  resized_size: [number, number];
  resized_rgb_sha256: string;
  cropped_rgb_sha256: string;
  cropped_rows_every_32: Record<string, number[]>;
  normalized_f32_sha256: string;
  normalized_first16_per_channel: number[][];
}

const fixtureDir = fileURLToPath(new URL('../../fixtures/pil-bicubic/', import.meta.url));
const json = new ReferenceFolder(fixtureDir).json<{ cases: Case[] }>('clip-preprocess.json');
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function decodeWithSharp(path: string): Promise<RgbPixels> {
  const { data, info } = await sharp(path, { ignoreIcc: true, failOn: 'truncated' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${info.channels} channels`);
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
  };
}

describeWithShared(
  'CLIP preprocessing = Pillow bicubic + torchvision crop/normalise on real COCO images',
  json.cases.map((c) => `images/${c.file}`),
  (data) => {
    for (const c of json.cases) {
      it(`${c.file} (${c.size.join('×')} → ${c.resized_size.join('×')} → 224×224)`, async () => {
        const image = await decodeWithSharp(data.path(`images/${c.file}`));
        expect([image.width, image.height]).toEqual(c.size);
        const target = shortSideSize(image.width, image.height, 224);
        expect([target.width, target.height]).toEqual(c.resized_size);
        const resized = resizeBicubic(image, target.width, target.height);
        const cropped = centerCrop(resized, 224);
        for (const [row, expected] of Object.entries(c.cropped_rows_every_32)) {
          const y = Number(row);
          expect([...cropped.data.subarray(y * 224 * 3, (y + 1) * 224 * 3)], `row ${y}`).toEqual(expected);
        }
        expect(sha(resized.data)).toBe(c.resized_rgb_sha256);
        expect(sha(cropped.data)).toBe(c.cropped_rgb_sha256);
        const x = clipPreprocess(image);
        for (let ch = 0; ch < 3; ch++) {
          expect([...x.subarray(ch * 224 * 224, ch * 224 * 224 + 16)]).toEqual(
            c.normalized_first16_per_channel[ch]!.map(Math.fround),
          );
        }
        expect(sha(new Uint8Array(x.buffer, x.byteOffset, x.byteLength))).toBe(c.normalized_f32_sha256);
      });
    }
  },
);

describe('preprocessImageFiles', () => {
  it('a file that cannot be decoded is an ImageDecodeError naming its path, before anything is returned', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clip-images-'));
    const good = join(dir, 'good.png');
    const broken = join(dir, 'broken.jpg');
    const pixels = new Uint8Array(40 * 30 * 3).map((_, i) => (i * 7) % 256);
    writeFileSync(
      good,
      await sharp(pixels, { raw: { width: 40, height: 30, channels: 3 } })
        .png()
        .toBuffer(),
    );
    writeFileSync(broken, Buffer.from('not a jpeg at all'));
    const batch = await preprocessImageFiles([good, good], decodeWithSharp, { size: 16 });
    expect(batch.shape).toEqual([2, 3, 16, 16]);
    expect(batch.data.length).toBe(2 * 3 * 16 * 16);
    const error = await preprocessImageFiles([good, broken], decodeWithSharp, { size: 16 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect((error as ImageDecodeError).path).toBe(broken);
    expect((error as ImageDecodeError).message).toContain(broken);
    const missing = join(dir, 'missing.jpg');
    await expect(preprocessImageFiles([missing], decodeWithSharp)).rejects.toThrow(missing);
    const wrong = await preprocessImageFiles([good], async () => ({
      data: new Uint8Array(5),
      width: 4,
      height: 4,
    })).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(ImageDecodeError);
    expect((wrong as Error).message).toMatch(/unusable pixels.*48 RGB bytes, got 5/);
  });

  it('resizeBicubic keeps a constant image constant and the same size is a copy', () => {
    const flat: RgbPixels = { data: new Uint8Array(10 * 7 * 3).fill(200), width: 10, height: 7 };
    expect([...resizeBicubic(flat, 4, 3).data].every((v) => v === 200)).toBe(true);
    expect([...resizeBicubic(flat, 23, 17).data].every((v) => v === 200)).toBe(true);
    const same = resizeBicubic(flat, 10, 7);
    expect(same.data).toEqual(flat.data);
    expect(same.data).not.toBe(flat.data);
  });
});

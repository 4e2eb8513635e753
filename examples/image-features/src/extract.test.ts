/** The extractor's checks and options, on the committed tiny ResNet and small generated images. */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@caption/core';
import { readNpy, readNpz } from '@caption/data-coco';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli';
import {
  ExtractOptionsError,
  FeatureSizeError,
  ImageDecodeError,
  LayerNotFoundError,
  ModelFolderError,
} from './errors';
import { extractFeatures } from './extract';

const tiny = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'prepro-feats', 'tiny-resnet');
let root: string;
const images: Array<{ id: string; path: string }> = [];

async function png(path: string, width: number, height: number, seed: number): Promise<void> {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + seed * 101) % 251;
  await sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(path);
}

beforeAll(async () => {
  await initBackend('wasm', { quiet: true });
  root = await mkdtemp(join(tmpdir(), 'extract-'));
  await mkdir(join(root, 'images'));
  for (let i = 0; i < 4; i++) {
    const path = join(root, 'images', `img${i}.png`);
    await png(path, i < 3 ? 80 : 64, 72, i);
    images.push({ id: `img${i}`, path });
  }
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const sink = (): Writable & { text: string } => {
  const w = new Writable({
    write(chunk, _enc, cb) {
      w.text += String(chunk);
      cb();
    },
  }) as Writable & { text: string };
  w.text = '';
  return w;
};

describe('extractFeatures: bad input is a typed error naming what to fix', () => {
  it('a model folder without model.json', async () => {
    await mkdir(join(root, 'empty-model'));
    const run = extractFeatures({ model: join(root, 'empty-model'), layer: 'x', images, outputDir: join(root, 'a') });
    await expect(run).rejects.toThrow(ModelFolderError);
    await expect(run).rejects.toThrow(/empty-model: no model\.json/);
  });

  it('a layer that does not exist: the error lists the names', async () => {
    const run = extractFeatures({ model: tiny, layer: 'layer5', images, outputDir: join(root, 'b') });
    await expect(run).rejects.toThrow(LayerNotFoundError);
    await expect(run).rejects.toThrow(/no layer named 'layer5'.*the 70 names are: input, conv1_pad,.*layer4$/);
  });

  it('an image that cannot be decoded: its id and path', async () => {
    const bad = join(root, 'images', 'broken.jpg');
    await writeFile(bad, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    const run = extractFeatures({
      model: tiny,
      layer: 'layer4',
      images: [images[0] as { id: string; path: string }, { id: 'broken', path: bad }],
      outputDir: join(root, 'c'),
    });
    await expect(run).rejects.toThrow(ImageDecodeError);
    await expect(run).rejects.toThrow(/image id broken \(.*broken\.jpg\) cannot be decoded/);
  });

  it('a feature size that does not match the model: asked for, or already on disk', async () => {
    const out = join(root, 'd');
    const asked = extractFeatures({ model: tiny, layer: 'layer4', images, outputDir: out, featSize: 2048 });
    await expect(asked).rejects.toThrow(FeatureSizeError);
    await expect(asked).rejects.toThrow(
      /--feat-size 2048; layer 'layer4' of .*tiny-resnet: expected 2048, the model gives 64/,
    );
    await expect(readdir(`${out}_fc`)).rejects.toThrow(); // nothing was written
    await extractFeatures({ model: tiny, layer: 'layer3', images: images.slice(0, 1), outputDir: out });
    const mixed = extractFeatures({ model: tiny, layer: 'layer4', images, outputDir: out });
    await expect(mixed).rejects.toThrow(FeatureSizeError);
    await expect(mixed).rejects.toThrow(/have 32 channels \(layer 'layer3'.*expected 32, the model gives 64/);
    const other = extractFeatures({ model: tiny, layer: 'layer3', images, outputDir: out, attSize: 7 });
    await expect(other).rejects.toThrow(ExtractOptionsError);
    await expect(other).rejects.toThrow(/attSize: 14 here vs 7 now/);
  });
});

describe('extractFeatures: options', () => {
  it('honours the skip list, batches equal sizes, and writes bottom-up regions with their boxes', async () => {
    const out = join(root, 'bu');
    const result = await extractFeatures({
      model: tiny,
      layer: 'layer4',
      images,
      outputDir: out,
      attSize: 3,
      bottomUp: true,
      skip: new Set(['img3']),
    });
    expect(result).toMatchObject({ written: 3, skipped: 1, alreadyDone: 0, channels: 64, batchSize: 2 });
    expect((await readdir(`${out}_att`)).sort()).toEqual(['img0.npz', 'img1.npz', 'img2.npz']);
    const att = await readNpz(join(`${out}_att`, 'img0.npz'));
    expect(att.shape).toEqual([9, 64]);
    const box = await readNpy(join(`${out}_box`, 'img0.npy'));
    expect(box.shape).toEqual([9, 4]);
    // 80×72 image → 3×3 map (stride 32, ceil): cells cover the image, the last ones ending at its border
    expect(Array.from(box.data as Float32Array).slice(32)).toEqual(
      [(2 * 80) / 3, (2 * 72) / 3, 80, 72].map(Math.fround),
    );
    const fc = await readNpy(join(`${out}_fc`, 'img0.npy'));
    expect(fc.shape).toEqual([64]);
  });
});

describe('the command line', () => {
  it('exit status 1 with the message for a model problem, 2 for a bad option; layers lists the names', async () => {
    const err = sink();
    const out = sink();
    expect(
      await runCli(
        [
          'extract',
          '--model',
          join(root, 'nope'),
          '--layer',
          'x',
          '--images',
          join(root, 'images'),
          '--output-dir',
          join(root, 'e'),
          '--no-progress',
        ],
        { stdout: out, stderr: err },
      ),
    ).toBe(1);
    expect(err.text).toMatch(/model folder .*nope: no such folder/);
    expect(
      await runCli(['extract', '--model', tiny, '--layer', 'layer4', '--output-dir', join(root, 'e')], {
        stdout: out,
        stderr: err,
      }),
    ).toBe(2);
    expect(err.text).toMatch(/option input-json: give --input-json/);
    expect(await runCli(['extract', '--att-size', 'zero'], { stdout: out, stderr: err })).toBe(2);
    expect(await runCli(['layers', '--model', tiny], { stdout: out, stderr: err })).toBe(0);
    expect(out.text).toMatch(/^layers-model: 70 names\ninput\n/);
  });
});

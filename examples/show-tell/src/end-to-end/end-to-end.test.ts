/**
 * The end-to-end mode on a small shapes data set (images rendered here) with the committed tiny ResNet of
 * @caption/example-image-features as the frozen backbone: training from image files writes encoder-N /
 * decoder-N and the loss log, resumes, and `caption` prints a caption from a saved checkpoint; a backbone whose
 * feature size differs from the model's is a typed error.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { parseSafetensors, serializeSafetensors } from '@caption/core';
import { FeatureSizeError } from '@caption/example-image-features';
import { generateShapes } from '@caption/example-shapes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointPaths, lastEpoch, loadCaptioner } from './checkpoints';
import { runEndToEndCli } from './cli';

const require = createRequire(import.meta.url);
const tinyResnet = join(
  dirname(require.resolve('@caption/example-image-features/package.json')),
  'fixtures',
  'prepro-feats',
  'tiny-resnet',
);
let root: string;

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

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'show-tell-e2e-'));
  await generateShapes({ outDir: join(root, 'shapes'), train: 24, val: 4, test: 6, seed: 3 });
}, 120_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const trainArgs = (epochs: number, extra: string[] = []) => [
  'train',
  '--input-json',
  join(root, 'shapes', 'dataset_shapes.json'),
  '--image-dir',
  join(root, 'shapes'),
  '--model-path',
  join(root, 'run'),
  '--backbone',
  `tfjs:${tinyResnet}#layer4`,
  '--resize',
  '72',
  '--crop-size',
  '64',
  '--embed-size',
  '16',
  '--hidden-size',
  '16',
  '--batch-size',
  '40',
  '--num-epochs',
  String(epochs),
  '--log-step',
  '1',
  '--threshold',
  '2',
  ...extra,
];

describe('end-to-end Show-Tell from image files', () => {
  it('trains, logs loss and perplexity, writes encoder-N / decoder-N per epoch, and resumes', async () => {
    const out = sink();
    const err = sink();
    expect(await runEndToEndCli(trainArgs(1), { stdout: out, stderr: err }), err.text).toBe(0);
    expect(out.text).toMatch(/Epoch \[0\/1\], Step \[0\/3\], Loss: \d+\.\d{4}, Perplexity: \d+\.\d{4}/);
    expect(lastEpoch(join(root, 'run'))).toBe(1);
    const log = (await readFile(join(root, 'run', 'train-log.tsv'), 'utf8')).trim().split('\n');
    expect(log).toHaveLength(1 + 3); // 120 captions / 40
    const encoder = parseSafetensors(await readFile(checkpointPaths(join(root, 'run'), 1).encoder));
    expect([...encoder.tensors.keys()]).toEqual([
      'img_embed.weight',
      'img_embed.bias',
      'feature_norm.mean',
      'feature_norm.std',
    ]);
    expect(encoder.tensors.get('img_embed.weight')?.shape).toEqual([16, 64]);
    const decoder = parseSafetensors(await readFile(checkpointPaths(join(root, 'run'), 1).decoder));
    expect([...decoder.tensors.keys()].some((k) => k.startsWith('img_embed'))).toBe(false);

    const again = sink();
    expect(await runEndToEndCli(trainArgs(2, ['--resume']), { stdout: again, stderr: err }), err.text).toBe(0);
    expect(again.text).toMatch(/Epoch \[1\/2\], Step \[0\/3\]/);
    expect(again.text).not.toMatch(/Epoch \[0\/2\]/);
    expect(lastEpoch(join(root, 'run'))).toBe(2);
  });

  it('`caption image` prints a caption of vocabulary words from the saved checkpoint', async () => {
    const out = sink();
    const err = sink();
    const image = join(root, 'shapes', 'images', 'shapes_000030.png');
    expect(
      await runEndToEndCli(['caption', '--model-path', join(root, 'run'), image], { stdout: out, stderr: err }),
      err.text,
    ).toBe(0);
    const caption = out.text.trim();
    const vocab = JSON.parse(await readFile(join(root, 'run', 'vocab.json'), 'utf8')) as string[];
    expect(caption.length).toBeGreaterThan(0);
    for (const w of caption.split(' ')) expect(vocab).toContain(w);
    const missing = sink();
    expect(
      await runEndToEndCli(['caption', '--model-path', join(root, 'run'), join(root, 'nope.jpg')], {
        stdout: out,
        stderr: missing,
      }),
    ).toBe(1);
    expect(missing.text).toMatch(/image id .*nope\.jpg .*cannot be decoded/);
  });

  it('a backbone whose feature size differs from the trained model is a FeatureSizeError', async () => {
    const paths = checkpointPaths(join(root, 'run'), 2);
    const enc = parseSafetensors(await readFile(paths.encoder));
    const other = { kind: 'tfjs-model', folder: tinyResnet, layer: 'layer3' }; // 32 channels, not 64
    const tensors = Object.fromEntries(
      [...enc.tensors].map(([k, v]) => [k, { data: v.data as Float32Array, shape: v.shape }]),
    );
    const swapped = join(root, 'encoder-swapped.safetensors');
    await writeFile(swapped, serializeSafetensors(tensors, { ...enc.metadata, backbone: JSON.stringify(other) }));
    const load = loadCaptioner({ encoder: swapped, decoder: paths.decoder });
    await expect(load).rejects.toThrow(FeatureSizeError);
    await expect(load).rejects.toThrow(/fcFeatSize 64 features; backbone .*layer3.*expected 64, the model gives 32/);
  });
});

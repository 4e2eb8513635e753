/**
 * Captions from image files with a saved encoder / decoder pair, as the tutorial's `sample.py` makes them
 * (resize to the crop size, normalise, backbone, embedding, greedy decoding), for one image (`caption`) or a
 * whole split scored with `@caption/metrics` against the raw captions of the Karpathy file.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { captionTokens, greedyDecode, initBackend, type BackendKind, writeFileAtomic } from '@caption/core';
import { karpathyImageId, readKarpathyDataset, type KarpathySplit } from '@caption/data-coco';
import { captionText, chooseMeteor, type CaptionResult, scoreResults } from '@caption/example-common';
import * as tf from '@tensorflow/tfjs-core';
import { type LoadedCaptioner, loadCaptioner } from './checkpoints';
import { backboneFeatures, decodeDatasetImage, evalTransform, imagePath } from './data';

/** Greedy captions (as text) of already decoded and transformed images `[n, side, side, 3]`. */
export function captionPixels(c: LoadedCaptioner, pixels: Float32Array, n: number, maxLength: number): string[] {
  const side = c.transforms.cropSize;
  const fcData = backboneFeatures(c.backbone, pixels, n, side);
  const fc = tf.tensor2d(fcData, [n, c.backbone.channels]);
  const decoded = greedyDecode(c.model, { fc, att: null, attMask: null }, { maxLength });
  fc.dispose();
  return Array.from({ length: n }, (_, r) => captionText(captionTokens(decoded, r), c.vocabulary, false));
}

/**
 * The caption of one image file (`sample.py --image`).
 *
 * @throws ImageDecodeError when the image cannot be decoded
 */
export async function captionImageFile(c: LoadedCaptioner, path: string, maxLength = 20): Promise<string> {
  const image = await decodeDatasetImage(path, path);
  return captionPixels(c, await evalTransform(image, c.transforms), 1, maxLength)[0] as string;
}

/** Options of {@link evaluateSplit}. */
export interface EndToEndEvalOptions {
  /** `encoder-N` and `decoder-N` files. */
  checkpoint: { encoder: string; decoder: string };
  /** Karpathy split file (images and raw captions). */
  inputJson: string;
  /** Folder the image paths are relative to. */
  imagesRoot: string;
  /** The split to caption and score. */
  split: KarpathySplit;
  /** Images per forward pass. */
  batchSize: number;
  /** Longest caption decoded (the tutorial's `max_seq_length`, 20). */
  maxLength: number;
  /** METEOR data folder (METEOR is left out when none is found). */
  meteorData: string | null;
  /** Where `results.json` and `scores.json` go. */
  outDir: string;
  /** tfjs backend. */
  backend: BackendKind;
}

/** Captions a split and scores it; writes `results.json` (COCO results) and `scores.json`. */
export async function evaluateSplit(options: EndToEndEvalOptions): Promise<{
  corpus: Record<string, number>;
  images: number;
  seconds: number;
}> {
  await initBackend(options.backend);
  const start = performance.now();
  const c = await loadCaptioner(options.checkpoint);
  const dataset = await readKarpathyDataset(options.inputJson);
  const images = dataset.images.filter((im) => im.split === options.split);
  const side = c.transforms.cropSize;
  const results: CaptionResult[] = [];
  const refs: Record<string, string[]> = {};
  for (let i = 0; i < images.length; i += options.batchSize) {
    const batch = images.slice(i, i + options.batchSize);
    const pixels = new Float32Array(batch.length * side * side * 3);
    for (let b = 0; b < batch.length; b++) {
      const im = batch[b] as (typeof batch)[0];
      const id = String(karpathyImageId(im) ?? im.filename);
      const decoded = await decodeDatasetImage(id, imagePath(im, options.imagesRoot));
      pixels.set(await evalTransform(decoded, c.transforms), b * side * side * 3);
    }
    const captions = captionPixels(c, pixels, batch.length, options.maxLength);
    batch.forEach((im, b) => {
      const id = karpathyImageId(im) ?? i + b;
      results.push({ image_id: id, caption: captions[b] as string });
      refs[String(id)] = im.sentences.map((s) => s.raw ?? s.tokens.join(' '));
    });
  }
  const meteor = chooseMeteor(options.meteorData, null);
  const scores = await scoreResults(results, refs, meteor);
  mkdirSync(options.outDir, { recursive: true });
  writeFileAtomic(join(options.outDir, 'results.json'), `${JSON.stringify(results)}\n`);
  writeFileAtomic(
    join(options.outDir, 'scores.json'),
    `${JSON.stringify({ split: options.split, checkpoint: options.checkpoint, meteor: meteor.note, corpus: scores.corpus }, null, 1)}\n`,
  );
  c.model.dispose();
  c.backbone.dispose();
  return {
    corpus: scores.corpus as Record<string, number>,
    images: images.length,
    seconds: (performance.now() - start) / 1000,
  };
}

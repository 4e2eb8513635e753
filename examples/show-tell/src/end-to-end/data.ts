/**
 * Images and captions for the end-to-end Show-Tell, as the Show-and-Tell tutorial feeds them: a vocabulary of
 * the train captions' words seen at least `threshold` times (`build_vocab.py`), one (image, caption) pair per
 * training example in a shuffled order each epoch (its `CocoDataset` iterates over captions), and the
 * tutorial's transforms: images resized once to `resize × resize` (`resize.py`), then per example a random
 * `cropSize` crop, a random horizontal flip and the ImageNet normalisation (`train.py`); for evaluation and
 * `caption`, a direct resize to `cropSize × cropSize` (`sample.py`). The frozen backbone turns each batch into
 * feature vectors before the gradient scope.
 */
import { join } from 'node:path';
import { type BatchSource, Random, type TrainingBatch } from '@caption/core';
import {
  buildVocabulary,
  decodeImage,
  DataFormatError,
  type KarpathyDataset,
  type KarpathyImage,
  karpathyFilePath,
  karpathyImageId,
  preprocessImage,
  resizeImage,
  type RgbImage,
  type Vocabulary,
} from '@caption/data-coco';
import { teacherForcingRows, type TeacherForcingRows } from '@caption/example-common';
import { ImageDecodeError } from '@caption/example-image-features';
import { deriveSeed } from '@caption/example-shapes';
import * as tf from '@tensorflow/tfjs-core';
import { type FeatureStatistics, featureStatistics, type ImageBackbone } from './backbone';

/** The tutorial's image transforms. */
export interface TransformOptions {
  /** Side images are resized to before cropping (`resize.py --image_size`, 256). */
  resize: number;
  /** Side of the random crop and of the evaluation resize (`--crop_size`, 224). */
  cropSize: number;
  /** Random horizontal flip while training (the tutorial: yes). */
  flip: boolean;
  /** Normalisation means (ImageNet's by default). */
  mean: [number, number, number];
  /** Normalisation std (ImageNet's by default). */
  std: [number, number, number];
}

/** Words seen at least `threshold` times in the train split's captions (`build_vocab.py`), then `UNK`. */
export function endToEndVocabulary(dataset: KarpathyDataset, threshold: number): Vocabulary {
  const captions = dataset.images
    .filter((im) => im.split === 'train')
    .flatMap((im) => im.sentences.map((s) => s.tokens));
  // buildVocabulary keeps words seen more than countThreshold times; the tutorial keeps count >= threshold
  return buildVocabulary(captions, { countThreshold: Math.max(0, threshold - 1) }).vocabulary;
}

/** An image file of the data set, by id and path. */
export function imagePath(image: KarpathyImage, imagesRoot: string): string {
  return join(imagesRoot, karpathyFilePath(image));
}

/** Decodes an image, naming its id and path when it cannot be. */
export async function decodeDatasetImage(id: string, path: string): Promise<RgbImage> {
  try {
    return await decodeImage(path);
  } catch (cause) {
    throw new ImageDecodeError(id, path, DataFormatError.isInstance(cause) ? cause.problem : String(cause), { cause });
  }
}

/** `sample.py`'s transform: resize straight to `cropSize × cropSize`, normalise; `[cropSize, cropSize, 3]`. */
export async function evalTransform(image: RgbImage, t: TransformOptions): Promise<Float32Array> {
  const x = await preprocessImage(image, {
    resize: { width: t.cropSize, height: t.cropSize },
    mean: t.mean,
    std: t.std,
    layout: 'hwc',
  });
  return x.data;
}

/** Backbone features `[n, D]` of normalised `[n, side, side, 3]` pixels (no gradient: outside any tape). */
export function backboneFeatures(backbone: ImageBackbone, pixels: Float32Array, n: number, side: number): Float32Array {
  return tf.tidy(() => backbone.features(tf.tensor4d(pixels, [n, side, side, 3])).dataSync() as Float32Array);
}

/**
 * Per-feature statistics of the backbone over (up to `limit`) train images, resized as for evaluation, in file
 * order (see {@link FeatureStatistics}).
 */
export async function trainFeatureStatistics(
  images: readonly KarpathyImage[],
  imagesRoot: string,
  backbone: ImageBackbone,
  transforms: TransformOptions,
  limit = 1000,
): Promise<FeatureStatistics> {
  const use = images.slice(0, limit);
  const side = transforms.cropSize;
  const all = new Float32Array(use.length * backbone.channels);
  for (let i = 0; i < use.length; i += 100) {
    const batch = use.slice(i, i + 100);
    const pixels = new Float32Array(batch.length * side * side * 3);
    for (let b = 0; b < batch.length; b++) {
      const im = batch[b] as KarpathyImage;
      const decoded = await decodeDatasetImage(String(karpathyImageId(im) ?? im.filename), imagePath(im, imagesRoot));
      pixels.set(await evalTransform(decoded, transforms), b * side * side * 3);
    }
    all.set(backboneFeatures(backbone, pixels, batch.length, side), i * backbone.channels);
  }
  return featureStatistics(all, backbone.channels);
}

/** A training batch: the images' backbone features and the captions' teacher-forcing rows. */
export interface ImageCaptionBatch {
  /** `[rows, D]` backbone features (one row per caption). */
  fc: Float32Array;
  /** D. */
  featSize: number;
  /** Inputs, targets and mask of the captions. */
  rows: TeacherForcingRows;
}

/** The position of an {@link ImageCaptionBatches}: the next batch is pair `position` of epoch `epoch`'s order. */
export interface ImageCaptionState {
  /** Epoch (0-based). */
  epoch: number;
  /** First pair of the next batch in that epoch's order. */
  position: number;
}

/**
 * The train split as (image, caption) pairs, shuffled per epoch, with the random transforms drawn per batch
 * from seeds derived from (seed, epoch, position): resumes continue with exactly the batch that was next.
 */
export class ImageCaptionBatches implements BatchSource<ImageCaptionBatch> {
  private readonly pairs: Array<{ image: number; sentence: number }> = [];
  private readonly cache = new Map<number, RgbImage>();
  private order: number[] = [];
  private state: ImageCaptionState = { epoch: 0, position: 0 };
  private orderEpoch = -1;

  /**
   * @param images the train images
   * @param imagesRoot the folder the image paths are relative to
   * @param vocabulary encodes the captions (unknown words → UNK)
   * @param backbone the frozen network
   * @param options batch size, caption length, transforms, seed
   */
  constructor(
    private readonly images: readonly KarpathyImage[],
    private readonly imagesRoot: string,
    private readonly vocabulary: Vocabulary,
    private readonly backbone: ImageBackbone,
    private readonly options: { batchSize: number; maxLength: number; transforms: TransformOptions; seed: number },
  ) {
    images.forEach((im, i) => im.sentences.forEach((_, s) => this.pairs.push({ image: i, sentence: s })));
    if (this.pairs.length === 0) throw new DataFormatError('the train split has no captions', { field: 'split' });
  }

  /** Batches per epoch (the last one may be smaller). */
  get batchesPerEpoch(): number {
    return Math.ceil(this.pairs.length / this.options.batchSize);
  }

  /** Captions in the train split. */
  get size(): number {
    return this.pairs.length;
  }

  private orderOf(epoch: number): number[] {
    if (this.orderEpoch !== epoch) {
      this.order = new Random(deriveSeed(this.options.seed, epoch, 1)).permutation(this.pairs.length);
      this.orderEpoch = epoch;
    }
    return this.order;
  }

  /** The image resized once to `resize × resize` (kept in memory: `resize.py` writes them to disk once). */
  private async resized(index: number): Promise<RgbImage> {
    const hit = this.cache.get(index);
    if (hit !== undefined) return hit;
    const image = this.images[index] as KarpathyImage;
    const { resize } = this.options.transforms;
    const decoded = await decodeDatasetImage(String(karpathyImageId(image)), imagePath(image, this.imagesRoot));
    const out = await resizeImage(decoded, resize, resize);
    this.cache.set(index, out);
    return out;
  }

  async next(): Promise<TrainingBatch<ImageCaptionBatch>> {
    const { epoch, position } = this.state;
    const order = this.orderOf(epoch);
    const { batchSize, maxLength, transforms } = this.options;
    const picked = order.slice(position, position + batchSize).map((k) => this.pairs[k] as (typeof this.pairs)[0]);
    const n = picked.length;
    const rng = new Random(deriveSeed(this.options.seed, epoch * 1_000_003 + position, 2));
    const side = transforms.cropSize;
    const pixels = new Float32Array(n * side * side * 3);
    const width = maxLength + 2;
    const labels = new Int32Array(n * width);
    const masks = new Float32Array(n * width);
    const row = new Uint32Array(maxLength);
    for (let r = 0; r < n; r++) {
      const pair = picked[r] as (typeof this.pairs)[0];
      const x = await preprocessImage(await this.resized(pair.image), {
        crop: { width: side, height: side, mode: 'random' },
        flip: transforms.flip ? 'random' : false,
        mean: transforms.mean,
        std: transforms.std,
        layout: 'hwc',
        random: rng,
      });
      pixels.set(x.data, r * side * side * 3);
      const tokens = (this.images[pair.image] as KarpathyImage).sentences[pair.sentence]?.tokens ?? [];
      this.vocabulary.encode(tokens, maxLength, row);
      const length = Math.min(maxLength, tokens.length);
      for (let t = 0; t < maxLength; t++) labels[r * width + 1 + t] = row[t] as number;
      masks.fill(1, r * width, r * width + length + 2);
    }
    const fc = backboneFeatures(this.backbone, pixels, n, side);
    const ids = picked.map((p) => {
      const im = this.images[p.image] as KarpathyImage;
      return karpathyImageId(im) ?? im.filename;
    });
    const lastOfEpoch = position + n >= this.pairs.length;
    this.state = lastOfEpoch ? { epoch: epoch + 1, position: 0 } : { epoch, position: position + n };
    const rows = teacherForcingRows(labels, masks, n, width);
    return { batch: { fc, featSize: this.backbone.channels, rows }, lastOfEpoch, ids, tokens: rows.tokens };
  }

  getState(): ImageCaptionState {
    return { ...this.state };
  }

  setState(state: unknown): void {
    const s = state as ImageCaptionState;
    this.state = { epoch: s.epoch, position: s.position };
  }
}

/**
 * Feature extraction as ImageCaptioning.pytorch's `scripts/prepro_feats.py` does it, with a TensorFlow.js
 * model folder as the network: for each image, decode (no resize unless asked), scale to 0–1, subtract the
 * ImageNet mean and divide by its std, run the backbone to the named layer's spatial map, then write
 * `<out>_fc/<id>.npy` (the mean over the map, `[C]`) and `<out>_att/<id>.npz` (key `feat`, the map
 * adaptive-average-pooled to `[attSize, attSize, C]`). With `bottomUp`, the pooled grid is written as
 * `attSize²` regions (`[K, C]`, as `cocobu_att`) with their boxes (`<out>_box/<id>.npy`, `[K, 4]`, x1 y1 x2 y2
 * in pixels of the image as fed).
 *
 * Finished images are skipped (a rerun after an interruption resumes), the check-images skip list is honoured,
 * a bad image stops the run naming its id and path, files are written atomically, and images of one size are
 * batched up to what the memory budget allows (measured on the first image).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '@caption/core';
import {
  createProgress,
  DataFormatError,
  decodeImage,
  FeatureDirectory,
  IMAGENET_MEAN,
  IMAGENET_STD,
  type ImageEntry,
  preprocessImage,
  type RgbImage,
} from '@caption/data-coco';
import * as tf from '@tensorflow/tfjs-core';
import { adaptiveAvgPool2d, adaptiveWindow, type FeatureMap, spatialMean } from './adaptive-pool';
import { ExtractOptionsError, FeatureSizeError, ImageDecodeError } from './errors';
import { type Backbone, loadBackbone } from './model-folder';

/** Resize before normalising: an exact size, or the shorter side (torchvision's `Resize(int)`). */
export type ResizeSpec = { width: number; height: number } | { shortSide: number };

/** Options of {@link extractFeatures}. */
export interface ExtractOptions {
  /** The model folder (`model.json` + shards), or an already loaded backbone. */
  model: string | Backbone;
  /** The layer / node to read (ignored when `model` is a loaded backbone). */
  layer?: string;
  /** The images (id = output file name). */
  images: readonly ImageEntry[];
  /** Output prefix: writes `<outputDir>_fc`, `<outputDir>_att` (and `_box`), as prepro_feats.py's `--output_dir`. */
  outputDir: string;
  /** Side of the att grid (prepro_feats.py's `--att_size`, default 14). */
  attSize?: number;
  /** Resize first (default: no resize, as prepro_feats.py). */
  resize?: ResizeSpec | null;
  /** Channel means on the 0–1 scale (default ImageNet's). */
  mean?: readonly [number, number, number];
  /** Channel standard deviations (default ImageNet's). */
  std?: readonly [number, number, number];
  /** Ids to leave out (a `caption-data check-images` skip list). */
  skip?: ReadonlySet<string>;
  /** Write bottom-up-style regions (`[K, C]` att and `[K, 4]` boxes) instead of the `[S, S, C]` grid. */
  bottomUp?: boolean;
  /** The feature size the data must have (e.g. the training config's `fc_feat_size`); checked before any work. */
  featSize?: number;
  /** Most images per forward pass (default 16); fewer when the memory budget says so. */
  maxBatchSize?: number;
  /** Memory budget of one forward pass in bytes (default 1 GiB), against the first image's measured peak. */
  memoryBudgetBytes?: number;
  /** Show progress on stderr (a bar with images/s on a TTY, lines otherwise); default false. */
  progress?: boolean | NodeJS.WritableStream;
  /** Called after each image's files are written (tests use it to interrupt a run). */
  onImageWritten?: (id: string) => void;
}

/** What {@link extractFeatures} did. */
export interface ExtractResult {
  /** Images whose features were computed and written by this run. */
  written: number;
  /** Images skipped because their files already existed (a resumed run). */
  alreadyDone: number;
  /** Images left out by the skip list. */
  skipped: number;
  /** Channels C of the features. */
  channels: number;
  /** Largest batch used. */
  batchSize: number;
  /** Peak bytes of a one-image forward pass (measured), or null when nothing was computed. */
  peakBytesPerImage: number | null;
  /** Seconds spent on the images written. */
  seconds: number;
  /** Folders written. */
  dirs: { fc: string; att: string; box: string | null };
  /** The manifest describing how the features were made. */
  manifestPath: string;
}

/** `<outputDir>_features.json`: how the features in the folders were made (checked when a run resumes). */
export interface FeaturesManifest {
  /** Model folder and layer. */
  model: string;
  /** The layer / node read. */
  layer: string;
  /** Layers or graph model. */
  format: string;
  /** Channels C. */
  channels: number;
  /** Grid side. */
  attSize: number;
  /** Resize applied, or null. */
  resize: ResizeSpec | null;
  /** Normalisation. */
  mean: readonly number[];
  /** Normalisation. */
  std: readonly number[];
  /** Grid (`[S, S, C]`) or regions (`[K, C]` + boxes). */
  layout: 'grid' | 'bottom-up';
}

interface Decoded {
  entry: ImageEntry;
  id: string;
  pixels: { data: Float32Array; shape: readonly number[] };
}

async function decodeEntry(entry: ImageEntry, options: ExtractOptions): Promise<Decoded> {
  const id = String(entry.id);
  let image: RgbImage;
  try {
    image = await decodeImage(entry.path);
  } catch (cause) {
    throw new ImageDecodeError(id, entry.path, DataFormatError.isInstance(cause) ? cause.problem : String(cause), {
      cause,
    });
  }
  const pixels = await preprocessImage(image, {
    resize: options.resize ?? undefined,
    mean: options.mean ?? IMAGENET_MEAN,
    std: options.std ?? IMAGENET_STD,
    layout: 'hwc',
  });
  return { entry, id, pixels };
}

function checkInputSize(backbone: Backbone, d: Decoded): void {
  const [h, w] = backbone.inputShape;
  const [ih, iw] = d.pixels.shape;
  if (backbone.format === 'graph-model' && ((h != null && h !== ih) || (w != null && w !== iw)))
    throw new ExtractOptionsError(
      'resize',
      `the graph model ${backbone.folder} takes ${h}×${w} images; image id ${d.id} (${d.entry.path}) is ${ih}×${iw} after preprocessing (pass --resize ${w}x${h})`,
    );
}

function manifestOf(backbone: Backbone, channels: number, options: ExtractOptions): FeaturesManifest {
  return {
    model: backbone.folder,
    layer: backbone.layer,
    format: backbone.format,
    channels,
    attSize: options.attSize ?? 14,
    resize: options.resize ?? null,
    mean: [...(options.mean ?? IMAGENET_MEAN)],
    std: [...(options.std ?? IMAGENET_STD)],
    layout: options.bottomUp === true ? 'bottom-up' : 'grid',
  };
}

/** Refuses to mix features of another model, layer or preprocessing into folders that already hold some. */
async function checkExisting(path: string, fc: FeatureDirectory, wanted: FeaturesManifest, firstDone: string | null) {
  if (existsSync(path)) {
    const found = JSON.parse(await readFile(path, 'utf8')) as FeaturesManifest;
    if (found.channels !== wanted.channels)
      throw new FeatureSizeError(
        found.channels,
        wanted.channels,
        `${path} says the features in ${fc.location} have ${found.channels} channels (layer '${found.layer}' of ${found.model}); layer '${wanted.layer}' of ${wanted.model}`,
      );
    const differs = (['model', 'layer', 'attSize', 'resize', 'mean', 'std', 'layout'] as const).filter(
      (k) => JSON.stringify(found[k]) !== JSON.stringify(wanted[k]),
    );
    if (differs.length > 0)
      throw new ExtractOptionsError(
        'output-dir',
        `${path} records features made with other settings (${differs.map((k) => `${k}: ${JSON.stringify(found[k])} here vs ${JSON.stringify(wanted[k])} now`).join('; ')}); use another --output-dir or remove the old folders`,
      );
  } else if (firstDone !== null) {
    // folders written by another tool (e.g. prepro_feats.py itself): at least the size must agree
    const header = await fc.header(firstDone);
    const size = header.shape[header.shape.length - 1] ?? 0;
    if (size !== wanted.channels)
      throw new FeatureSizeError(
        size,
        wanted.channels,
        `${fc.pathOf(firstDone)} (already in the output folder); layer '${wanted.layer}' of ${wanted.model}`,
      );
  }
}

/** Boxes (x1 y1 x2 y2, pixels of the image as fed) of the adaptive-pooling grid cells, row-major. */
function gridBoxes(map: FeatureMap, size: number, imageHeight: number, imageWidth: number): Float32Array {
  const boxes = new Float32Array(size * size * 4);
  const sy = imageHeight / map.height;
  const sx = imageWidth / map.width;
  for (let i = 0; i < size; i++) {
    const [y0, y1] = adaptiveWindow(i, map.height, size);
    for (let j = 0; j < size; j++) {
      const [x0, x1] = adaptiveWindow(j, map.width, size);
      boxes.set([x0 * sx, y0 * sy, x1 * sx, y1 * sy], (i * size + j) * 4);
    }
  }
  return boxes;
}

/**
 * Extracts fc and att features of `images` with the model's layer, in prepro_feats.py's layout.
 *
 * @throws ModelFolderError, LayerNotFoundError (from {@link loadBackbone}) for a bad model folder or layer
 * @throws ImageDecodeError naming the image's id and path when it cannot be decoded
 * @throws FeatureSizeError when `featSize` or the features already in the output folders disagree with the model
 * @throws ExtractOptionsError for bad option values
 */
export async function extractFeatures(options: ExtractOptions): Promise<ExtractResult> {
  const attSize = options.attSize ?? 14;
  if (!Number.isInteger(attSize) || attSize < 1)
    throw new ExtractOptionsError('att-size', `must be a positive integer, got ${attSize}`);
  const maxBatch = options.maxBatchSize ?? 16;
  if (!Number.isInteger(maxBatch) || maxBatch < 1)
    throw new ExtractOptionsError('batch-size', `must be a positive integer, got ${maxBatch}`);
  const budget = options.memoryBudgetBytes ?? 2 ** 30;
  let backbone: Backbone;
  if (typeof options.model === 'string') {
    if (options.layer === undefined) throw new ExtractOptionsError('layer', 'name the layer (or node) to read');
    backbone = await loadBackbone(options.model, options.layer);
  } else backbone = options.model;
  const bottomUp = options.bottomUp === true;
  const fcDir = new FeatureDirectory(`${options.outputDir}_fc`, { format: 'npy' });
  const attDir = new FeatureDirectory(`${options.outputDir}_att`, { format: 'npz' });
  const boxDir = bottomUp ? new FeatureDirectory(`${options.outputDir}_box`, { format: 'npy' }) : null;
  const manifestPath = `${options.outputDir}_features.json`;

  const isDone = (id: string): boolean =>
    existsSync(fcDir.pathOf(id)) && existsSync(attDir.pathOf(id)) && (boxDir === null || existsSync(boxDir.pathOf(id)));
  let skipped = 0;
  let alreadyDone = 0;
  let firstDone: string | null = null;
  const todo: ImageEntry[] = [];
  for (const entry of options.images) {
    const id = String(entry.id);
    if (options.skip?.has(id) === true) skipped += 1;
    else if (isDone(id)) {
      alreadyDone += 1;
      firstDone ??= id;
    } else todo.push(entry);
  }

  let channels = backbone.declaredChannels;
  const checkChannels = async (c: number): Promise<void> => {
    if (options.featSize !== undefined && options.featSize !== c)
      throw new FeatureSizeError(
        options.featSize,
        c,
        `--feat-size ${options.featSize}; layer '${backbone.layer}' of ${backbone.folder}`,
      );
    const wanted = manifestOf(backbone, c, options);
    await checkExisting(manifestPath, fcDir, wanted, firstDone);
    await mkdir(dirname(manifestPath), { recursive: true });
    writeFileAtomic(manifestPath, `${JSON.stringify(wanted, null, 1)}\n`);
  };
  if (channels !== null) await checkChannels(channels);

  const progress =
    options.progress === undefined || options.progress === false
      ? null
      : createProgress('extract', todo.length, options.progress === true ? process.stderr : options.progress, {
          rateUnit: 'images',
        });
  const start = performance.now();
  let written = 0;
  let batchSize = 1;
  let largestBatch = 0;
  let peakBytesPerImage: number | null = null;
  let next = 0;
  let lookahead: Decoded | null = null;
  const decodeNext = async (): Promise<Decoded | null> => {
    if (lookahead !== null) {
      const d = lookahead;
      lookahead = null;
      return d;
    }
    const entry = todo[next];
    if (entry === undefined) return null;
    next += 1;
    return decodeEntry(entry, options);
  };
  try {
    for (;;) {
      const first = await decodeNext();
      if (first === null) break;
      checkInputSize(backbone, first);
      const batch: Decoded[] = [first];
      // consecutive images of the same size share a forward pass
      while (batch.length < batchSize) {
        const d = await decodeNext();
        if (d === null) break;
        if (d.pixels.shape[0] !== first.pixels.shape[0] || d.pixels.shape[1] !== first.pixels.shape[1]) {
          lookahead = d;
          break;
        }
        batch.push(d);
      }
      largestBatch = Math.max(largestBatch, batch.length);
      const [h, w] = first.pixels.shape as [number, number, number];
      const input = new Float32Array(batch.length * h * w * 3);
      batch.forEach((d, i) => input.set(d.pixels.data, i * h * w * 3));
      const x = tf.tensor4d(input, [batch.length, h, w, 3]);
      let out: tf.Tensor4D;
      if (peakBytesPerImage === null) {
        const info = await tf.profile(() => backbone.run(x));
        out = info.result as tf.Tensor4D;
        peakBytesPerImage = info.peakBytes;
        batchSize = Math.max(1, Math.min(maxBatch, Math.floor(budget / Math.max(1, info.peakBytes))));
      } else out = tf.tidy(() => backbone.run(x));
      x.dispose();
      const [, mh, mw, c] = out.shape;
      const values = (await out.data()) as Float32Array;
      out.dispose();
      if (channels === null || written === 0) {
        if (channels !== null && channels !== c)
          throw new FeatureSizeError(channels, c, `layer '${backbone.layer}' of ${backbone.folder} declares`);
        if (channels === null) await checkChannels(c);
        channels = c;
      }
      const per = mh * mw * c;
      for (let b = 0; b < batch.length; b++) {
        const d = batch[b] as Decoded;
        const map: FeatureMap = { data: values.subarray(b * per, (b + 1) * per), height: mh, width: mw, channels: c };
        const att = adaptiveAvgPool2d(map, attSize, attSize);
        await attDir.put(d.id, { data: att, shape: bottomUp ? [attSize * attSize, c] : [attSize, attSize, c] });
        if (boxDir !== null)
          await boxDir.put(d.id, { data: gridBoxes(map, attSize, h, w), shape: [attSize * attSize, 4] });
        // fc last: an image counts as done only when all its files exist
        await fcDir.put(d.id, { data: spatialMean(map), shape: [c] });
        written += 1;
        progress?.tick();
        options.onImageWritten?.(d.id);
      }
    }
  } finally {
    progress?.stop();
    if (typeof options.model === 'string') backbone.dispose();
  }
  return {
    written,
    alreadyDone,
    skipped,
    channels: channels ?? 0,
    batchSize: largestBatch,
    peakBytesPerImage,
    seconds: (performance.now() - start) / 1000,
    dirs: { fc: fcDir.location, att: attDir.location, box: boxDir?.location ?? null },
    manifestPath,
  };
}

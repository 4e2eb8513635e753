/**
 * Region features in the bottom-up-attention layout, as ImageCaptioning.pytorch reads them: for each
 * image id, `shapesbu_att/<id>.npz` (key `feat`, [regions, D]), `shapesbu_fc/<id>.npy` ([D], the mean of
 * the regions, as the reference's `make_bu_data.py` makes `cocobu_fc`) and `shapesbu_box/<id>.npy`
 * ([regions, 4], `x1 y1 x2 y2` in pixels).
 *
 * The features come from a small CNN ({@link RegionCnn}) that is first trained here to classify the shape,
 * colour and size of ground-truth object crops (the analogue of ImageNet pre-training), then applied to
 * one region per object (the ground-truth box, as a detector would give it) and five context regions
 * (the whole image, then the 2x2 grid: top left, top right, bottom left, bottom right).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { initBackend, Random, serializeSafetensors, type BackendKind } from '@caption/core';
import { decodeImage, FeatureDirectory } from '@caption/data-coco';
import * as tf from '@tensorflow/tfjs';
import { shuffled } from './caption-grammar';
import { ShapesFileError, ShapesOptionsError } from './errors';
import {
  configHash,
  defaultShapesDir,
  forEachConcurrently,
  writeAtomic,
  type SceneRecord,
  type ScenesFile,
  type ShapesManifest,
} from './generate';
import { RegionCnn, type RegionCnnConfig } from './region-cnn';
import { COLOR_NAMES, SHAPE_NAMES, SIZE_NAMES } from './scene';

/** Version of the feature files; bump it whenever the bytes written for a configuration change. */
export const FEATURES_FORMAT_VERSION = 1;

/** Folder names under the data set folder, as the reference names its bottom-up folders (`cocobu_*`). */
export const FEATURE_FOLDERS = { att: 'shapesbu_att', fc: 'shapesbu_fc', box: 'shapesbu_box' } as const;

/** The context regions that follow the object regions, in order. */
export const CONTEXT_REGIONS = ['whole', 'top-left', 'top-right', 'bottom-left', 'bottom-right'] as const;

/** Progress of {@link extractRegionFeatures}. */
export interface FeatureProgress {
  /** what is being done */
  stage: 'decode' | 'train' | 'extract';
  /** items done (images, or training steps) */
  done: number;
  /** items in this stage */
  total: number;
}

/** Options of {@link extractRegionFeatures}; every field has a default. */
export interface RegionFeatureOptions {
  /** the folder {@link generateShapes} wrote (default `<repo>/out/shapes`) */
  dataDir?: string;
  /**
   * tfjs backend, passed to `@caption/core`'s `initBackend` (default `auto`: tfjs-node when installed, else
   * wasm). A program that has already initialised a backend should pass the kind it used: `initBackend`
   * is a no-op for the same kind and switches for another.
   */
  backend?: BackendKind;
  /** output channels of the three convolutions (default [8, 16, 32]) */
  channels?: [number, number, number];
  /** feature dimension D (default 128) */
  featureDim?: number;
  /** training epochs over the crops (default 5) */
  epochs?: number;
  /** crops per training step (default 64) */
  batchSize?: number;
  /** Adam learning rate (default 0.002) */
  learningRate?: number;
  /** at most this many train-split object crops are used for training (default 4000) */
  maxTrainCrops?: number;
  /** seed of initialisation and shuffling (default 1) */
  seed?: number;
  /** recompute even when the manifest says the features are current */
  force?: boolean;
  /** called as work progresses */
  onProgress?: (progress: FeatureProgress) => void;
}

/** Held-out accuracy of the CNN's heads on val-split object crops (fractions in 0..1). */
export interface CnnAccuracy {
  /** shape classification */
  shape: number;
  /** colour classification */
  color: number;
  /** size classification */
  size: number;
  /** number of held-out crops */
  crops: number;
}

/** What {@link extractRegionFeatures} made (or found current). */
export interface RegionFeatures {
  /** the data set folder */
  dataDir: string;
  /** `<id>.npz` att features (key `feat`, [regions, D]) */
  attDir: string;
  /** `<id>.npy` fc features ([D]) */
  fcDir: string;
  /** `<id>.npy` boxes ([regions, 4], x1 y1 x2 y2 pixels) */
  boxDir: string;
  /** the trained CNN's weights (safetensors; config in the metadata) */
  cnnPath: string;
  /** `features.json`: configuration hash, layout, accuracy */
  manifestPath: string;
  /** feature dimension D */
  featureDim: number;
  /** the CNN's held-out accuracy */
  accuracy: CnnAccuracy;
  /** whether everything was already current */
  cached: boolean;
  /** seconds spent training and extracting (0 when cached) */
  seconds: { train: number; extract: number };
}

/** `features.json`. */
export interface FeaturesManifest {
  /** configuration hash (images hash, CNN and training options) */
  hash: string;
  /** the options that made the features */
  config: Record<string, unknown>;
  /** feature dimension D */
  featureDim: number;
  /** what the regions of an image are, in order */
  regions: string;
  /** box format of the box files */
  boxFormat: 'x1y1x2y2';
  /** the CNN's held-out accuracy */
  accuracy: CnnAccuracy;
  /** the backend that computed the features */
  backend: string;
}

interface CropRef {
  image: number;
  /** top-left of the crop window */
  x: number;
  y: number;
  labels: [number, number, number];
}

/** Pixels of decoded images, row-major RGB. */
type Pixels = Uint8Array[];

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new ShapesOptionsError(name, `must be a positive integer, got ${value}`);
  return value;
}

/**
 * Copies a `side`x`side` window with top-left `(x0, y0)` of an RGB image into `out` at `offset`, scaled to
 * [-1, 1]; pixels outside the image repeat the nearest edge pixel.
 */
export function cropWindow(
  rgb: Uint8Array,
  imageSize: number,
  x0: number,
  y0: number,
  side: number,
  out: Float32Array,
  offset: number,
): void {
  let o = offset;
  for (let dy = 0; dy < side; dy++) {
    const y = Math.min(imageSize - 1, Math.max(0, y0 + dy));
    for (let dx = 0; dx < side; dx++) {
      const x = Math.min(imageSize - 1, Math.max(0, x0 + dx));
      const p = (y * imageSize + x) * 3;
      out[o++] = rgb[p]! / 127.5 - 1;
      out[o++] = rgb[p + 1]! / 127.5 - 1;
      out[o++] = rgb[p + 2]! / 127.5 - 1;
    }
  }
}

/** The whole image at half resolution (2x2 means) into `out` at `offset`, scaled to [-1, 1]. */
export function halveImage(rgb: Uint8Array, imageSize: number, out: Float32Array, offset: number): void {
  const half = imageSize / 2;
  let o = offset;
  for (let y = 0; y < half; y++) {
    for (let x = 0; x < half; x++) {
      for (let c = 0; c < 3; c++) {
        const p = (2 * y * imageSize + 2 * x) * 3 + c;
        const q = p + imageSize * 3;
        out[o++] = (rgb[p]! + rgb[p + 3]! + rgb[q]! + rgb[q + 3]!) / 510 - 1;
      }
    }
  }
}

/**
 * The regions of an image: one per object (a window of half the image side centred on its ground-truth
 * box), then {@link CONTEXT_REGIONS}. Returns the crop windows (`null` for the halved whole image) and the
 * boxes written to the box file (object: its ground-truth box; context: the area it covers).
 */
export function imageRegions(
  scene: SceneRecord,
): Array<{ window: [number, number] | null; box: [number, number, number, number] }> {
  const n = scene.size;
  const side = n / 2;
  const objects = scene.objects.map((o) => {
    const [x, y, w, h] = o.bbox;
    const window: [number, number] = [Math.round(x + w / 2 - side / 2), Math.round(y + h / 2 - side / 2)];
    return { window, box: [x, y, x + w, y + h] as [number, number, number, number] };
  });
  const context: Array<{ window: [number, number] | null; box: [number, number, number, number] }> = [
    { window: null, box: [0, 0, n, n] },
    { window: [0, 0], box: [0, 0, side, side] },
    { window: [side, 0], box: [side, 0, n, side] },
    { window: [0, side], box: [0, side, side, n] },
    { window: [side, side], box: [side, side, n, n] },
  ];
  return [...objects, ...context];
}

async function decodeImages(
  dataDir: string,
  scenes: readonly SceneRecord[],
  onProgress?: (p: FeatureProgress) => void,
): Promise<Pixels> {
  const pixels: Pixels = new Array<Uint8Array>(scenes.length);
  await forEachConcurrently(
    scenes,
    8,
    async (scene, i) => {
      const path = join(dataDir, scene.file);
      const image = await decodeImage(path);
      if (image.width !== scene.size || image.height !== scene.size) {
        throw new ShapesFileError(
          path,
          `image ${scene.id}: expected ${scene.size}x${scene.size}, found ${image.width}x${image.height}`,
        );
      }
      pixels[i] = image.data;
    },
    (done) => {
      if (onProgress !== undefined && (done % 500 === 0 || done === scenes.length))
        onProgress({ stage: 'decode', done, total: scenes.length });
    },
  );
  return pixels;
}

function objectCrops(scenes: readonly SceneRecord[], split: SceneRecord['split']): CropRef[] {
  const crops: CropRef[] = [];
  scenes.forEach((scene, image) => {
    if (scene.split !== split) return;
    const regions = imageRegions(scene);
    scene.objects.forEach((o, k) => {
      const window = regions[k]?.window;
      if (window === null || window === undefined) return;
      crops.push({
        image,
        x: window[0],
        y: window[1],
        labels: [SHAPE_NAMES.indexOf(o.shape), COLOR_NAMES.indexOf(o.color), SIZE_NAMES.indexOf(o.size)],
      });
    });
  });
  return crops;
}

function cropBatch(crops: readonly CropRef[], pixels: Pixels, imageSize: number): tf.Tensor4D {
  const side = imageSize / 2;
  const buffer = new Float32Array(crops.length * side * side * 3);
  crops.forEach((c, i) =>
    cropWindow(pixels[c.image] as Uint8Array, imageSize, c.x, c.y, side, buffer, i * side * side * 3),
  );
  return tf.tensor4d(buffer, [crops.length, side, side, 3]);
}

function labelTensors(crops: readonly CropRef[]): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
  const oneHot = (head: number, classes: number): tf.Tensor2D =>
    tf.oneHot(
      tf.tensor1d(
        crops.map((c) => c.labels[head] as number),
        'int32',
      ),
      classes,
    ) as tf.Tensor2D;
  return [oneHot(0, SHAPE_NAMES.length), oneHot(1, COLOR_NAMES.length), oneHot(2, SIZE_NAMES.length)];
}

/** Trains the CNN's three heads on object crops (summed softmax cross-entropies, Adam). */
function trainCnn(
  cnn: RegionCnn,
  crops: readonly CropRef[],
  pixels: Pixels,
  imageSize: number,
  opts: { epochs: number; batchSize: number; learningRate: number; seed: number },
  onProgress?: (p: FeatureProgress) => void,
): void {
  const optimizer = tf.train.adam(opts.learningRate);
  const rng = new Random(opts.seed);
  const steps = opts.epochs * Math.ceil(crops.length / opts.batchSize);
  let step = 0;
  try {
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      const order = shuffled(rng, crops);
      for (let start = 0; start < order.length; start += opts.batchSize) {
        const batch = order.slice(start, start + opts.batchSize);
        tf.tidy(() => {
          const x = cropBatch(batch, pixels, imageSize);
          const [yShape, yColor, ySize] = labelTensors(batch);
          const loss = optimizer.minimize(
            () => {
              const out = cnn.apply(x);
              return tf.addN([
                tf.losses.softmaxCrossEntropy(yShape, out.shape),
                tf.losses.softmaxCrossEntropy(yColor, out.color),
                tf.losses.softmaxCrossEntropy(ySize, out.size),
              ]) as tf.Scalar;
            },
            true,
            cnn.variables(),
          );
          const value = loss?.dataSync()[0];
          if (value === undefined || !Number.isFinite(value))
            throw new Error(`region CNN training: loss is ${value} at step ${step}`);
        });
        step++;
        if (onProgress !== undefined && (step % 10 === 0 || step === steps))
          onProgress({ stage: 'train', done: step, total: steps });
      }
    }
  } finally {
    optimizer.dispose(); // its moment variables, also when a step fails
  }
}

/** Accuracy of each head on crops. */
function evaluateCnn(cnn: RegionCnn, crops: readonly CropRef[], pixels: Pixels, imageSize: number): CnnAccuracy {
  const correct = [0, 0, 0];
  for (let start = 0; start < crops.length; start += 256) {
    const batch = crops.slice(start, start + 256);
    const predictions = tf.tidy(() => {
      const out = cnn.apply(cropBatch(batch, pixels, imageSize));
      return [out.shape, out.color, out.size].map((logits) => tf.argMax(logits, 1).dataSync());
    });
    batch.forEach((c, i) => {
      for (let h = 0; h < 3; h++) if (predictions[h]?.[i] === c.labels[h]) correct[h]!++;
    });
  }
  const n = Math.max(1, crops.length);
  return { shape: correct[0]! / n, color: correct[1]! / n, size: correct[2]! / n, crops: crops.length };
}

/** The parsed JSON of a file; unreadable or invalid JSON is a {@link ShapesFileError} naming the file. */
async function readJson<T>(path: string): Promise<T> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (cause) {
    throw new ShapesFileError(path, `unreadable or not JSON (${(cause as Error).message}); regenerate it`);
  }
}

async function readScenes(dataDir: string): Promise<{ scenes: ScenesFile; imagesHash: string }> {
  const manifestPath = join(dataDir, 'manifest.json');
  const scenesPath = join(dataDir, 'scenes.json');
  if (!existsSync(manifestPath) || !existsSync(scenesPath)) {
    throw new ShapesFileError(
      dataDir,
      'no shapes data set here (manifest.json and scenes.json missing); run generateShapes first',
    );
  }
  const manifest = await readJson<ShapesManifest>(manifestPath);
  if (manifest.images === undefined)
    throw new ShapesFileError(manifestPath, 'field images: absent (generation did not finish)');
  const scenes = await readJson<ScenesFile>(scenesPath);
  if (!Array.isArray(scenes.images) || scenes.imageSize % 16 !== 0) {
    throw new ShapesFileError(
      scenesPath,
      `field imageSize: must be a multiple of 16 for the feature extractor, got ${scenes.imageSize}`,
    );
  }
  return { scenes, imagesHash: manifest.images.hash };
}

async function featuresPresent(dirs: readonly string[], ids: readonly number[]): Promise<boolean> {
  for (const dir of dirs) {
    if (!existsSync(dir)) return false;
    const names = new Set(await readdir(dir));
    const ext = dir.endsWith(FEATURE_FOLDERS.att) ? 'npz' : 'npy';
    if (!ids.every((id) => names.has(`${id}.${ext}`))) return false;
  }
  return true;
}

/**
 * Trains the region CNN on the data set's train-split object crops, reports its accuracy on the val-split
 * crops, and writes att / fc / box features for every image (see the module comment for the layout).
 * Cached: when `features.json` matches the configuration (and the images) and every file is present,
 * nothing is recomputed.
 *
 * @example
 * ```ts
 * const data = await generateShapes({ outDir: 'out/shapes' });
 * const feats = await extractRegionFeatures({ dataDir: data.outDir });
 * console.log(feats.attDir, feats.accuracy); // out/shapes/shapesbu_att { shape: 0.99, ... }
 * ```
 */
export async function extractRegionFeatures(options: RegionFeatureOptions = {}): Promise<RegionFeatures> {
  const dataDir = resolve(options.dataDir ?? defaultShapesDir());
  const channels = options.channels ?? [8, 16, 32];
  channels.forEach((c, i) => positive(`channels[${i}]`, c));
  const training = {
    epochs: positive('epochs', options.epochs ?? 5),
    batchSize: positive('batchSize', options.batchSize ?? 64),
    learningRate: options.learningRate ?? 0.002,
    maxTrainCrops: positive('maxTrainCrops', options.maxTrainCrops ?? 4000),
    seed: options.seed ?? 1,
  };
  if (!(training.learningRate > 0))
    throw new ShapesOptionsError('learningRate', `must be positive, got ${training.learningRate}`);
  const featureDim = positive('featureDim', options.featureDim ?? 128);
  const { scenes, imagesHash } = await readScenes(dataDir);
  const imageSize = scenes.imageSize;
  const cnnConfig: RegionCnnConfig = { inputSize: imageSize / 2, channels, featureDim, seed: training.seed };
  const config = { format: FEATURES_FORMAT_VERSION, imagesHash, cnn: cnnConfig, training };
  const hash = configHash(config);

  const attDir = join(dataDir, FEATURE_FOLDERS.att);
  const fcDir = join(dataDir, FEATURE_FOLDERS.fc);
  const boxDir = join(dataDir, FEATURE_FOLDERS.box);
  const cnnPath = join(dataDir, 'region-cnn.safetensors');
  const manifestPath = join(dataDir, 'features.json');
  const paths = { dataDir, attDir, fcDir, boxDir, cnnPath, manifestPath, featureDim };
  const ids = scenes.images.map((s) => s.id);

  if (options.force !== true && existsSync(manifestPath)) {
    // an unreadable features.json only means the features are not known to be current: they are recomputed
    const previous = await readJson<FeaturesManifest>(manifestPath).catch(() => null);
    if (
      previous !== null &&
      previous.hash === hash &&
      existsSync(cnnPath) &&
      (await featuresPresent([attDir, fcDir, boxDir], ids))
    ) {
      return { ...paths, accuracy: previous.accuracy, cached: true, seconds: { train: 0, extract: 0 } };
    }
  }

  const backend = await initBackend(options.backend ?? 'auto');
  const pixels = await decodeImages(dataDir, scenes.images, options.onProgress);
  const cnn = new RegionCnn(cnnConfig);
  try {
    const trainStart = performance.now();
    const trainCrops = shuffled(new Random(training.seed + 1), objectCrops(scenes.images, 'train')).slice(
      0,
      training.maxTrainCrops,
    );
    if (trainCrops.length === 0)
      throw new ShapesOptionsError('train', 'the data set has no train-split objects to train the CNN on');
    trainCnn(cnn, trainCrops, pixels, imageSize, training, options.onProgress);
    const heldOut = objectCrops(scenes.images, 'val');
    const accuracy = evaluateCnn(cnn, heldOut.length > 0 ? heldOut : trainCrops, pixels, imageSize);
    const train = (performance.now() - trainStart) / 1000;

    const extractStart = performance.now();
    await writeFeatures(
      cnn,
      scenes.images,
      pixels,
      {
        att: new FeatureDirectory(attDir, { format: 'npz' }),
        fc: new FeatureDirectory(fcDir, { format: 'npy' }),
        box: new FeatureDirectory(boxDir, { format: 'npy' }),
      },
      options.onProgress,
    );
    await writeCnn(cnn, cnnPath);
    const extract = (performance.now() - extractStart) / 1000;

    const manifest: FeaturesManifest = {
      hash,
      config,
      featureDim,
      regions:
        `one per object (scene order; a ${imageSize / 2}px window centred on its ` +
        `ground-truth box), then ${CONTEXT_REGIONS.join(', ')}`,
      boxFormat: 'x1y1x2y2',
      accuracy,
      backend: backend.kind,
    };
    await mkdir(dataDir, { recursive: true });
    await writeAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    return { ...paths, accuracy, cached: false, seconds: { train, extract } };
  } finally {
    cnn.dispose();
  }
}

async function writeFeatures(
  cnn: RegionCnn,
  scenes: readonly SceneRecord[],
  pixels: Pixels,
  stores: { att: FeatureDirectory; fc: FeatureDirectory; box: FeatureDirectory },
  onProgress?: (p: FeatureProgress) => void,
): Promise<void> {
  const imagesPerBatch = 32;
  for (let start = 0; start < scenes.length; start += imagesPerBatch) {
    const batch = scenes.slice(start, start + imagesPerBatch);
    const regions = batch.map(imageRegions);
    const total = regions.reduce((n, r) => n + r.length, 0);
    const imageSize = (batch[0] as SceneRecord).size;
    const side = imageSize / 2;
    const buffer = new Float32Array(total * side * side * 3);
    let r = 0;
    batch.forEach((_, b) => {
      const rgb = pixels[start + b] as Uint8Array;
      for (const region of regions[b] ?? []) {
        const offset = r++ * side * side * 3;
        if (region.window === null) halveImage(rgb, imageSize, buffer, offset);
        else cropWindow(rgb, imageSize, region.window[0], region.window[1], side, buffer, offset);
      }
    });
    const features = tf.tidy(
      () => cnn.apply(tf.tensor4d(buffer, [total, side, side, 3])).features.dataSync() as Float32Array,
    );
    const d = cnn.config.featureDim;
    let row = 0;
    const writes: Array<Promise<void>> = [];
    batch.forEach((scene, b) => {
      const rs = regions[b] ?? [];
      const att = features.slice(row * d, (row + rs.length) * d);
      row += rs.length;
      const fc = new Float32Array(d);
      for (let k = 0; k < rs.length; k++) for (let j = 0; j < d; j++) fc[j]! += att[k * d + j]! / rs.length;
      writes.push(
        stores.att.put(scene.id, { data: att, shape: [rs.length, d] }),
        stores.fc.put(scene.id, { data: fc, shape: [d] }),
        stores.box.put(scene.id, { data: Float32Array.from(rs.flatMap((x) => x.box)), shape: [rs.length, 4] }),
      );
    });
    await Promise.all(writes);
    const done = Math.min(scenes.length, start + imagesPerBatch);
    if (onProgress !== undefined) onProgress({ stage: 'extract', done, total: scenes.length });
  }
}

async function writeCnn(cnn: RegionCnn, path: string): Promise<void> {
  const tensors: Record<string, { data: Float32Array; shape: readonly number[] }> = {};
  for (const w of cnn.namedWeights())
    tensors[w.name] = { data: w.variable.dataSync() as Float32Array, shape: w.variable.shape };
  const bytes = serializeSafetensors(tensors, { config: JSON.stringify(cnn.config) });
  await writeAtomic(path, bytes);
}

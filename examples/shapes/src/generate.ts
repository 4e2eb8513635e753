/**
 * Writes the shapes data set to disk: PNG images, the ground-truth scenes, and the captions as a Karpathy
 * split file (`dataset_shapes.json`, `dataset_shapes_zh.json` for Chinese), with a manifest so that a
 * second run with the same configuration does nothing.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Random } from '@caption/core';
import { createTokenizer, JIEBA_LIBRARY, type CaptionTokenizer } from '@caption/data-coco';
import sharp from 'sharp';
import { sampleCaptions, type Caption, type CaptionGrammar, type CaptionLanguage } from './caption-grammar';
import { englishGrammar } from './captions-en';
import { chineseGrammar } from './captions-zh';
import { ShapesOptionsError } from './errors';
import { renderScene } from './rasterise';
import { deriveSeed, sampleScene, type Scene } from './scene';

/** Version of the generator's output; bump it whenever the bytes written for a configuration change. */
export const SHAPES_FORMAT_VERSION = 1;

/** The three splits, in the order their images are numbered. */
export type ShapesSplit = 'train' | 'val' | 'test';

/** One sentence of a Karpathy split file. */
export interface KarpathySentence {
  /** lower-case words without punctuation */
  tokens: string[];
  /** the sentence as written */
  raw: string;
  /** index of the image in `images` */
  imgid: number;
  /** global sentence index */
  sentid: number;
}

/** One image of a Karpathy split file (`dataset_coco.json` layout). */
export interface KarpathyImage {
  /** folder of the image, relative to the data set folder */
  filepath: string;
  /** file name of the image */
  filename: string;
  /** index of the image in `images` */
  imgid: number;
  /** split */
  split: ShapesSplit;
  /** the `sentid`s of `sentences` */
  sentids: number[];
  /** the image id (as COCO's): features are named after it; here `imgid + 1` */
  cocoid: number;
  /** same as `cocoid` (the field name the Flickr files and `cocotalk.json` use) */
  id: number;
  /** the captions */
  sentences: KarpathySentence[];
}

/** A Karpathy split file. */
export interface KarpathyDataset {
  /** data set name (`shapes`) */
  dataset: string;
  /** all images of all splits */
  images: KarpathyImage[];
}

/** The ground truth of one image, as written to `scenes.json`. */
export interface SceneRecord extends Scene {
  /** index of the image in the Karpathy file */
  imgid: number;
  /** image id (`cocoid`) */
  id: number;
  /** split */
  split: ShapesSplit;
  /** image path relative to the data set folder */
  file: string;
}

/** `scenes.json`: the ground-truth scene of every image (object classes, colours, sizes, boxes). */
export interface ScenesFile {
  /** image side in pixels */
  imageSize: number;
  /** `[x, y, width, height]` boxes, integer pixels, COCO convention */
  bboxFormat: 'xywh';
  /** one record per image, in `imgid` order */
  images: SceneRecord[];
}

/** Progress of {@link generateShapes}. */
export interface GenerateProgress {
  /** what is being made */
  stage: 'images' | 'captions';
  /** items done */
  done: number;
  /** items in this stage */
  total: number;
}

/** Options of {@link generateShapes}; every field has a default. */
export interface GenerateShapesOptions {
  /** output folder (default `<repo>/out/shapes`) */
  outDir?: string;
  /** seed of everything (default 1) */
  seed?: number;
  /** images in the train split (default 4000) */
  train?: number;
  /** images in the val split (default 500) */
  val?: number;
  /** images in the test split (default 500) */
  test?: number;
  /** image side in pixels (default 64) */
  imageSize?: number;
  /** caption language (default `en`) */
  language?: CaptionLanguage;
  /** captions per image (default 5) */
  captionsPerImage?: number;
  /** regenerate even when the manifest says the output is current */
  force?: boolean;
  /** called as work progresses */
  onProgress?: (progress: GenerateProgress) => void;
}

/** What {@link generateShapes} made (or found already made). */
export interface ShapesDataset {
  /** the output folder */
  outDir: string;
  /** the Karpathy split file */
  datasetPath: string;
  /** the ground-truth scenes */
  scenesPath: string;
  /** folder of the PNG images */
  imagesDir: string;
  /** the cache manifest */
  manifestPath: string;
  /** caption language */
  language: CaptionLanguage;
  /** images per split */
  counts: Record<ShapesSplit, number>;
  /** hash of the image configuration (feature caches key on it) */
  imagesHash: string;
  /** which parts were already current and left untouched */
  cached: { images: boolean; captions: boolean };
}

/** The cache manifest, `manifest.json`. */
export interface ShapesManifest {
  /** always `@caption/example-shapes` */
  generator: string;
  /** the images and scenes */
  images?: { hash: string; count: number; config: Record<string, unknown> };
  /** each caption file by name */
  datasets: Record<string, { hash: string; language: CaptionLanguage; captionsPerImage: number; imagesHash: string }>;
}

const STREAM_SCENE = 1;
const STREAM_CAPTIONS: Record<CaptionLanguage, number> = { en: 2, zh: 3 };
const GRAMMARS: Record<CaptionLanguage, CaptionGrammar> = { en: englishGrammar, zh: chineseGrammar };
const IMAGES_FOLDER = 'images';
const PNG_CONCURRENCY = 8;

/** The repository's `out/shapes`, the default output folder. */
export function defaultShapesDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'out', 'shapes');
}

/** File name of the Karpathy split file of a language. */
export function datasetFileName(language: CaptionLanguage): string {
  return language === 'en' ? 'dataset_shapes.json' : `dataset_shapes_${language}.json`;
}

/** File name of an image. */
export function imageFileName(id: number): string {
  return `shapes_${String(id).padStart(6, '0')}.png`;
}

/** Short SHA-256 of a JSON value (keys in insertion order). */
export function configHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

function countOption(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0)
    throw new ShapesOptionsError(name, `must be a non-negative integer, got ${value}`);
  return value;
}

/** The split of each image index, and the split sizes. */
function splitOf(imgid: number, counts: Record<ShapesSplit, number>): ShapesSplit {
  if (imgid < counts.train) return 'train';
  if (imgid < counts.train + counts.val) return 'val';
  return 'test';
}

/** The scene of image `imgid` of the data set with this seed (independent of the other images). */
export function sceneFor(seed: number, imgid: number, imageSize: number): Scene {
  return sampleScene(new Random(deriveSeed(seed, imgid, STREAM_SCENE)), { imageSize });
}

/**
 * The captions of image `imgid` of the data set with this seed, as written to its Karpathy file (before
 * re-segmentation).
 */
export function captionsFor(
  scene: Scene,
  seed: number,
  imgid: number,
  language: CaptionLanguage,
  count: number,
): Caption[] {
  return sampleCaptions(
    GRAMMARS[language],
    scene,
    new Random(deriveSeed(seed, imgid, STREAM_CAPTIONS[language])),
    count,
  );
}

/** Encodes interleaved RGB bytes as a PNG (sharp, default zlib settings, no metadata). */
export async function encodePng(rgb: Uint8Array, size: number): Promise<Buffer> {
  return sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), {
    raw: { width: size, height: size, channels: 3 },
  })
    .png()
    .toBuffer();
}

/** Writes a file through a temporary one renamed into place, so that a crash leaves the old file or the new one. */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw error;
  }
}

async function readManifest(path: string): Promise<ShapesManifest | null> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as ShapesManifest;
    return parsed.generator === '@caption/example-shapes' && typeof parsed.datasets === 'object' ? parsed : null;
  } catch {
    return null; // absent or unreadable: everything is regenerated
  }
}

async function imagesPresent(imagesDir: string, ids: readonly number[]): Promise<boolean> {
  if (!existsSync(imagesDir)) return false;
  const names = new Set(await readdir(imagesDir));
  return ids.every((id) => names.has(imageFileName(id)));
}

/**
 * Generates the shapes data set (or finds it current): `images/shapes_NNNNNN.png`, `scenes.json`, the Karpathy
 * split file of the language and `manifest.json` under `outDir`. Same options, same bytes; a second call
 * with the same options only reads the manifest. Images and captions are cached separately, so the
 * Chinese captions of an English data set reuse its images.
 *
 * @example
 * ```ts
 * const data = await generateShapes({ outDir: 'out/shapes', seed: 1 });
 * console.log(data.datasetPath); // out/shapes/dataset_shapes.json
 * ```
 */
export async function generateShapes(options: GenerateShapesOptions = {}): Promise<ShapesDataset> {
  const outDir = resolve(options.outDir ?? defaultShapesDir());
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new ShapesOptionsError('seed', `must be an integer, got ${seed}`);
  const counts: Record<ShapesSplit, number> = {
    train: countOption('train', options.train ?? 4000),
    val: countOption('val', options.val ?? 500),
    test: countOption('test', options.test ?? 500),
  };
  const total = counts.train + counts.val + counts.test;
  if (total === 0) throw new ShapesOptionsError('train', 'the data set would have no image');
  if (total > 999_999) throw new ShapesOptionsError('train', `at most 999999 images in all, got ${total}`);
  const imageSize = options.imageSize ?? 64;
  if (!Number.isInteger(imageSize) || imageSize < 32 || imageSize > 1024) {
    throw new ShapesOptionsError('imageSize', `must be an integer in 32..1024, got ${imageSize}`);
  }
  const language = options.language ?? 'en';
  if (!(language in GRAMMARS))
    throw new ShapesOptionsError('language', `must be 'en' or 'zh', got ${String(language)}`);
  const captionsPerImage = options.captionsPerImage ?? 5;
  if (!Number.isInteger(captionsPerImage) || captionsPerImage < 1) {
    throw new ShapesOptionsError('captionsPerImage', `must be a positive integer, got ${captionsPerImage}`);
  }

  const imagesDir = join(outDir, IMAGES_FOLDER);
  const scenesPath = join(outDir, 'scenes.json');
  const manifestPath = join(outDir, 'manifest.json');
  const datasetName = datasetFileName(language);
  const datasetPath = join(outDir, datasetName);
  const imageConfig = {
    format: SHAPES_FORMAT_VERSION,
    seed,
    ...counts,
    imageSize,
    sharp: sharp.versions.sharp,
    vips: sharp.versions.vips,
  };
  const imagesHash = configHash(imageConfig);
  const segmenter = language === 'zh' ? JIEBA_LIBRARY : 'grammar';
  const captionsHash = configHash({ format: SHAPES_FORMAT_VERSION, imagesHash, language, captionsPerImage, segmenter });
  const ids = Array.from({ length: total }, (_, imgid) => imgid + 1);
  const result = { outDir, datasetPath, scenesPath, imagesDir, manifestPath, language, counts, imagesHash };

  const manifest: ShapesManifest = (options.force ? null : await readManifest(manifestPath)) ?? {
    generator: '@caption/example-shapes',
    datasets: {},
  };
  const imagesCurrent =
    manifest.images?.hash === imagesHash && existsSync(scenesPath) && (await imagesPresent(imagesDir, ids));
  const captionsCurrent =
    imagesCurrent && manifest.datasets[datasetName]?.hash === captionsHash && existsSync(datasetPath);
  if (imagesCurrent && captionsCurrent) return { ...result, cached: { images: true, captions: true } };

  await mkdir(imagesDir, { recursive: true });
  const scenes: SceneRecord[] = ids.map((id, imgid) => ({
    imgid,
    id,
    split: splitOf(imgid, counts),
    file: `${IMAGES_FOLDER}/${imageFileName(id)}`,
    ...sceneFor(seed, imgid, imageSize),
  }));

  if (!imagesCurrent) {
    manifest.images = undefined;
    manifest.datasets = {};
    await writeAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    await writeImages(scenes, imagesDir, imageSize, options.onProgress);
    await removeStaleImages(imagesDir, new Set(ids.map(imageFileName)));
    const scenesFile: ScenesFile = { imageSize, bboxFormat: 'xywh', images: scenes };
    await writeAtomic(scenesPath, JSON.stringify(scenesFile));
    manifest.images = { hash: imagesHash, count: total, config: imageConfig };
  }

  const tokenize =
    language === 'zh'
      ? await createTokenizer({ kind: 'jieba', library: JIEBA_LIBRARY, keepPunctuation: false })
      : undefined;
  const dataset = buildKarpathyDataset(scenes, {
    seed,
    language,
    captionsPerImage,
    tokenize,
    onProgress: options.onProgress,
  });
  await writeAtomic(datasetPath, JSON.stringify(dataset));
  manifest.datasets[datasetName] = { hash: captionsHash, language, captionsPerImage, imagesHash };
  await writeAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { ...result, cached: { images: imagesCurrent, captions: false } };
}

/**
 * Runs `work` on every item, at most `concurrency` at a time (in item order), calling `reportDone(done)` after
 * each; rejects with the first failure.
 */
export async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
  reportDone: (done: number) => void = () => undefined,
): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      await work(items[i] as T, i);
      reportDone(++done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function writeImages(
  scenes: readonly SceneRecord[],
  imagesDir: string,
  imageSize: number,
  onProgress: GenerateShapesOptions['onProgress'],
): Promise<void> {
  await forEachConcurrently(
    scenes,
    PNG_CONCURRENCY,
    async (scene) =>
      writeFile(join(imagesDir, imageFileName(scene.id)), await encodePng(renderScene(scene), imageSize)),
    (done) => {
      if (onProgress !== undefined && (done % 100 === 0 || done === scenes.length))
        onProgress({ stage: 'images', done, total: scenes.length });
    },
  );
}

/** Deletes `shapes_*.png` files that a larger earlier configuration left behind. */
async function removeStaleImages(imagesDir: string, keep: ReadonlySet<string>): Promise<void> {
  for (const name of await readdir(imagesDir)) {
    if (/^shapes_\d{6}\.png$/.test(name) && !keep.has(name)) await unlink(join(imagesDir, name));
  }
}

/** Options of {@link buildKarpathyDataset}. */
export interface KarpathyBuildOptions {
  /** the data set seed */
  seed: number;
  /** caption language */
  language: CaptionLanguage;
  /** captions per image */
  captionsPerImage: number;
  /**
   * How `raw` becomes `tokens`; default: the grammar's own words. Chinese data sets use jieba here (as the
   * AI Challenger evaluation segments), so that the file's tokens are what the metrics' `zh` tokenizer gives.
   */
  tokenize?: CaptionTokenizer;
  /** called as work progresses */
  onProgress?: (progress: GenerateProgress) => void;
}

/**
 * The Karpathy split file of a set of scenes: `captionsPerImage` captions per image from the language's
 * grammar, drawn from a stream seeded by `(seed, imgid, language)` so captions do not depend on other images.
 */
export function buildKarpathyDataset(scenes: readonly SceneRecord[], options: KarpathyBuildOptions): KarpathyDataset {
  const { seed, language, captionsPerImage, tokenize, onProgress } = options;
  let sentid = 0;
  const images = scenes.map((scene, i): KarpathyImage => {
    const sentences = captionsFor(scene, seed, scene.imgid, language, captionsPerImage).map((c): KarpathySentence => ({
      tokens: tokenize?.(c.raw) ?? c.tokens,
      raw: c.raw,
      imgid: scene.imgid,
      sentid: sentid++,
    }));
    if (onProgress !== undefined && ((i + 1) % 500 === 0 || i + 1 === scenes.length)) {
      onProgress({ stage: 'captions', done: i + 1, total: scenes.length });
    }
    const slash = scene.file.lastIndexOf('/');
    return {
      filepath: scene.file.slice(0, slash),
      filename: scene.file.slice(slash + 1),
      imgid: scene.imgid,
      split: scene.split,
      sentids: sentences.map((s) => s.sentid),
      cocoid: scene.id,
      id: scene.id,
      sentences,
    };
  });
  return { dataset: 'shapes', images };
}

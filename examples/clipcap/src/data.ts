/**
 * The shapes data as the CLIP + GPT example uses it: per split, the image ids (`cocoid`, the ids results and
 * references use), the image files and the raw captions of one language, read from the Karpathy split file the
 * shapes generator writes; and the images as CLIP input (`[N, 3, S, S]`, CLIP's normalisation).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage, karpathyFilePath, karpathyImageId, readKarpathyDataset } from '@caption/data-coco';
import { datasetFileName, type CaptionLanguage } from '@caption/example-shapes';
import { preprocessImageFiles } from '@caption/models-clipcap';
import { ExampleDataError } from '@caption/example-common';

/** The splits of the shapes data. */
export const SPLITS = ['train', 'val', 'test'] as const;
/** One split's name. */
export type Split = (typeof SPLITS)[number];

/** One split: parallel arrays, one entry per image, in file order. */
export interface SplitCaptions {
  /** Image ids (`cocoid`). */
  ids: number[];
  /** Absolute image paths. */
  files: string[];
  /** The raw captions of each image. */
  captions: string[][];
}

/** The captions of one language and the image files, by split. */
export interface ShapesCaptions {
  language: CaptionLanguage;
  /** The Karpathy split file read. */
  datasetPath: string;
  splits: Record<Split, SplitCaptions>;
}

/**
 * Reads the Karpathy split file of `language` in `dataDir` (`dataset_shapes.json` or `dataset_shapes_zh.json`).
 *
 * @throws ExampleDataError naming the file when it is missing, an image has no id or no caption, or a split is empty
 */
export async function readShapesCaptions(dataDir: string, language: CaptionLanguage): Promise<ShapesCaptions> {
  const datasetPath = join(dataDir, datasetFileName(language));
  if (!existsSync(datasetPath)) {
    throw new ExampleDataError(`no ${language} captions in ${dataDir}`, [
      `${datasetPath} does not exist; make it with: npm run generate -w @caption/example-shapes -- --out ${dataDir} --language ${language}`,
    ]);
  }
  const dataset = await readKarpathyDataset(datasetPath);
  const splits = Object.fromEntries(
    SPLITS.map((s): [Split, SplitCaptions] => [s, { ids: [], files: [], captions: [] }]),
  ) as Record<Split, SplitCaptions>;
  const problems: string[] = [];
  dataset.images.forEach((image, index) => {
    const split = splits[image.split as Split];
    if (split === undefined) return;
    const id = karpathyImageId(image);
    if (id === undefined) problems.push(`${datasetPath}: images[${index}] has neither "cocoid" nor "imgid"`);
    else if (image.sentences.length === 0) problems.push(`${datasetPath}: image ${id} has no caption (sentences)`);
    else {
      split.ids.push(id);
      split.files.push(join(dataDir, karpathyFilePath(image)));
      split.captions.push(image.sentences.map((s) => s.raw ?? s.tokens.join(' ')));
    }
  });
  for (const s of SPLITS) if (splits[s].ids.length === 0) problems.push(`${datasetPath}: no image in split "${s}"`);
  if (problems.length > 0) throw new ExampleDataError(`cannot use ${datasetPath}`, problems);
  return { language, datasetPath, splits };
}

/**
 * The images of a split as CLIP input: decoded (sharp, as `@caption/data-coco` decodes), resized and centre-cropped
 * to `size` (CLIP's bicubic; the identity for the 64×64 shapes images at size 64), CLIP's mean/std.
 *
 * @throws ImageDecodeError naming the file that cannot be decoded (before any work is returned)
 */
export async function loadClipImages(files: readonly string[], size: number): Promise<Float32Array> {
  return (await preprocessImageFiles(files, decodeImage, { size })).data;
}

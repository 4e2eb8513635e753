/**
 * Readers for the official COCO caption annotations (`captions_train2014.json`, `captions_val2014.json`,
 * `captions_*2017.json`) and for COCO results files (`[{image_id, caption}]`, what `eval.py` dumps and
 * the evaluation server takes).
 */
import { DataFormatError } from './errors.js';
import { isRecord, readJsonFile } from './files.js';

/** One image entry of a COCO annotation file (the fields captioning uses). */
export interface CocoImage {
  /** COCO image id. */
  id: number;
  /** File name, e.g. `COCO_val2014_000000391895.jpg`. */
  fileName: string;
  /** Width in pixels, when present. */
  width?: number;
  /** Height in pixels, when present. */
  height?: number;
}

/** One caption annotation of a COCO annotation file. */
export interface CocoCaptionAnnotation {
  /** Annotation id. */
  id: number;
  /** The image it describes. */
  imageId: number;
  /** The caption as written by the annotator (not tokenized). */
  caption: string;
}

/** A COCO caption annotation file: images and annotations in file order. */
export interface CocoCaptions {
  /** Images in file order. */
  images: CocoImage[];
  /** Caption annotations in file order (the order decides ties in some metrics, so it is kept). */
  annotations: CocoCaptionAnnotation[];
}

/** One entry of a COCO results file. */
export interface CocoResult {
  /** The image the caption is for. */
  imageId: number;
  /** The generated caption. */
  caption: string;
}

/**
 * Validates a parsed COCO caption annotation file.
 *
 * @throws DataFormatError naming the file, the image id and the field: non-integer ids, duplicate image
 *   ids, a caption that is not a string, an annotation whose image is not listed
 */
export function parseCocoCaptions(json: unknown, file?: string): CocoCaptions {
  if (!isRecord(json) || !Array.isArray(json.images) || !Array.isArray(json.annotations)) {
    throw new DataFormatError('expected an object with "images" and "annotations" arrays (COCO captions format)', {
      file,
    });
  }
  const images: CocoImage[] = [];
  const ids = new Set<number>();
  json.images.forEach((raw, i) => {
    if (!isRecord(raw) || !Number.isSafeInteger(raw.id)) {
      throw new DataFormatError('expected an object with an integer "id"', { file, field: `images[${i}].id` });
    }
    const id = raw.id as number;
    if (ids.has(id)) throw new DataFormatError('duplicate image id', { file, imageId: id, field: `images[${i}].id` });
    ids.add(id);
    if (typeof raw.file_name !== 'string') {
      throw new DataFormatError('expected a string', { file, imageId: id, field: `images[${i}].file_name` });
    }
    const image: CocoImage = { id, fileName: raw.file_name };
    if (typeof raw.width === 'number') image.width = raw.width;
    if (typeof raw.height === 'number') image.height = raw.height;
    images.push(image);
  });
  const annotations = json.annotations.map((raw, i): CocoCaptionAnnotation => {
    if (!isRecord(raw) || !Number.isSafeInteger(raw.image_id)) {
      throw new DataFormatError('expected an object with an integer "image_id"', {
        file,
        field: `annotations[${i}].image_id`,
      });
    }
    const imageId = raw.image_id as number;
    if (!ids.has(imageId)) {
      throw new DataFormatError('annotation refers to an image not listed in "images"', {
        file,
        imageId,
        field: `annotations[${i}].image_id`,
      });
    }
    if (typeof raw.caption !== 'string') {
      throw new DataFormatError('expected a string', { file, imageId, field: `annotations[${i}].caption` });
    }
    if (!Number.isSafeInteger(raw.id)) {
      throw new DataFormatError('expected an integer', { file, imageId, field: `annotations[${i}].id` });
    }
    return { id: raw.id as number, imageId, caption: raw.caption };
  });
  return { images, annotations };
}

/** Reads a COCO caption annotation file (plain or gzipped). See {@link parseCocoCaptions}. */
export async function readCocoCaptions(path: string): Promise<CocoCaptions> {
  return parseCocoCaptions(await readJsonFile(path), path);
}

/** The captions of each image, in annotation order (images without captions are absent). */
export function captionsByImage(coco: CocoCaptions): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const a of coco.annotations) {
    const list = out.get(a.imageId);
    if (list === undefined) out.set(a.imageId, [a.caption]);
    else list.push(a.caption);
  }
  return out;
}

/**
 * Validates a parsed COCO results file: an array of `{image_id, caption}`, one per image.
 *
 * @throws DataFormatError naming the file, the image id and the field: a non-integer `image_id`, a
 *   duplicate image id, a caption that is not a string
 */
export function parseCocoResults(json: unknown, file?: string): CocoResult[] {
  if (!Array.isArray(json)) {
    throw new DataFormatError('expected an array of {image_id, caption} (COCO results format)', { file });
  }
  const seen = new Set<number>();
  return json.map((raw, i): CocoResult => {
    if (!isRecord(raw) || !Number.isSafeInteger(raw.image_id)) {
      throw new DataFormatError('expected an object with an integer "image_id"', { file, field: `[${i}].image_id` });
    }
    const imageId = raw.image_id as number;
    if (seen.has(imageId)) throw new DataFormatError('duplicate image id', { file, imageId, field: `[${i}].image_id` });
    seen.add(imageId);
    if (typeof raw.caption !== 'string') {
      throw new DataFormatError('expected a string', { file, imageId, field: `[${i}].caption` });
    }
    return { imageId, caption: raw.caption };
  });
}

/** Reads a COCO results file (plain or gzipped). See {@link parseCocoResults}. */
export async function readCocoResults(path: string): Promise<CocoResult[]> {
  return parseCocoResults(await readJsonFile(path), path);
}

/**
 * Readers for Karpathy's split files (`dataset_coco.json`, `dataset_flickr8k.json`,
 * `dataset_flickr30k.json`, from `caption_datasets.zip`): `{images: [{split, filepath?, filename,
 * cocoid?, imgid, sentids, sentences: [{tokens, raw, imgid, sentid}]}], dataset}`.
 */
import { stat } from 'node:fs/promises';
import { DataFormatError } from './errors.js';
import { firstBytes, isGzip, isRecord, readMaybeGzip, streamJsonValues } from './files.js';

/** The four splits of Karpathy's files (`restval` exists in COCO only: val2014 images outside val/test). */
export const KARPATHY_SPLITS = ['train', 'val', 'test', 'restval'] as const;

/** One of {@link KARPATHY_SPLITS}. */
export type KarpathySplit = (typeof KARPATHY_SPLITS)[number];

/** One caption of a Karpathy image. */
export interface KarpathySentence {
  /** The caption's tokens as given in the file (lower-cased, punctuation removed by Karpathy's tokenizer). */
  tokens: string[];
  /** The original caption, when the file has it and the reader was asked to keep it. */
  raw?: string;
  /** Karpathy's global sentence id, when present. */
  sentid?: number;
}

/** One image of a Karpathy split file. */
export interface KarpathyImage {
  /** The split this image belongs to (after `foldRestval`, if asked). */
  split: KarpathySplit;
  /** The split as written in the file (differs from `split` only for folded `restval` images). */
  fileSplit: KarpathySplit;
  /** Image file name, e.g. `COCO_val2014_000000391895.jpg`. */
  filename: string;
  /** Folder of the image relative to the images root, e.g. `val2014` (COCO only). */
  filepath?: string;
  /** COCO image id (COCO only). */
  cocoid?: number;
  /** Karpathy's running image index. */
  imgid?: number;
  /** The captions, in file order. */
  sentences: KarpathySentence[];
}

/** A Karpathy split file: its images in file order and the data set's name. */
export interface KarpathyDataset {
  /** The `dataset` field (`coco`, `flickr8k`, `flickr30k`, ...), when present. */
  dataset?: string;
  /** The images, in file order. */
  images: KarpathyImage[];
}

/** Options of {@link parseKarpathyDataset} and {@link iterateKarpathyImages} (and of {@link readKarpathyDataset}). */
export interface KarpathyReadOptions {
  /** Give `restval` images the split `train` (the reference loader does so unless `train_only`). Default false. */
  foldRestval?: boolean;
  /** Keep only images of these splits (as written in the file). Default: all. */
  splits?: readonly KarpathySplit[];
  /** Keep each sentence's `raw` text. Default true; false saves memory on `dataset_coco.json`. */
  keepRaw?: boolean;
}

const NOT_KARPATHY = 'expected an object with a non-empty "images" array (a Karpathy split file)';

/** Options of {@link readKarpathyDataset}. */
export interface KarpathyFileReadOptions extends KarpathyReadOptions {
  /**
   * Files larger than this many bytes of JSON (a gzipped file counts five times its size) are streamed image by
   * image instead of parsed at once. Default 64 MiB (`dataset_coco.json`, 144 MB, is streamed).
   */
  streamAboveBytes?: number;
}

/** The id the reference gives an image: `cocoid` when present, else `imgid` (as `prepro_labels.py`). */
export function karpathyImageId(image: KarpathyImage): number | undefined {
  return image.cocoid ?? image.imgid;
}

/**
 * The field of a Karpathy image entry that makes its path leave its folder (`filename` when it is absolute or has
 * a `..` part, else `filepath`), for error messages.
 */
export function karpathyPathField(image: Pick<KarpathyImage, 'filename'>): 'filename' | 'filepath' {
  return image.filename.startsWith('/') || image.filename.split(/[/\\]/).includes('..') ? 'filename' : 'filepath';
}

/** Python's `os.path.join(filepath, filename)`, as `prepro_labels.py` builds `file_path`. */
export function karpathyFilePath(image: Pick<KarpathyImage, 'filepath' | 'filename'>): string {
  const dir = image.filepath ?? '';
  if (image.filename.startsWith('/') || dir === '') return image.filename;
  return dir.endsWith('/') ? `${dir}${image.filename}` : `${dir}/${image.filename}`;
}

class Interner {
  private readonly strings = new Map<string, string>();
  intern(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    this.strings.set(s, s);
    return s;
  }
}

function describeImage(raw: Record<string, unknown>, index: number): string | number {
  if (typeof raw.cocoid === 'number') return raw.cocoid;
  if (typeof raw.imgid === 'number') return raw.imgid;
  if (typeof raw.filename === 'string') return raw.filename;
  return `#${index}`;
}

function normaliseImage(
  raw: unknown,
  index: number,
  file: string | undefined,
  options: KarpathyReadOptions,
  interner: Interner,
): KarpathyImage {
  if (!isRecord(raw)) throw new DataFormatError('expected an object', { file, field: `images[${index}]` });
  const imageId = describeImage(raw, index);
  const fail = (problem: string, field: string): never => {
    throw new DataFormatError(problem, { file, imageId, field: `images[${index}].${field}` });
  };
  const split = raw.split;
  if (typeof split !== 'string' || !(KARPATHY_SPLITS as readonly string[]).includes(split)) {
    fail(`expected one of ${KARPATHY_SPLITS.join('/')}, found ${JSON.stringify(split)}`, 'split');
  }
  if (typeof raw.filename !== 'string') fail('expected a string', 'filename');
  if (raw.filepath !== undefined && typeof raw.filepath !== 'string') fail('expected a string', 'filepath');
  for (const key of ['cocoid', 'imgid'] as const) {
    if (raw[key] !== undefined && !Number.isSafeInteger(raw[key])) fail('expected an integer', key);
  }
  if (!Array.isArray(raw.sentences)) fail('expected an array', 'sentences');
  const keepRaw = options.keepRaw ?? true;
  const sentences = (raw.sentences as unknown[]).map((s, j): KarpathySentence => {
    if (!isRecord(s)) return fail('expected an object', `sentences[${j}]`);
    if (!Array.isArray(s.tokens) || s.tokens.some((t) => typeof t !== 'string')) {
      return fail('expected an array of strings', `sentences[${j}].tokens`);
    }
    const sentence: KarpathySentence = { tokens: (s.tokens as string[]).map((t) => interner.intern(t)) };
    if (keepRaw && typeof s.raw === 'string') sentence.raw = s.raw;
    if (typeof s.sentid === 'number') sentence.sentid = s.sentid;
    return sentence;
  });
  const fileSplit = split as KarpathySplit;
  const image: KarpathyImage = {
    split: options.foldRestval === true && fileSplit === 'restval' ? 'train' : fileSplit,
    fileSplit,
    filename: raw.filename as string,
    sentences,
  };
  if (typeof raw.filepath === 'string') image.filepath = raw.filepath;
  if (typeof raw.cocoid === 'number') image.cocoid = raw.cocoid;
  if (typeof raw.imgid === 'number') image.imgid = raw.imgid;
  return image;
}

/**
 * Validates an already parsed Karpathy split file.
 *
 * @param json the parsed JSON
 * @param file the file it came from, for error messages
 * @throws DataFormatError naming the file, the image and the field that is wrong
 */
export function parseKarpathyDataset(json: unknown, options: KarpathyReadOptions = {}, file?: string): KarpathyDataset {
  if (!isRecord(json) || !Array.isArray(json.images) || json.images.length === 0) {
    throw new DataFormatError(NOT_KARPATHY, { file, field: 'images' });
  }
  const interner = new Interner();
  const keep = options.splits === undefined ? undefined : new Set<string>(options.splits);
  const images: KarpathyImage[] = [];
  json.images.forEach((raw, i) => {
    const image = normaliseImage(raw, i, file, options, interner);
    if (keep === undefined || keep.has(image.fileSplit)) images.push(image);
  });
  const out: KarpathyDataset = { images };
  if (typeof json.dataset === 'string') out.dataset = json.dataset;
  return out;
}

/**
 * Streams the images of a Karpathy split file (plain or gzipped) one by one, validated, in file order.
 * Memory stays bounded by one image plus the token strings (which are interned: each distinct token is
 * stored once), whatever the file size.
 *
 * @example
 * ```ts
 * for await (const image of iterateKarpathyImages('data/dataset_coco.json', { keepRaw: false })) {
 *   count += image.sentences.length;
 * }
 * ```
 */
export async function* iterateKarpathyImages(
  path: string,
  options: KarpathyReadOptions = {},
): AsyncGenerator<KarpathyImage> {
  const interner = new Interner();
  const keep = options.splits === undefined ? undefined : new Set<string>(options.splits);
  let index = 0;
  for await (const item of streamJsonValues(path, ['$.images.*'])) {
    const image = normaliseImage(item.value, index, path, options, interner);
    index += 1;
    if (keep === undefined || keep.has(image.fileSplit)) yield image;
  }
  if (index === 0) throw new DataFormatError(NOT_KARPATHY, { file: path, field: 'images' });
}

/**
 * Reads a Karpathy split file (plain or gzipped; detected from its bytes).
 *
 * Files up to 64 MB (gzipped: 13 MB) are parsed at once (fastest); larger ones, such as the 144 MB `dataset_coco.json`,
 * are streamed image by image with token strings interned, so the peak memory is about the size of the kept data rather
 * than several times the file (see docs/measurements.md for measured numbers). Pass `keepRaw: false` to drop the raw
 * captions when only tokens are needed.
 *
 * @example
 * ```ts
 * const ds = await readKarpathyDataset('dataset_flickr8k.json', { foldRestval: true });
 * const train = ds.images.filter((im) => im.split === 'train');
 * ```
 * @throws DataFormatError naming the file, the image and the field that is wrong
 */
export async function readKarpathyDataset(
  path: string,
  options: KarpathyFileReadOptions = {},
): Promise<KarpathyDataset> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (cause) {
    throw new DataFormatError(`cannot read the file (${(cause as Error).message})`, { file: path }, { cause });
  }
  const threshold = options.streamAboveBytes ?? 64 * 1024 * 1024;
  // JSON compresses about 5×: a gzipped file above a fifth of the threshold is streamed without inflating it whole
  const onDisk = isGzip(await firstBytes(path)) ? size * 5 : size;
  if (onDisk <= threshold) {
    const bytes = await readMaybeGzip(path);
    if (bytes.length <= threshold) {
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder('utf-8').decode(bytes));
      } catch (cause) {
        throw new DataFormatError(`invalid JSON (${(cause as Error).message})`, { file: path }, { cause });
      }
      return parseKarpathyDataset(json, options, path);
    }
  }
  const images: KarpathyImage[] = [];
  let dataset: string | undefined;
  const interner = new Interner();
  const keep = options.splits === undefined ? undefined : new Set<string>(options.splits);
  let index = 0;
  for await (const item of streamJsonValues(path, ['$.images.*', '$.dataset'])) {
    if (item.key === 'dataset' && item.depth === 1) {
      if (typeof item.value === 'string') dataset = item.value;
      continue;
    }
    const image = normaliseImage(item.value, index, path, options, interner);
    index += 1;
    if (keep === undefined || keep.has(image.fileSplit)) images.push(image);
  }
  // a large JSON file of another kind (COCO annotations, say) streams no image: say so rather than return none
  if (index === 0) throw new DataFormatError(NOT_KARPATHY, { file: path, field: 'images' });
  return dataset === undefined ? { images } : { dataset, images };
}

/** Number of images per split (as assigned after `foldRestval`). */
export function countSplits(images: readonly KarpathyImage[]): Record<KarpathySplit, number> {
  const counts: Record<KarpathySplit, number> = { train: 0, val: 0, test: 0, restval: 0 };
  for (const im of images) counts[im.split] += 1;
  return counts;
}

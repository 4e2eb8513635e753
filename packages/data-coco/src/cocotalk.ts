/**
 * `cocotalk.json`, the vocabulary-and-images file of ImageCaptioning.pytorch / AoANet:
 * `{ix_to_word: {"1": word, ...}, images: [{split, file_path, id, width?, height?}]}`, optionally with our
 * `tokenizer` record (ignored by the Python loaders).
 */
import { DataFormatError } from './errors.js';
import { writeFileChecked } from './output-files.js';
import { isRecord, readJsonFile } from './files.js';
import { type PythonDictOrder, type PythonJsonValue, pythonDictOrder, pythonJsonDumps } from './python-compat.js';
import { parseTokenizerSpec } from './tokenizers.js';
import { Vocabulary } from './vocabulary.js';

/** One image entry of `cocotalk.json`. */
export interface CocoTalkImage {
  /** The image id (COCO id, or Karpathy `imgid`); feature files are named after it. */
  id: number;
  /** `train`, `val`, `test` or `restval` (any other value is treated as `restval` by the reference loader). */
  split: string;
  /** Path of the image relative to the images root, when known. */
  filePath?: string;
  /** Image width in pixels (written by `prepro_labels.py` only with `--images_root`; needed for box features). */
  width?: number;
  /** Image height in pixels. */
  height?: number;
}

/** The content of `cocotalk.json`. */
export interface CocoTalk {
  /** The vocabulary (from `ix_to_word`, with the `tokenizer` record when present). */
  vocabulary: Vocabulary;
  /** The images, in label order: image `i` owns label rows `label_start_ix[i]..label_end_ix[i]`. */
  images: CocoTalkImage[];
}

/**
 * Validates a parsed `cocotalk.json`.
 *
 * @throws DataFormatError naming the file, the image and the field
 */
export function parseCocoTalk(json: unknown, file?: string): CocoTalk {
  if (!isRecord(json)) throw new DataFormatError('expected a JSON object', { file });
  if (!Array.isArray(json.images)) throw new DataFormatError('expected an array', { file, field: 'images' });
  const tokenizer = json.tokenizer === undefined ? undefined : parseTokenizerSpec(json.tokenizer, file);
  const vocabulary = Vocabulary.fromIxToWord(json.ix_to_word, file, tokenizer);
  const images = json.images.map((raw, i): CocoTalkImage => {
    if (!isRecord(raw)) throw new DataFormatError('expected an object', { file, field: `images[${i}]` });
    if (!Number.isSafeInteger(raw.id)) {
      throw new DataFormatError('expected an integer image id', { file, field: `images[${i}].id` });
    }
    const id = raw.id as number;
    if (typeof raw.split !== 'string') {
      throw new DataFormatError('expected a string', { file, imageId: id, field: `images[${i}].split` });
    }
    const image: CocoTalkImage = { id, split: raw.split };
    if (typeof raw.file_path === 'string') image.filePath = raw.file_path;
    for (const key of ['width', 'height'] as const) {
      const v = raw[key];
      if (v === undefined) continue;
      if (!Number.isSafeInteger(v) || (v as number) <= 0) {
        throw new DataFormatError('expected a positive integer', { file, imageId: id, field: `images[${i}].${key}` });
      }
      image[key] = v as number;
    }
    return image;
  });
  return { vocabulary, images };
}

/** Reads and validates a `cocotalk.json` (plain or gzipped). */
export async function readCocoTalk(path: string): Promise<CocoTalk> {
  return parseCocoTalk(await readJsonFile(path), path);
}

/** Options of {@link formatCocoTalk} / {@link writeCocoTalk}. */
export interface CocoTalkWriteOptions {
  /**
   * Whose `dict` order the keys are written in: 3 (insertion order, Python ≥ 3.7) or 2 (CPython 2.7 hash
   * order). With the matching order and the same content the file is byte-identical to the one
   * `prepro_labels.py` writes with `json.dump`. Default 3.
   */
  pythonDictOrder?: PythonDictOrder;
}

function orderedObject(
  entries: Array<readonly [string | number, PythonJsonValue]>,
  python: PythonDictOrder,
): PythonJsonValue {
  const byKey = new Map(entries);
  return { entries: pythonDictOrder([...byKey.keys()], python).map((k) => [k, byKey.get(k) as PythonJsonValue]) };
}

/**
 * The text of `cocotalk.json` as Python's `json.dump` writes it (separators `, ` and `: `, non-ASCII
 * escaped), with keys inserted in `prepro_labels.py`'s order: `ix_to_word`, `images` (then our
 * `tokenizer` when the tokens were not given), and per image `split`, `file_path`, `id`, `width`, `height`.
 */
export function formatCocoTalk(cocotalk: CocoTalk, options: CocoTalkWriteOptions = {}): string {
  const python = options.pythonDictOrder ?? 3;
  const ixToWord = orderedObject(
    cocotalk.vocabulary.words.map((w, i) => [i + 1, w] as const),
    python,
  );
  const images = cocotalk.images.map((im) => {
    const entries: Array<readonly [string, PythonJsonValue]> = [['split', im.split]];
    if (im.filePath !== undefined) entries.push(['file_path', im.filePath]);
    entries.push(['id', im.id]);
    if (im.width !== undefined) entries.push(['width', im.width]);
    if (im.height !== undefined) entries.push(['height', im.height]);
    return orderedObject(entries, python);
  });
  const top: Array<readonly [string, PythonJsonValue]> = [
    ['ix_to_word', ixToWord],
    ['images', images],
  ];
  const tokenizer = cocotalk.vocabulary.tokenizer;
  if (tokenizer.kind !== 'given') {
    const spec: Array<readonly [string, PythonJsonValue]> = Object.entries(tokenizer).map(
      ([k, v]) => [k, v as PythonJsonValue] as const,
    );
    top.push(['tokenizer', { entries: spec }]);
  }
  return pythonJsonDumps(orderedObject(top, python));
}

/** Writes `cocotalk.json` (see {@link formatCocoTalk}). */
export async function writeCocoTalk(
  path: string,
  cocotalk: CocoTalk,
  options: CocoTalkWriteOptions = {},
): Promise<void> {
  await writeFileChecked(path, formatCocoTalk(cocotalk, options));
}

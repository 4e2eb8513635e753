/**
 * `checkImages`: a pass over every image before feature extraction starts, so that a missing, empty,
 * truncated or mislabelled file is reported (by id and path) up front instead of stopping extraction
 * hours in. Each image is fully decoded with the same decoder the extraction uses.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { decodeImage } from './images.js';
import { mapConcurrent, progressTo } from './progress.js';
import { DataFormatError } from './errors.js';
import { writeFileChecked } from './output-files.js';
import { isRecord, pathUnderRoot, readJsonFile } from './files.js';
import { karpathyFilePath, karpathyPathField } from './karpathy.js';

/** An image to check. */
export interface ImageEntry {
  /** The image id. */
  id: number | string;
  /** Path of the file. */
  path: string;
}

/**
 * What is wrong with an image; `warning`: it decodes, but libvips warns that its data is corrupt (bytes overwritten
 * mid-file), so its pixels are wrong.
 */
export type ImageProblemKind =
  'missing' | 'empty' | 'unreadable' | 'wrong-format' | 'truncated' | 'corrupt' | 'warning';

/** One bad image. */
export interface ImageProblem {
  /** The image id. */
  id: number | string;
  /** Its path. */
  path: string;
  /** The kind of problem. */
  kind: ImageProblemKind;
  /** Details, in words. */
  message: string;
}

/** Options of {@link checkImages}. */
export interface CheckImagesOptions {
  /** Stop at the first problem (`true`) or check every image and report all (default). */
  failFast?: boolean;
  /** Images decoded at once. Default 4. */
  concurrency?: number;
  /** Show progress on stderr (a bar on a TTY, plain lines otherwise). Default false. */
  progress?: boolean | NodeJS.WritableStream;
}

/** The outcome of {@link checkImages}. */
export interface CheckImagesReport {
  /** Images checked (fewer than given when `failFast` stopped early). */
  checked: number;
  /** Images that decoded fine. */
  ok: number;
  /** Every problem found, in input order. */
  problems: ImageProblem[];
}

const SIGNATURES: Array<{ format: string; test: (b: Uint8Array) => boolean }> = [
  { format: 'jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { format: 'png', test: (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 },
  { format: 'gif', test: (b) => b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 },
  { format: 'webp', test: (b) => b[0] === 0x52 && b[1] === 0x49 && b[8] === 0x57 && b[9] === 0x45 },
  {
    format: 'tiff',
    test: (b) => (b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a) || (b[0] === 0x4d && b[1] === 0x4d && b[3] === 0x2a),
  },
  { format: 'bmp', test: (b) => b[0] === 0x42 && b[1] === 0x4d },
];

const EXTENSIONS: Record<string, string> = {
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.png': 'png',
  '.gif': 'gif',
  '.webp': 'webp',
  '.tif': 'tiff',
  '.tiff': 'tiff',
  '.bmp': 'bmp',
};

/** The format named by a file's first bytes, or undefined. */
export function sniffImageFormat(bytes: Uint8Array): string | undefined {
  return SIGNATURES.find((s) => s.test(bytes))?.format;
}

/** Index of the last occurrence of the two bytes `a b` in `bytes`, or -1. */
function lastIndexOfPair(bytes: Uint8Array, a: number, b: number): number {
  for (let i = bytes.length - 2; i >= 0; i--) if (bytes[i] === a && bytes[i + 1] === b) return i;
  return -1;
}

/** The 12-byte IEND chunk every complete PNG ends with (length 0, type, CRC). */
const PNG_END = [0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];

/**
 * Why a file's structure says it was cut off, or undefined: a JPEG whose last start-of-scan marker (FF DA) has
 * no end-of-image marker (FF D9) after it (entropy-coded data escapes FF bytes, so FF D9 there is the real end),
 * or a PNG without its IEND chunk. libvips' own message for these is not reliable (under concurrent decodes it
 * can be "Unknown error"), so the file's bytes decide.
 */
export function truncationOf(bytes: Uint8Array, format: string): string | undefined {
  if (format === 'jpeg') {
    const scan = lastIndexOfPair(bytes, 0xff, 0xda);
    if (scan >= 0 && lastIndexOfPair(bytes, 0xff, 0xd9) < scan)
      return 'the JPEG data stops before its end-of-image marker';
  } else if (format === 'png') {
    const end = bytes.length - PNG_END.length;
    if (end < 0 || PNG_END.some((v, i) => bytes[end + i] !== v)) {
      // trailing bytes after IEND are tolerated by decoders; only a missing IEND is a truncation
      for (let i = bytes.length - PNG_END.length; i >= 8; i--)
        if (PNG_END.every((v, k) => bytes[i + k] === v)) return undefined;
      return 'the PNG data stops before its IEND chunk';
    }
  }
  return undefined;
}

/** A libvips message (one line per warning) as one line. */
function oneLine(message: string): string {
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('; ');
}

/** Checks one image; undefined when it is fine. */
export async function checkImage(entry: ImageEntry): Promise<ImageProblem | undefined> {
  const problem = (kind: ImageProblemKind, message: string): ImageProblem => ({
    id: entry.id,
    path: entry.path,
    kind,
    message,
  });
  try {
    const info = await stat(entry.path);
    if (info.size === 0) return problem('empty', 'the file is empty (0 bytes)');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? problem('missing', 'no such file') : problem('unreadable', (cause as Error).message);
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(entry.path));
  } catch (cause) {
    return problem('unreadable', (cause as Error).message);
  }
  const format = sniffImageFormat(bytes);
  if (format === undefined) return problem('corrupt', 'not an image (unknown file signature)');
  const expected = EXTENSIONS[extname(entry.path).toLowerCase()];
  if (expected !== undefined && expected !== format) {
    return problem('wrong-format', `${format.toUpperCase()} data in a ${extname(entry.path)} file`);
  }
  const failure = async (strict: boolean): Promise<string | undefined> => {
    try {
      await decodeImage(bytes, { strict });
      return undefined;
    } catch (cause) {
      return oneLine(((cause as Error).cause as Error | undefined)?.message ?? (cause as Error).message);
    }
  };
  // one decode for a good image; the lenient decode (the one feature extraction uses) only to classify a failure
  const warning = await failure(true);
  if (warning === undefined) return undefined;
  const message = await failure(false);
  if (message === undefined) return problem('warning', `decodes only with warnings, its data is corrupt (${warning})`);
  const cutOff = truncationOf(bytes, format);
  if (cutOff !== undefined) return problem('truncated', `${cutOff} (${message})`);
  const truncated = /premature end|truncat|unexpected end|not enough data/i.test(message);
  return problem(truncated ? 'truncated' : 'corrupt', message);
}

/**
 * Checks that every image exists, is not empty, has the format its extension says, and decodes fully.
 *
 * @example
 * ```ts
 * const report = await checkImages(entries, { progress: true });
 * for (const p of report.problems) console.error(`${p.id}\t${p.path}\t${p.kind}: ${p.message}`);
 * const skip = new Set(report.problems.map((p) => p.id)); // skip them explicitly
 * ```
 */
export async function checkImages(
  entries: readonly ImageEntry[],
  options: CheckImagesOptions = {},
): Promise<CheckImagesReport> {
  const progress = progressTo('check-images', entries.length, options.progress);
  const problems: Array<ImageProblem | undefined> = new Array(entries.length);
  let checked = 0;
  let stop = false;
  await mapConcurrent(entries, options.concurrency ?? 4, async (entry, i) => {
    if (stop) return;
    problems[i] = await checkImage(entry);
    checked += 1;
    progress.tick();
    if (problems[i] !== undefined && options.failFast === true) stop = true;
  });
  progress.stop();
  const found = problems.filter((p): p is ImageProblem => p !== undefined);
  return { checked, ok: checked - found.length, problems: found };
}

/**
 * The images listed in a `cocotalk.json` (`file_path`, `id`) or a Karpathy split file (`filepath`/
 * `filename`, `cocoid`/`imgid`), with paths under `imagesRoot`.
 *
 * @throws DataFormatError naming the image id and field of a path that leads outside `imagesRoot`
 */
export async function imageEntriesFromJson(path: string, imagesRoot: string): Promise<ImageEntry[]> {
  const json = await readJsonFile(path);
  if (!isRecord(json) || !Array.isArray(json.images)) {
    throw new DataFormatError('expected an object with an "images" array (cocotalk.json or a Karpathy split file)', {
      file: path,
      field: 'images',
    });
  }
  return json.images.map((raw, i): ImageEntry => {
    if (!isRecord(raw)) throw new DataFormatError('expected an object', { file: path, field: `images[${i}]` });
    const rel =
      typeof raw.file_path === 'string'
        ? raw.file_path
        : typeof raw.filename === 'string'
          ? karpathyFilePath({
              filename: raw.filename,
              filepath: typeof raw.filepath === 'string' ? raw.filepath : undefined,
            })
          : undefined;
    if (rel === undefined) throw new DataFormatError('no file_path or filename', { file: path, field: `images[${i}]` });
    const id =
      [raw.id, raw.cocoid, raw.imgid].find(
        (v): v is number | string => typeof v === 'number' || typeof v === 'string',
      ) ?? rel;
    const field =
      typeof raw.file_path === 'string' ? 'file_path' : karpathyPathField({ filename: raw.filename as string });
    return { id, path: pathUnderRoot(imagesRoot, rel, { file: path, imageId: id, field: `images[${i}].${field}` }) };
  });
}

/** Writes the problems as a skip list (JSON `[{id, path, kind, message}]`) for later stages to leave out. */
export async function writeSkipList(path: string, problems: readonly ImageProblem[]): Promise<void> {
  await writeFileChecked(path, `${JSON.stringify(problems, null, 1)}\n`);
}

/** The ids of a skip list written by {@link writeSkipList} (as strings). */
export async function readSkipList(path: string): Promise<Set<string>> {
  const json = await readJsonFile(path);
  if (!Array.isArray(json)) throw new DataFormatError('expected an array of {id, path, kind}', { file: path });
  return new Set(
    json.map((p, i) => {
      if (!isRecord(p) || (typeof p.id !== 'number' && typeof p.id !== 'string')) {
        throw new DataFormatError('expected an entry with an id', { file: path, field: `[${i}].id` });
      }
      return String(p.id);
    }),
  );
}

/**
 * The JSON files caption evaluations start from, turned into {@link RawRefs} / {@link RawCands}: COCO
 * captions annotations (`captions_*.json`), Karpathy split files (`dataset_*.json`) and COCO results
 * (`[{image_id, caption}]`). Shapes are checked with zod; problems become {@link MetricsInputError}s naming
 * the file, the image id and the field. Works on parsed objects: no file system needed.
 */
import { z } from 'zod';
import { MetricsInputError } from './errors';
import { evaluate, type EvaluateOptions, type EvaluationResult } from './evaluate';
import { recordFromMap } from './internal/records';
import type { RawCands, RawRefs } from './types';
import { checkImageIdKey, describeType } from './validate';

const imageIdSchema = z.union([z.number().int(), z.string().min(1)]);

/**
 * An image id of an annotations file: also integers beyond 2^53, which AI Challenger's files hold
 * (`int(sha256(name), 16) % (2**63 - 1)`); such ids are only used through the images' `file_name`.
 */
const annotationImageIdSchema = z.union([
  z.number().refine(Number.isInteger, 'expected an integer'),
  z.string().min(1),
]);

const cocoAnnotationsSchema = z.object({
  images: z.array(z.object({ id: annotationImageIdSchema, file_name: z.string().optional() })).optional(),
  annotations: z.array(z.object({ image_id: annotationImageIdSchema, caption: z.string() })),
});

const cocoResultsSchema = z.array(z.object({ image_id: imageIdSchema, caption: z.string() }));

const karpathySchema = z.object({
  images: z.array(
    z.object({
      split: z.string(),
      sentences: z.array(z.object({ raw: z.string() })),
      cocoid: z.number().int().optional(),
      imgid: z.number().int().optional(),
    }),
  ),
});

/** References read from a file, with the image ids the file declares (COCO `images`), when it has them. */
export interface ReferenceSet {
  /** Raw reference captions per image id, in file order. */
  refs: RawRefs;
  /** Ids listed in COCO's `images` array (results must be among them), or `null` when the file has none. */
  declaredImageIds: Set<string> | null;
  /**
   * `images[].file_name` → image id, for results that name images by file (AI Challenger 2017's format:
   * `{image_id: <file name>, caption}`); `null` when the file has no names.
   */
  imageIdsByFileName?: Map<string, string> | null;
}

/** Reads a COCO captions annotation object (`{images?, annotations: [{image_id, caption}]}`). */
export function referencesFromCocoAnnotations(json: unknown, file?: string): ReferenceSet {
  const data = isCocoAnnotations(json)
    ? json
    : parseWith(cocoAnnotationsSchema, json, file, 'COCO captions annotations');
  const grouped = new Map<string, string[]>();
  for (const annotation of data.annotations) {
    const id = String(annotation.image_id);
    checkImageIdKey(id, { file, imageId: id, field: 'image_id' });
    const captions = grouped.get(id);
    if (captions === undefined) grouped.set(id, [annotation.caption]);
    else captions.push(annotation.caption);
  }
  const refs = recordFromMap(grouped);
  const declaredImageIds = data.images === undefined ? null : new Set(data.images.map((image) => String(image.id)));
  let imageIdsByFileName: Map<string, string> | null = null;
  const nameOfId = new Map<string, string>();
  for (const image of data.images ?? []) {
    if (image.file_name === undefined) continue;
    const id = String(image.id);
    const other = nameOfId.get(id);
    // Ids past 2^53 (AI Challenger's) are rounded by JSON.parse: two images must not become one.
    if (other !== undefined && other !== image.file_name) {
      throw new MetricsInputError(
        `images "${other}" and "${image.file_name}" have the same id once read as a JSON number${
          typeof image.id === 'number' && !Number.isSafeInteger(image.id)
            ? ' (ids beyond 2^53 lose precision: write them as strings)'
            : ''
        }`,
        { file, imageId: id, field: 'id' },
      );
    }
    nameOfId.set(id, image.file_name);
    (imageIdsByFileName ??= new Map()).set(image.file_name, id);
  }
  return { refs, declaredImageIds, imageIdsByFileName };
}

/**
 * Reads the references of one split of a Karpathy dataset file (`{images: [{split, sentences: [{raw}],
 * cocoid | imgid}]}`): the `raw` sentences, keyed by `cocoid` (COCO) or else `imgid` (Flickr8k/30k).
 * `restval` images belong to their own split only.
 */
export function referencesFromKarpathy(json: unknown, split: string, file?: string): ReferenceSet {
  const data = parseWith(karpathySchema, json, file, 'Karpathy dataset');
  const refs: Record<string, string[]> = {};
  data.images.forEach((image, index) => {
    if (image.split !== split) return;
    const id = image.cocoid ?? image.imgid;
    if (id === undefined) {
      throw new MetricsInputError(`images[${index}] has neither "cocoid" nor "imgid"`, { file, field: 'cocoid' });
    }
    const key = String(id);
    checkImageIdKey(key, { file, imageId: key, field: image.cocoid === undefined ? 'imgid' : 'cocoid' });
    if (Object.hasOwn(refs, key)) {
      throw new MetricsInputError(`images[${index}]: image id appears twice in split "${split}"`, {
        file,
        imageId: key,
        field: image.cocoid === undefined ? 'imgid' : 'cocoid',
      });
    }
    refs[key] = image.sentences.map((sentence) => sentence.raw);
  });
  if (Object.keys(refs).length === 0) {
    const splits = [...new Set(data.images.map((image) => image.split))].join(', ');
    throw new MetricsInputError(`no image in split "${split}" (splits in the file: ${splits || 'none'})`, {
      file,
      field: 'split',
    });
  }
  return { refs, declaredImageIds: null };
}

/**
 * Reads references from either format: a COCO annotations object (has `annotations`) or a Karpathy dataset
 * (has `images` with `sentences`), taking `split` of the latter.
 */
export function readReferences(json: unknown, options: { split?: string; file?: string } = {}): ReferenceSet {
  const { file } = options;
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    if ('annotations' in json) return referencesFromCocoAnnotations(json, file);
    // a Karpathy file's images have sentences; other files with an `images` list (COCO image lists, cocotalk.json)
    // are neither format, and are said to be so rather than failing on a Karpathy field
    const images = (json as { images?: unknown }).images;
    const first: unknown = Array.isArray(images) ? images[0] : undefined;
    if (typeof first === 'object' && first !== null && 'sentences' in first) {
      return referencesFromKarpathy(json, options.split ?? 'test', file);
    }
    const keys = Object.keys(json).slice(0, 8).join(', ');
    throw new MetricsInputError(
      `neither of the reference formats: not COCO captions annotations (no "annotations": [{image_id, caption}]) nor a Karpathy dataset (no "images": [{split, sentences: [{raw}]}]${Array.isArray(images) ? ', its images have no "sentences"' : ''}); the file has keys ${keys || '(none)'}`,
      { file },
    );
  }
  throw new MetricsInputError(
    'neither of the reference formats: not COCO captions annotations ({annotations: [...]}) ' +
      `nor a Karpathy dataset ({images: [...]}); got ${describeType(json)}`,
    { file },
  );
}

/**
 * Reads a COCO results array (`[{image_id, caption}]`; other fields are ignored).
 *
 * @throws MetricsInputError for an empty array, a malformed entry or a duplicate image id (COCOEvalCap would
 *   score such an image with two hypotheses and fail an assertion)
 */
export function candidatesFromCocoResults(json: unknown, file?: string): RawCands {
  const data = isCocoResults(json) ? json : parseWith(cocoResultsSchema, json, file, 'COCO results');
  if (data.length === 0) throw new MetricsInputError('the results array is empty', { file });
  const firstIndex = new Map<string, number>();
  const captions = new Map<string, string>();
  data.forEach((result, index) => {
    const id = String(result.image_id);
    checkImageIdKey(id, { file, imageId: id, field: 'image_id' });
    const previous = firstIndex.get(id);
    if (previous !== undefined) {
      throw new MetricsInputError(`duplicate result: entries ${previous} and ${index} have the same image id`, {
        file,
        imageId: id,
        field: 'image_id',
      });
    }
    firstIndex.set(id, index);
    captions.set(id, result.caption);
  });
  return recordFromMap(captions);
}

/** Options of {@link evaluateCoco}: those of {@link evaluate}, plus the file names for messages. */
export interface EvaluateCocoOptions extends EvaluateOptions {
  /** Karpathy split to take references from (default `test`); ignored for COCO annotations. */
  split?: string;
}

/**
 * COCOEvalCap on a COCO captions annotation object (or a Karpathy dataset) and a COCO results array, as
 * `COCO(annFile)`, `coco.loadRes(resFile)`, `params['image_id'] = cocoRes.getImgIds()`, `evaluate()`:
 *
 * - every result image id must be among the annotations' images (loadRes asserts it), else a
 *   {@link MetricsInputError};
 * - the images scored are those with a result; annotated images without one are left out (listed in
 *   `skippedReferenceIds`), unless `missingCandidates: 'error'`;
 * - duplicate result ids, empty or non-string captions are errors, and so is a caption that tokenizes to
 *   nothing (e.g. `"..."`) unless `emptyCandidates: 'score-zero'` (messages name `candidatesFile`).
 *
 * @example
 * ```ts
 * const annotations = { annotations: [{ image_id: 1, caption: 'A dog runs on the grass.' }] };
 * const results = [{ image_id: 1, caption: 'a dog running' }];
 * const { corpus } = await evaluateCoco(annotations, results, { metrics: ['bleu', 'cider'] });
 * ```
 */
export async function evaluateCoco(
  annotations: unknown,
  results: unknown,
  options: EvaluateCocoOptions = {},
): Promise<EvaluationResult> {
  const read = readReferences(annotations, { split: options.split, file: options.referencesFile });
  const cands = candidatesFromCocoResults(results, options.candidatesFile);
  const references = byResultFileNames(read, cands);
  for (const id of Object.keys(cands)) {
    const declared = references.declaredImageIds === null || references.declaredImageIds.has(id);
    if (!declared || !Object.hasOwn(references.refs, id)) {
      throw new MetricsInputError(
        declared
          ? 'result image id has no reference caption in the annotations'
          : 'result image id is not an image of the annotations file ' +
              '(COCOEvalCap: "Results do not correspond to current coco set")',
        { file: options.candidatesFile, imageId: id, field: 'image_id' },
      );
    }
  }
  return evaluate(references.refs, cands, options);
}

/**
 * The references keyed by file name when the results name images by `file_name` (AI Challenger 2017's
 * `loadRes` maps them through the annotations' `images`), else as they are.
 */
function byResultFileNames(references: ReferenceSet, cands: RawCands): ReferenceSet {
  const names = references.imageIdsByFileName;
  if (names === null || names === undefined) return references;
  const first = Object.keys(cands).find((id) => !Object.hasOwn(references.refs, id));
  if (first === undefined || !names.has(first)) return references;
  const refs: Record<string, readonly string[]> = {};
  for (const [name, id] of names) {
    const list = references.refs[id];
    if (list !== undefined) refs[name] = list;
  }
  return { refs, declaredImageIds: new Set(names.keys()), imageIdsByFileName: null };
}

/*
 * The shapes of the two COCO files checked by hand, without copying them: zod's parse builds a new object per
 * caption, which took ~0.1-0.4 s of caption-eval's time on val2014's 202,520 annotations. The schemas above stay
 * the definition: a value these accept, they accept too, and any other value is handed to them to word the
 * error. `isPlainRecord` is what `z.object` accepts (not null, not an array).
 */
const isPlainRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
/** `annotationImageIdSchema` (any integral number, also past 2^53) or, `safe`, `imageIdSchema` (zod's `int()`). */
const isImageId = (value: unknown, safe: boolean): boolean =>
  typeof value === 'number'
    ? safe
      ? Number.isSafeInteger(value)
      : Number.isInteger(value)
    : typeof value === 'string' && value.length > 0;

function isCocoAnnotations(json: unknown): json is z.infer<typeof cocoAnnotationsSchema> {
  if (!isPlainRecord(json)) return false;
  const { images, annotations } = json;
  if (!Array.isArray(annotations)) return false;
  for (const annotation of annotations as unknown[]) {
    if (
      !isPlainRecord(annotation) ||
      !isImageId(annotation.image_id, false) ||
      typeof annotation.caption !== 'string'
    ) {
      return false;
    }
  }
  if (images === undefined) return true;
  if (!Array.isArray(images)) return false;
  for (const image of images as unknown[]) {
    if (!isPlainRecord(image) || !isImageId(image.id, false)) return false;
    if (image.file_name !== undefined && typeof image.file_name !== 'string') return false;
  }
  return true;
}

function isCocoResults(json: unknown): json is z.infer<typeof cocoResultsSchema> {
  if (!Array.isArray(json)) return false;
  for (const result of json as unknown[]) {
    if (!isPlainRecord(result) || !isImageId(result.image_id, true) || typeof result.caption !== 'string') return false;
  }
  return true;
}

/** Parses `json` with `schema`, turning the first problem into a {@link MetricsInputError}. */
function parseWith<T>(schema: z.ZodType<T>, json: unknown, file: string | undefined, what: string): T {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue === undefined) throw new MetricsInputError(`not valid ${what}`, { file });
  const path = issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('');
  const field = [...issue.path].reverse().find((key): key is string => typeof key === 'string');
  // zod says "Invalid input" for an absent field of a union type (image ids): say what is wrong
  const value = valueAt(json, issue.path);
  const message =
    value === undefined
      ? 'missing'
      : issue.code === 'invalid_union'
        ? `expected an integer or a non-empty string, got ${describeType(value)}`
        : issue.message;
  throw new MetricsInputError(`${what}${path === '' ? '' : ` at ${path.replace(/^\./, '')}`}: ${message}`, {
    file,
    imageId: imageIdNear(json, issue.path),
    field,
  });
}

/** The value at `path` in `json` (undefined when absent). */
function valueAt(json: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = json;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key as string];
  }
  return node;
}

/** The `image_id` (or `id`, `cocoid`) of the innermost object on `path` that has one, for messages. */
function imageIdNear(json: unknown, path: readonly PropertyKey[]): string | undefined {
  let found: string | undefined;
  let node: unknown = json;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) break;
    node = (node as Record<PropertyKey, unknown>)[key as string];
    if (typeof node === 'object' && node !== null && !Array.isArray(node)) {
      const record = node as Record<string, unknown>;
      const id = record.image_id ?? record.cocoid ?? record.imgid ?? record.id;
      if (typeof id === 'number' || typeof id === 'string') found = String(id);
    }
  }
  return found;
}

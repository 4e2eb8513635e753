/**
 * The JSON the official SPICE 1.0 jar writes with `-out FILE -subset` (what pycocoevalcap's `spice.py` reads):
 * `[{image_id, scores: {All, Object, Relation, Attribute, Color, Cardinality, Size: {pr, re, f, tp, fp, fn,
 * numImages}}}]`, with `null` where a precision, recall or F is undefined (no tuple on that side). Turned into
 * coco-caption's `SPICE` (per image All F; corpus: their NumPy mean in the file's order) and the F score of
 * every category per image. Needs no file system: the jar itself is run by `spice-runner.ts`.
 */
import { MetricsInputError } from '../errors';
import { numpyMean } from '../internal/python-compat';
import { describeType } from '../validate';

/** The tuple categories of SPICE's `-subset` output (`Cardinality` is the SPICE paper's "Count"). */
export const SPICE_CATEGORIES = ['All', 'Object', 'Relation', 'Attribute', 'Color', 'Cardinality', 'Size'] as const;

/** A SPICE tuple category. */
export type SpiceCategory = (typeof SPICE_CATEGORIES)[number];

/** F score of each category for one image; `null` where SPICE gives none (no tuple of that category). */
export type SpiceCategoryScores = Record<SpiceCategory, number | null>;

/** SPICE scores as coco-caption reports them, plus the per-category F scores. */
export interface SpiceResult {
  /** Corpus SPICE: the mean of the images' All F (spice.py: `np.mean`, in the output's order). */
  score: number;
  /** All F per image (coco-caption's per-image SPICE), in the order of the ids asked for. */
  perImage: Record<string, number>;
  /** Every category's F per image. */
  categories: Record<string, SpiceCategoryScores>;
}

/**
 * Reads the jar's output for the images `imageIds` (compared as strings).
 *
 * @param output the parsed JSON of the jar's `-out` file
 * @param imageIds the images that were scored (each must be in the output once)
 * @param file the output's name, for messages
 * @throws MetricsInputError when the output is malformed, lacks an image, or an image's All F is undefined
 *   (coco-caption would report NaN for the whole corpus)
 */
export function parseSpiceOutput(output: unknown, imageIds: readonly string[], file?: string): SpiceResult {
  if (!Array.isArray(output)) {
    throw new MetricsInputError(`SPICE output is a ${describeType(output)}, not an array`, { file });
  }
  const byId = new Map<string, SpiceCategoryScores>();
  const allF: number[] = [];
  output.forEach((entry: unknown, index) => {
    const item = entry as { image_id?: unknown; scores?: unknown } | null;
    const id = item?.image_id;
    if (
      (typeof id !== 'number' && typeof id !== 'string') ||
      typeof item?.scores !== 'object' ||
      item.scores === null
    ) {
      throw new MetricsInputError(`SPICE output entry ${index} is not {image_id, scores}`, { file, field: 'scores' });
    }
    const key = String(id);
    const scores = item.scores as Record<string, { f?: unknown } | undefined>;
    const categories = {} as SpiceCategoryScores;
    for (const category of SPICE_CATEGORIES) {
      const f = scores[category]?.f;
      if (f !== null && typeof f !== 'number') {
        throw new MetricsInputError(`SPICE output has no ${category}.f`, { file, imageId: key, field: 'scores' });
      }
      categories[category] = f;
    }
    if (categories.All === null) {
      throw new MetricsInputError(
        'SPICE gives no F score (the candidate or the references yield no tuple); coco-caption would report NaN',
        { file, imageId: key, field: 'SPICE' },
      );
    }
    if (byId.has(key)) throw new MetricsInputError('image appears twice in the SPICE output', { file, imageId: key });
    byId.set(key, categories);
    allF.push(categories.All);
  });
  const perImage: Record<string, number> = {};
  const categories: Record<string, SpiceCategoryScores> = {};
  for (const id of imageIds) {
    const found = byId.get(id);
    if (found === undefined) {
      throw new MetricsInputError('image is missing from the SPICE output', { file, imageId: id, field: 'image_id' });
    }
    perImage[id] = found.All as number;
    categories[id] = found;
  }
  return { score: numpyMean(allF), perImage, categories };
}

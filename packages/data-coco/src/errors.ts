/**
 * The typed error of `@caption/data-coco`. Every message names the file, the image id and the field
 * involved (those that are known), so that a bad entry can be found without a debugger.
 */

const MARKER: unique symbol = Symbol.for('caption.data-coco.DataFormatError') as never;

/** Where a data problem was found. Every field is optional; the message lists those given. */
export interface DataLocation {
  /** The file the problem is in (path as given by the user). */
  file?: string;
  /** The image id (COCO id, Karpathy `imgid`, or file name) the problem concerns. */
  imageId?: string | number;
  /** The field (JSON key, HDF5 dataset, npz key, CLI option) that is wrong, e.g. `label_end_ix`. */
  field?: string;
}

/**
 * A file or value that does not have the format or content this package expects: unreadable or
 * invalid JSON, a missing key, an HDF5 dataset of the wrong shape or dtype, a feature file of the
 * wrong shape, a label index beyond the labels array, an unreadable image, a missing cache.
 *
 * @example
 * ```ts
 * try { await readLabelsH5('data/cocotalk_label.h5'); }
 * catch (e) { if (DataFormatError.isInstance(e)) console.error(e.file, e.field, e.message); }
 * ```
 */
export class DataFormatError extends Error {
  /** The file concerned, when known. */
  readonly file: string | undefined;
  /** The image id concerned, when known (always a string). */
  readonly imageId: string | undefined;
  /** The field concerned, when known. */
  readonly field: string | undefined;
  /** What is wrong, without the location prefix. */
  readonly problem: string;
  private readonly [MARKER] = true;

  /**
   * @param problem what is wrong, in words (e.g. `expected shape [2048], found [7, 2048]`)
   * @param location the file, image id and field the problem concerns
   * @param options `cause`: the underlying error, if any
   */
  constructor(problem: string, location: DataLocation = {}, options?: { cause?: unknown }) {
    const where: string[] = [];
    if (location.file !== undefined) where.push(`file ${location.file}`);
    if (location.imageId !== undefined) where.push(`image id ${String(location.imageId)}`);
    if (location.field !== undefined) where.push(`field "${location.field}"`);
    super(where.length > 0 ? `${where.join(', ')}: ${problem}` : problem, options);
    this.name = 'DataFormatError';
    this.problem = problem;
    this.file = location.file;
    this.imageId = location.imageId === undefined ? undefined : String(location.imageId);
    this.field = location.field;
  }

  /** True for a `DataFormatError` from any copy of this package (works across duplicated installs). */
  static isInstance(error: unknown): error is DataFormatError {
    return typeof error === 'object' && error !== null && MARKER in error;
  }
}

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

/** Words for the errno codes a write meets most (Node's own message also names the temporary path). */
const WRITE_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  ENOENT: 'the folder does not exist',
  EROFS: 'read-only file system',
  EEXIST: 'a file is where a folder is needed',
};

/** The reason a write failed, in words, from a Node file-system error (its code), or the error's message. */
export function writeFailureReason(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const words = code === undefined ? undefined : WRITE_REASONS[code];
  if (words !== undefined) return `${words} (${code})`;
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * An output file could not be written (folder not writable, disk full, a directory in the way, an HDF5 library
 * failure), or what was written does not read back complete. The message is `cannot write FILE: reason`. Commands
 * write every output to a temporary file first, so nothing half-written is left under the final name.
 */
export class DataWriteError extends DataFormatError {
  /** The file that could not be written (its final name). */
  declare readonly file: string;

  /**
   * @param file the output's final path
   * @param reason why, in words (see {@link writeFailureReason})
   * @param options `cause`: the underlying error, if any
   */
  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super(reason, { file }, options);
    this.name = 'DataWriteError';
    this.message = `cannot write ${file}: ${reason}`;
  }
}

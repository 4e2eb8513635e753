/**
 * Typed errors of `@caption/metrics`. Messages name the file, the image id and the field involved, so
 * that a user can find the bad entry without a debugger.
 */

const MARKER: unique symbol = Symbol.for('caption.metrics.MetricsInputError') as never;

/** Where in the input a problem was found. Every field is optional; the message lists those given. */
export interface MetricsInputLocation {
  /** The file the bad input came from (path as given by the user). */
  file?: string;
  /** The image id the bad entry belongs to. */
  imageId?: string | number;
  /** The field (JSON key or argument name) that is wrong, e.g. `caption` or `image_id`. */
  field?: string;
}

/**
 * Bad input to a metric or to the `caption-eval` CLI: unreadable or invalid JSON, missing or duplicate
 * ids, empty or non-string captions, a candidate caption that tokenizes to nothing (e.g. `"..."`; unless
 * `evaluate`'s `emptyCandidates: 'score-zero'` / `caption-eval --empty-captions score-zero`), unknown
 * option values, missing resources.
 */
export class MetricsInputError extends Error {
  /** The file the bad input came from, when known. */
  readonly file: string | undefined;
  /** The image id concerned, when known. */
  readonly imageId: string | undefined;
  /** The field concerned, when known. */
  readonly field: string | undefined;
  private readonly [MARKER] = true;

  /**
   * @param problem what is wrong, in words (e.g. `caption is empty`)
   * @param location file, image id and field the problem concerns
   * @param options `cause`: the underlying error, if any
   */
  constructor(problem: string, location: MetricsInputLocation = {}, options?: { cause?: unknown }) {
    const where: string[] = [];
    if (location.file !== undefined) where.push(`file ${location.file}`);
    if (location.imageId !== undefined) where.push(`image id ${String(location.imageId)}`);
    if (location.field !== undefined) where.push(`field "${location.field}"`);
    super(where.length > 0 ? `${where.join(', ')}: ${problem}` : problem, options);
    this.name = 'MetricsInputError';
    this.file = location.file;
    this.imageId = location.imageId === undefined ? undefined : String(location.imageId);
    this.field = location.field;
  }

  /** True for a `MetricsInputError` from any copy of this package (works across duplicated installs). */
  static isInstance(error: unknown): error is MetricsInputError {
    return typeof error === 'object' && error !== null && MARKER in error;
  }
}

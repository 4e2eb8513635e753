/**
 * Typed errors of the CLIP side of `@caption/models-clipcap`. Messages name the option, input, file or
 * weight concerned and the offending value.
 */

/** A CLIP / image-encoder option that is missing, mistyped or out of range. */
export class ClipConfigError extends Error {
  /** The option concerned, with its path (e.g. `vision.patchSize`). */
  readonly option: string;

  /**
   * @param option the option concerned
   * @param problem what is wrong with it, in words (the value included)
   */
  constructor(option: string, problem: string) {
    super(`CLIP option '${option}': ${problem}`);
    this.name = 'ClipConfigError';
    this.option = option;
  }
}

/** An input of a CLIP model or image encoder (images, token ids, features) whose shape, dtype or values do not fit. */
export class ClipInputError extends Error {
  /** The argument concerned (e.g. `images`, `text`). */
  readonly input: string;

  /**
   * @param where the method that received the input (e.g. `ClipModel.encodeImage`)
   * @param input the argument concerned
   * @param problem what is wrong with it, in words
   */
  constructor(where: string, input: string, problem: string) {
    super(`${where}: ${input} ${problem}`);
    this.name = 'ClipInputError';
    this.input = input;
  }
}

/** An image file that cannot be read or decoded, or whose decoded pixels are not usable RGB. */
export class ImageDecodeError extends Error {
  /** The image file. */
  readonly path: string;

  /**
   * @param path the image file
   * @param problem what went wrong (the decoder's message)
   * @param options `cause`: the decoder's error
   */
  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super(`cannot decode the image ${path}: ${problem}`, options);
    this.name = 'ImageDecodeError';
    this.path = path;
  }
}

/** Throws {@link ClipConfigError} unless `value` is a positive integer. */
export function checkPositiveInteger(option: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ClipConfigError(option, `must be a positive integer, got ${JSON.stringify(value)}`);
  }
}

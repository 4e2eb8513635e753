/**
 * Typed errors of the CLIP side of `@caption/models-clipcap`. Messages name the option, input, file or
 * weight concerned and the offending value.
 */
import { StateDictError, type ShapeMismatch } from '@caption/core';

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

/**
 * A weights file whose names or shapes do not fit the model's config: every missing, unexpected and
 * mis-shaped weight is listed (as core's {@link StateDictError}, whose fields it has), with the file named.
 */
export class ClipWeightsError extends StateDictError {
  /** The weights file (or other source) that was being loaded. */
  readonly source: string;

  /**
   * @param source the file or source name shown in the message
   * @param moduleName the model's class name
   * @param missing weights of the model absent from the file
   * @param unexpected names in the file the model has no weight for
   * @param mismatched names present on both sides with different shapes
   */
  constructor(
    source: string,
    moduleName: string,
    missing: string[],
    unexpected: string[],
    mismatched: ShapeMismatch[],
  ) {
    super(moduleName, missing, unexpected, mismatched);
    this.message = `${source}: ${this.message}`;
    this.name = 'ClipWeightsError';
    this.source = source;
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

/** A bad option of the shapes generator or feature extractor; the message names the option and the value. */
export class ShapesOptionsError extends Error {
  /** @param option the option's name, @param message what is wrong with it */
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`examples/shapes: option ${option}: ${message}`);
    this.name = 'ShapesOptionsError';
  }
}

/** A file under the output folder that cannot be used; the message names the file and the field. */
export class ShapesFileError extends Error {
  /** @param file path of the file, @param message what is wrong (naming the id and field) */
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ShapesFileError';
  }
}

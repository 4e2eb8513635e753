/**
 * The typed errors of the image-feature extractor. Each names what the user has to look at: the model
 * folder, the layer (with the names that do exist), the image (id and path), or the two feature sizes.
 */

/** Base class: every error of this example is an `ImageFeaturesError`. */
export class ImageFeaturesError extends Error {
  /** @param message the whole message (it names the file, id, layer or option concerned) */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageFeaturesError';
  }
}

/** A model folder that cannot be used: no `model.json`, unreadable JSON, missing weight files, unknown format. */
export class ModelFolderError extends ImageFeaturesError {
  /**
   * @param folder the model folder as given
   * @param problem what is wrong with it
   */
  constructor(
    readonly folder: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`model folder ${folder}: ${problem}`, options);
    this.name = 'ModelFolderError';
  }
}

/** The layer (layers model) or node (graph model) to read does not exist; the message lists those that do. */
export class LayerNotFoundError extends ImageFeaturesError {
  /**
   * @param folder the model folder
   * @param layer the name asked for
   * @param available the names that exist, in model order
   */
  constructor(
    readonly folder: string,
    readonly layer: string,
    readonly available: readonly string[],
  ) {
    const near = available.filter((n) => n.toLowerCase().includes(layer.toLowerCase())).slice(0, 5);
    super(
      `model folder ${folder}: no layer named '${layer}'${near.length > 0 ? ` (did you mean ${near.map((n) => `'${n}'`).join(', ')}?)` : ''}; ` +
        `the ${available.length} names are: ${available.join(', ')}`,
    );
    this.name = 'LayerNotFoundError';
  }
}

/** An image that cannot be read or decoded, named by id and path. */
export class ImageDecodeError extends ImageFeaturesError {
  /**
   * @param imageId the image's id (the output file name)
   * @param path the image file
   * @param reason the decoder's message
   */
  constructor(
    readonly imageId: string,
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `image id ${imageId} (${path}) cannot be decoded: ${reason}. Run \`caption-data check-images\` and pass its skip list with --skip-list to leave such images out.`,
      options,
    );
    this.name = 'ImageDecodeError';
  }
}

/** A feature size that does not match the model's: the size asked for, or the one already on disk. */
export class FeatureSizeError extends ImageFeaturesError {
  /**
   * @param expected the size the user or the existing files say
   * @param actual the size the model's layer gives
   * @param where where `expected` comes from (an option, a file) and which model/layer gives `actual`
   */
  constructor(
    readonly expected: number,
    readonly actual: number,
    where: string,
  ) {
    super(`feature size mismatch: ${where}: expected ${expected}, the model gives ${actual}`);
    this.name = 'FeatureSizeError';
  }
}

/** A bad option value of the extractor (named). */
export class ExtractOptionsError extends ImageFeaturesError {
  /**
   * @param option the option's name
   * @param problem what is wrong with its value
   */
  constructor(
    readonly option: string,
    problem: string,
  ) {
    super(`option ${option}: ${problem}`);
    this.name = 'ExtractOptionsError';
  }
}

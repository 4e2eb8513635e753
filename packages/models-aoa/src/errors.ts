/**
 * Typed errors of `@caption/models-aoa`. Messages name the option or input and the offending value, so a
 * wrong configuration or a mis-shaped batch can be fixed without a debugger.
 */

/** An AoANet option that is unknown, mistyped, out of range or not supported by this port. */
export class AoAConfigError extends Error {
  /** The option concerned (camelCase reference name, e.g. `multiHeadScale`). */
  readonly option: string;

  /**
   * @param option the option concerned
   * @param problem what is wrong with it, in words
   */
  constructor(option: string, problem: string) {
    super(`AoANet option '${option}': ${problem}`);
    this.name = 'AoAConfigError';
    this.option = option;
  }
}

/** Inputs of an AoANet model (features, masks, labels) whose shapes, dtypes or values do not fit. */
export class AoAInputError extends Error {
  /** The argument concerned (e.g. `features.mask`, `labels`). */
  readonly input: string;

  /**
   * @param where the method that received the input (e.g. `AoAModel.forward`)
   * @param input the argument concerned
   * @param problem what is wrong with it, in words
   */
  constructor(where: string, input: string, problem: string) {
    super(`${where}: ${input} ${problem}`);
    this.name = 'AoAInputError';
    this.input = input;
  }
}

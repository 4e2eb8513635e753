/**
 * Typed errors of the GPT-2 modules. Messages name the option or input and the offending value, so a wrong
 * configuration or an over-long sequence can be fixed without a debugger. (Weights files: `WeightsFileError`.)
 */

/** A GPT-2 configuration option that is missing, mistyped, out of range or not supported by this port. */
export class GPT2ConfigError extends Error {
  /** The option concerned (camelCase, e.g. `nHead`, or the Hugging Face name when reading a `config.json`). */
  readonly option: string;

  /**
   * @param option the option concerned
   * @param problem what is wrong with it, in words
   */
  constructor(option: string, problem: string) {
    super(`GPT-2 option '${option}': ${problem}`);
    this.name = 'GPT2ConfigError';
    this.option = option;
  }
}

/**
 * An input of a GPT-2 forward pass that does not fit the model: a sequence (prefix + caption, or cache + new
 * tokens) longer than its `nPositions`, token ids outside its vocabulary, or mis-shaped tensors.
 */
export class GPT2InputError extends Error {
  /** The argument concerned (e.g. `inputIds`, `attentionMask`, `positions`). */
  readonly input: string;

  /**
   * @param where the method that received the input (e.g. `GPT2Model.forward`)
   * @param input the argument concerned
   * @param problem what is wrong with it, in words
   */
  constructor(where: string, input: string, problem: string) {
    super(`${where}: ${input} ${problem}`);
    this.name = 'GPT2InputError';
    this.input = input;
  }
}

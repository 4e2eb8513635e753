/** Typed errors of the ClipCap captioner: bad options and inputs that do not fit the model. */

/** A ClipCap option (mapper sizes, prefix length, GPT) that is missing, mistyped, out of range or inconsistent. */
export class ClipCapConfigError extends Error {
  /** The option concerned (e.g. `prefixLength`, `mappingType`, `gpt`). */
  readonly option: string;

  /**
   * @param option the option concerned
   * @param problem what is wrong with it, in words
   */
  constructor(option: string, problem: string) {
    super(`ClipCap option '${option}': ${problem}`);
    this.name = 'ClipCapConfigError';
    this.option = option;
  }
}

/** An input of the captioner (CLIP embeddings, caption tokens, masks) whose shape, dtype or length does not fit. */
export class ClipCapInputError extends Error {
  /** The argument concerned (e.g. `clipEmbeddings`, `tokens`). */
  readonly input: string;

  /**
   * @param where the method that received the input (e.g. `ClipCapModel.loss`)
   * @param input the argument concerned
   * @param problem what is wrong with it, in words
   */
  constructor(where: string, input: string, problem: string) {
    super(`${where}: ${input} ${problem}`);
    this.name = 'ClipCapInputError';
    this.input = input;
  }
}

/** Error thrown by the loss functions for inputs of the wrong shape, dtype or size; the message names the argument. */
export class LossInputError extends Error {
  /** @param message what is wrong, naming the loss function, the argument and its shape, dtype or size */
  constructor(message: string) {
    super(message);
    this.name = 'LossInputError';
  }
}

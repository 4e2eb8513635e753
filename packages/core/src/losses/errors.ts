/** Error thrown by the loss functions for inputs of the wrong shape, dtype or size; the message names the argument. */
export class LossInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LossInputError';
  }
}

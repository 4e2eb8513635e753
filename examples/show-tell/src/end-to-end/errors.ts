/** The typed error of the end-to-end mode: bad options, checkpoints or images, named in the message. */
export class EndToEndError extends Error {
  /** @param message what is wrong, naming the option, file or image */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EndToEndError';
  }
}

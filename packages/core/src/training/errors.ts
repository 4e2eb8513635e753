/**
 * Typed errors of the training machinery. Messages name the file, the step and what to do next.
 */

/** A checkpoint that cannot be written or read: the message names the file and the field. */
export class CheckpointError extends Error {
  /** @param message what is wrong, naming the file (and the field, for a malformed one) */
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** Where a non-finite value was met. */
export interface NonFiniteLossDetails {
  /** The 1-based number of the step that produced it (the weights were not updated by it). */
  step: number;
  /** 0-based epoch of that step. */
  epoch: number;
  /** The value (NaN, Infinity or -Infinity). */
  value: number;
  /** What was non-finite: the loss or the global gradient norm. */
  quantity: 'loss' | 'gradient norm';
  /** Ids of the batch's items, when the data source gives them. */
  batchIds: ReadonlyArray<string | number> | null;
  /** Directory of the last checkpoint saved by this run or resumed from, or null. */
  lastCheckpoint: string | null;
}

/**
 * The loss (or the gradient norm) of a training step was NaN or infinite. The step's update was not
 * applied; the message names the step, the batch ids and the last good checkpoint.
 */
export class NonFiniteLossError extends Error {
  /** Where the value was met, as given to the constructor (the message is built from it). */
  readonly details: NonFiniteLossDetails;

  /** @param details the step, epoch, value, quantity, batch ids and last checkpoint the message names */
  constructor(details: NonFiniteLossDetails) {
    const ids = details.batchIds === null ? 'unknown (the data source gives no ids)' : details.batchIds.join(', ');
    const ckpt = details.lastCheckpoint ?? 'none saved yet';
    super(
      `${details.quantity} is ${details.value} at step ${details.step} (epoch ${details.epoch}); batch ids: ${ids}; ` +
        `the weights were not updated by this step; last good checkpoint: ${ckpt} ` +
        '(resume from it with a lower learning rate, gradient clipping, or without the listed items)',
    );
    this.name = 'NonFiniteLossError';
    this.details = details;
  }
}

/** `tf.memory().numTensors` grew between training steps: something is not disposed. */
export class TensorLeakError extends Error {
  /**
   * @param step 1-based number of the step after which the count was taken
   * @param expected live tensors (`tf.memory().numTensors`) after the first step, the baseline
   * @param actual live tensors after step `step`
   */
  constructor(
    /** 1-based number of the step after which the count was taken. */
    readonly step: number,
    /** Live tensors (`tf.memory().numTensors`) after the first step, the baseline. */
    readonly expected: number,
    /** Live tensors after step {@link TensorLeakError.step}; `actual − expected` leaked. */
    readonly actual: number,
  ) {
    super(
      `tensor leak: ${actual} live tensors ` +
        `after step ${step}, ${expected} after the first step (+${actual - expected}); dispose them or run ` +
        `the code under tf.tidy`,
    );
    this.name = 'TensorLeakError';
  }
}

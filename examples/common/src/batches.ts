/**
 * Glue between `@caption/data-coco`'s `CaptionLoader` (typed arrays) and `@caption/core` (tensors and the
 * resumable `BatchSource` of `trainLoop`).
 */
import type { BatchSource, TrainingBatch } from '@caption/core';
import type { CaptionBatch, CaptionLoader, LoaderState } from '@caption/data-coco';
import * as tf from '@tensorflow/tfjs-core';
import type { CaptionFeatures } from './captioner';

/** The batch's features as tensors (the caller disposes them, or creates them inside a tidy / gradient scope). */
export function featureTensors(batch: CaptionBatch, uses: { fc: boolean; att: boolean }): CaptionFeatures {
  const make = (a: { data: Float32Array; shape: readonly number[] }): tf.Tensor => tf.tensor(a.data, [...a.shape]);
  const fc = uses.fc && batch.fcFeats !== null ? (make(batch.fcFeats) as tf.Tensor2D) : null;
  const att = uses.att && batch.attFeats !== null ? (make(batch.attFeats) as tf.Tensor3D) : null;
  const attMask = uses.att && batch.attMasks !== null ? (make(batch.attMasks) as tf.Tensor2D) : null;
  return { fc, att, attMask };
}

/** Frees the tensors of {@link featureTensors}. */
export function disposeFeatures(features: CaptionFeatures): void {
  for (const t of [features.fc, features.att, features.attMask]) t?.dispose();
}

/** Teacher-forcing arrays of a batch's caption rows, cut to the longest caption (+1 for the end token). */
export interface TeacherForcingRows {
  /** Caption rows (images × seqPerImg). */
  rows: number;
  /** Steps: the longest caption of the batch plus its end token. */
  steps: number;
  /** `[rows, steps]` inputs: BOS (0), then the words. */
  inputs: Int32Array;
  /** `[rows, steps]` targets: the words, then the end token (0) and padding. */
  targets: Int32Array;
  /** `[rows, steps]` 1 over the words and the end token. */
  mask: Float32Array;
  /** Words in the batch (targets under the mask, end tokens included). */
  tokens: number;
}

/**
 * The reference's `labels[:, :-1]` / `labels[:, 1:]` / `masks[:, 1:]`, cut after the step at which every
 * row's input is padding (its `_forward` stops there: `seq[:, i].sum() == 0`).
 */
export function teacherForcingRows(
  labels: Int32Array,
  masks: Float32Array,
  rows: number,
  width: number,
): TeacherForcingRows {
  let longest = 0;
  for (let r = 0; r < rows; r++) {
    let n = 0;
    for (let t = 1; t < width; t++) if ((labels[r * width + t] as number) !== 0) n = t;
    longest = Math.max(longest, n);
  }
  const steps = Math.min(width - 1, longest + 1);
  const inputs = new Int32Array(rows * steps);
  const targets = new Int32Array(rows * steps);
  const mask = new Float32Array(rows * steps);
  let tokens = 0;
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < steps; t++) {
      inputs[r * steps + t] = labels[r * width + t] as number;
      targets[r * steps + t] = labels[r * width + t + 1] as number;
      const m = masks[r * width + t + 1] as number;
      mask[r * steps + t] = m;
      tokens += m;
    }
  }
  return { rows, steps, inputs, targets, mask, tokens };
}

/** {@link teacherForcingRows} of a loader batch. */
export function batchTeacherForcingRows(batch: CaptionBatch): TeacherForcingRows {
  if (batch.labels === null || batch.masks === null)
    throw new Error('the batch has no labels (the loader was built without them)');
  const [b, s, width] = batch.labels.shape as [number, number, number];
  return teacherForcingRows(batch.labels.data, batch.masks.data, b * s, width);
}

/**
 * A `CaptionLoader` as `trainLoop`'s resumable `BatchSource`: `lastOfEpoch` is the reference's `wrapped`,
 * the state is the loader's position after the last batch served, and `setState` rebuilds the loader
 * there. `prepare` (optional) turns a loader batch into what the loss needs, before the gradient scope
 * (self-critical decoding happens there).
 */
export class LoaderBatchSource<B> implements BatchSource<B> {
  private loader: CaptionLoader;

  /**
   * @param makeLoader builds the loader, at a saved position or at the start
   * @param prepare turns a loader batch into the loss's batch; receives the epoch the batch belongs to
   */
  constructor(
    private readonly makeLoader: (resume?: LoaderState) => CaptionLoader,
    private readonly prepare: (batch: CaptionBatch, epoch: number) => B | Promise<B>,
  ) {
    this.loader = makeLoader();
  }

  /** Batches in one pass over the split. */
  get batchesPerEpoch(): number {
    return Math.ceil(this.loader.size / this.loader.batchSize);
  }

  async next(): Promise<TrainingBatch<B>> {
    // The epoch of the batch about to be served: completed passes before it (a wrapped batch still
    // belongs to the epoch it ends, as trainLoop counts it).
    const epoch = this.loader.state().epoch;
    const batch = await this.loader.next();
    if (batch === null) throw new Error(`the ${this.loader.split} loader ended; training needs a wrapping loader`);
    const ids = batch.infos.map((i) => i.id);
    let tokens = 0;
    if (batch.masks !== null) for (const m of batch.masks.data) tokens += m;
    return { batch: await this.prepare(batch, epoch), lastOfEpoch: batch.bounds.wrapped, ids, tokens };
  }

  getState(): LoaderState {
    return this.loader.state();
  }

  setState(state: unknown): void {
    this.loader = this.makeLoader(state as LoaderState);
  }
}

/**
 * What the examples' driver needs from a captioning model, whatever its architecture: a `Module`
 * (parameters under PyTorch names, train/eval mode, the run's random generator) that is also a core
 * `CaptionModel` over {@link CaptionFeatures} (`prepare` once per image, `step` once per word). Teacher
 * forcing, scheduled sampling, self-critical training and every decoder are built on those two calls, so
 * a new model only has to provide them (and a factory that builds it from the options).
 */
import type { CaptionModel, Module, Random } from '@caption/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { TrainOptions } from './options';

/** The image side of a batch, as tensors (rows = images). */
export interface CaptionFeatures {
  /** `[B, fcFeatSize]`, or null when the model does not use fc features. */
  fc: tf.Tensor2D | null;
  /** `[B, K, attFeatSize]` (regions zero-padded to the batch's largest K), or null. */
  att: tf.Tensor3D | null;
  /** `[B, K]` 1 for real regions; null when every image has K regions. */
  attMask: tf.Tensor2D | null;
}

/** A trainable captioner: a core `Module` that decodes through the `CaptionModel` contract. */
export type Captioner = Module & CaptionModel<CaptionFeatures>;

/** Sizes the data decides. */
export interface DataShape {
  /** Words in the vocabulary (ids 1..vocabSize; 0 is BOS/EOS/pad). */
  vocabSize: number;
  /** Width of the label rows (`max_length` of prepro, 16). */
  seqLength: number;
  /** fc feature size (0 when there are no fc features). */
  fcFeatSize: number;
  /** att feature size as the model receives it (box features included), 0 without att features. */
  attFeatSize: number;
}

/** Builds a captioner for `captionModel` = {@link CaptionerFactory.name}. */
export interface CaptionerFactory {
  /** The `captionModel` value (`show_tell`, `aoa`). */
  readonly name: string;
  /** Which features the model reads. */
  readonly uses: { fc: boolean; att: boolean };
  /**
   * A new model with fresh weights drawn from `rng`.
   *
   * @throws ExampleOptionsError when an option is not supported by the model
   */
  create(options: TrainOptions, shape: DataShape, rng: Random): Captioner;
}

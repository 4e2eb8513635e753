/**
 * What the examples' driver needs from a captioning model, whatever its architecture: a `Module`
 * (parameters under PyTorch names, train/eval mode, the run's random generator) that is also a core
 * `CaptionModel` (`prepare` once per image, `step` once per word) over the model's own feature type, and
 * a factory that builds it from the options and maps a batch's {@link CaptionFeatures} to that type.
 * Teacher forcing, scheduled sampling, self-critical training and every decoder are built on `prepare`
 * and `step`, so a new model only has to provide them (faster passes are optional).
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
export type Captioner<F = CaptionFeatures> = Module & CaptionModel<F>;

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
export interface CaptionerFactory<F = CaptionFeatures> {
  /** The `captionModel` value (`show_tell`, `aoa`). */
  readonly name: string;
  /** Which features the model reads. */
  readonly uses: { fc: boolean; att: boolean };
  /**
   * A new model with fresh weights drawn from `rng`.
   *
   * @throws ExampleOptionsError when an option is not supported by the model
   */
  create(options: TrainOptions, shape: DataShape, rng: Random): Captioner<F>;
  /** The model's features from a batch's (a view: no new tensors that the caller would have to free). */
  features(batch: CaptionFeatures): F;
  /**
   * Optional faster teacher-forced pass (e.g. all words embedded at once): `labels` `[N, T + 1]` int32 (column
   * 0 = BOS, then the words), features one row per image, N a multiple of the images; returns `[N, T, V + 1]`
   * log-probs, or logits with `output: 'logits'` (for the fused label-smoothed loss). Used for cross-entropy.
   * Self-critical sampling needs no hook here: core's `sampleWithLogprobs` uses the model's own
   * `samplingSteps` when it has them.
   */
  teacherForced?(
    model: Captioner<F>,
    features: F,
    labels: tf.Tensor2D,
    scheduledSampling: { probability: number; rng: Random } | null,
    output: 'logprobs' | 'logits',
  ): tf.Tensor3D;
}

/**
 * The two training criteria of AoANet / ImageCaptioning.pytorch, wired for any {@link Captioner}:
 *
 * - cross-entropy (optionally label-smoothed) on teacher-forced outputs, with scheduled sampling: from
 *   the second input on, each row's input is, with probability `ssProb`, a word drawn from the model's own
 *   previous distribution instead of the ground truth (the reference's `_forward`);
 * - self-critical: core's `selfCriticalStep` with the CIDEr-D reward against all of the image's label rows,
 *   baseline = the image's greedy caption (core's `greedyBaselineRewards`, decoded before the gradient
 *   scope: {@link selfCriticalBaseline}) or the mean of the other samples.
 */
import {
  type CaptionReward,
  drawCategorical,
  greedyBaselineRewards,
  labelSmoothingLoss,
  type Random,
  selfCriticalStep,
  sequenceCrossEntropy,
} from '@caption/core';
import type { CaptionBatch } from '@caption/data-coco';
import type { CiderDScorer } from '@caption/metrics';
import * as tf from '@tensorflow/tfjs-core';
import { batchTeacherForcingRows, disposeFeatures, featureTensors, type TeacherForcingRows } from './batches';
import type { Captioner, CaptionerFactory } from './captioner';

/**
 * Teacher-forced log-probs `[rows, steps, V + 1]` of caption rows (each image's features serve
 * `rowsPerImage` consecutive rows), with scheduled sampling at probability `ssProb` (draws from `rng`).
 */
export function teacherForcedLogprobs<F>(
  model: Captioner<F>,
  features: F,
  rows: TeacherForcingRows,
  rowsPerImage: number,
  scheduledSampling: { probability: number; rng: Random } | null = null,
): tf.Tensor3D {
  const prepared = model.prepare(features);
  const images = rows.rows / rowsPerImage;
  const expand =
    rowsPerImage === 1
      ? null
      : tf.tensor1d(
          Int32Array.from({ length: rows.rows }, (_, r) => Math.floor(r / rowsPerImage)),
          'int32',
        );
  const repeat = (ts: readonly tf.Tensor[]): tf.Tensor[] =>
    expand === null ? [...ts] : ts.map((t) => tf.gather(t, expand, 0));
  if (prepared.recurrent.some((t) => t.shape[0] !== images))
    throw new Error(`${model.className}.prepare returned rows that are not the ${images} images`);
  const context = repeat(prepared.context);
  let recurrent = repeat(prepared.recurrent);
  const outputs: tf.Tensor2D[] = [];
  const ss = scheduledSampling !== null && scheduledSampling.probability > 0 ? scheduledSampling : null;
  for (let t = 0; t < rows.steps; t++) {
    const tokens = new Int32Array(rows.rows);
    for (let r = 0; r < rows.rows; r++) tokens[r] = rows.inputs[r * rows.steps + t] as number;
    if (ss !== null && t >= 1) {
      const previous = outputs[t - 1] as tf.Tensor2D;
      const logp = previous.dataSync() as Float32Array;
      const width = previous.shape[1];
      for (let r = 0; r < rows.rows; r++) {
        if (ss.rng.next() < ss.probability)
          tokens[r] = drawCategorical(logp.subarray(r * width, (r + 1) * width), ss.rng);
      }
    }
    const out = model.step({ context, recurrent }, tf.tensor1d(tokens, 'int32'));
    outputs.push(out.logprobs);
    recurrent = out.recurrent;
  }
  return tf.stack(outputs, 1) as tf.Tensor3D;
}

/**
 * Cross-entropy (label-smoothed when `labelSmoothing` > 0) of a loader batch, with scheduled sampling;
 * through the factory's own teacher-forced pass when it has one, which then gives logits so that core's
 * fused `labelSmoothingLoss(…, { input: 'logits' })` computes the log-softmax and the loss in one op. Call
 * inside a gradient scope or tidy.
 */
export function crossEntropyLoss<F>(
  model: Captioner<F>,
  factory: CaptionerFactory<F>,
  batch: CaptionBatch,
  options: { labelSmoothing: number; ssProb: number; rng: Random },
): tf.Scalar {
  const rows = batchTeacherForcingRows(batch);
  const seqPerImg = batch.labels?.shape[1] as number;
  const features = factory.features(featureTensors(batch, factory.uses));
  const ss = options.ssProb > 0 ? { probability: options.ssProb, rng: options.rng } : null;
  const target = tf.tensor2d(rows.targets, [rows.rows, rows.steps], 'int32');
  const mask = tf.tensor2d(rows.mask, [rows.rows, rows.steps]);
  const smoothed = options.labelSmoothing > 0;
  if (factory.teacherForced !== undefined) {
    const labels = new Int32Array(rows.rows * (rows.steps + 1));
    for (let r = 0; r < rows.rows; r++)
      labels.set(rows.targets.subarray(r * rows.steps, (r + 1) * rows.steps), r * (rows.steps + 1) + 1);
    const input = tf.tensor2d(labels, [rows.rows, rows.steps + 1], 'int32');
    const scores = factory.teacherForced(model, features, input, ss, smoothed ? 'logits' : 'logprobs');
    return smoothed
      ? labelSmoothingLoss(scores, target, mask, options.labelSmoothing, { input: 'logits' })
      : sequenceCrossEntropy(scores, target, mask);
  }
  const logprobs = teacherForcedLogprobs(model, features, rows, seqPerImg, ss);
  return smoothed
    ? labelSmoothingLoss(logprobs, target, mask, options.labelSmoothing)
    : sequenceCrossEntropy(logprobs, target, mask);
}

/** What is decoded for a self-critical step before its gradient scope ({@link selfCriticalBaseline}). */
export interface SelfCriticalBatch {
  /** The loader batch. */
  batch: CaptionBatch;
  /** Per image, its label rows cut after their first end token: the references of the CIDEr-D reward. */
  references: Int32Array[][];
  /** CIDEr-D of each image's greedy caption (decoded in eval mode): the greedy baseline; null for `mean`. */
  greedyRewards: Float64Array | null;
}

/** Options of a self-critical step. */
export interface SelfCriticalOptions {
  /** CIDEr-D with the training split's document frequencies. */
  scorer: CiderDScorer;
  /**
   * `greedy` (AoANet): the reward of the image's greedy caption; `mean` (newer ImageCaptioning.pytorch): the mean
   * reward of the image's other samples.
   */
  baseline: 'greedy' | 'mean';
  /** Captions sampled per image (the reference's `seq_per_img`). */
  samplesPerImage: number;
  /** Decoding length of the samples and of the greedy baseline (the reference's `max_length`, 20). */
  maxLength: number;
  /**
   * The reference's `cider_reward_weight`: the reward is this weight times CIDEr-D, so the advantages
   * `r − b` scale with it (0: no self-critical gradient). Default 1.
   */
  ciderRewardWeight?: number;
}

/** The CIDEr-D reward of core's self-critical functions: captions against their image's references. */
function ciderReward(scorer: CiderDScorer, references: Int32Array[][]): CaptionReward {
  // the same array object for the samples of one image: the scorer prepares its references once
  return (captions, images) =>
    scorer.score(
      captions,
      Array.from(images, (i) => references[i] as Int32Array[]),
    ).scores;
}

/**
 * The part of a self-critical step that needs no gradient, run before the gradient scope: the reward's
 * references and, for the greedy baseline, the CIDEr-D of each image's greedy caption decoded in eval mode
 * (core's `greedyBaselineRewards`; the model is back in train mode afterwards).
 */
export function selfCriticalBaseline<F>(
  model: Captioner<F>,
  factory: CaptionerFactory<F>,
  batch: CaptionBatch,
  options: SelfCriticalOptions,
): SelfCriticalBatch {
  const references = batch.gts.map((g) => {
    const [count, width] = g.shape as [number, number];
    return Array.from({ length: count }, (_, i) => withEnd(g.data.subarray(i * width, (i + 1) * width)));
  });
  if (options.baseline !== 'greedy') return { batch, references, greedyRewards: null };
  const tensors = featureTensors(batch, factory.uses);
  try {
    const reward = ciderReward(options.scorer, references);
    const greedyRewards = greedyBaselineRewards(model, factory.features(tensors), {
      reward,
      maxLength: options.maxLength,
    });
    return { batch, references, greedyRewards };
  } finally {
    disposeFeatures(tensors);
  }
}

/** What {@link selfCriticalStepLoss} returns: the loss (on the tape) and the mean rewards, for the logs. */
export interface SelfCriticalStep {
  loss: tf.Scalar;
  /** Mean CIDEr-D of the samples. */
  sampleReward: number;
  /** Mean CIDEr-D of the greedy captions (NaN with the mean baseline). */
  greedyReward: number;
}

/**
 * The self-critical loss of a batch (inside the gradient scope, in train mode): core's `selfCriticalStep`
 * with `samplesPerImage` samples per image, the CIDEr-D reward against all of the image's label rows (each
 * cut after its end token, as the samples are) and `ciderRewardWeight` as the reward weight. The returned
 * mean rewards are plain CIDEr-D (unweighted).
 */
export function selfCriticalStepLoss<F>(
  model: Captioner<F>,
  factory: CaptionerFactory<F>,
  decoded: SelfCriticalBatch,
  options: SelfCriticalOptions & { rng: Random },
): SelfCriticalStep {
  const features = factory.features(featureTensors(decoded.batch, factory.uses));
  const step = selfCriticalStep(model, features, {
    rng: options.rng,
    samplesPerImage: options.samplesPerImage,
    maxLength: options.maxLength,
    reward: ciderReward(options.scorer, decoded.references),
    baseline: decoded.greedyRewards === null ? 'mean' : 'greedy',
    ...(decoded.greedyRewards === null ? {} : { greedyRewards: decoded.greedyRewards }),
    rewardWeight: options.ciderRewardWeight ?? 1,
  });
  return {
    loss: step.loss,
    sampleReward: mean(step.sampleRewards),
    greedyReward: decoded.greedyRewards === null ? Number.NaN : mean(decoded.greedyRewards),
  };
}

/** A row of token ids cut after its first end token (0), which is kept; a row without one is kept whole. */
function withEnd(row: Int32Array): Int32Array {
  const end = row.indexOf(0);
  return end < 0 ? row : row.subarray(0, end + 1);
}

function mean(xs: Float64Array): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length === 0 ? 0 : s / xs.length;
}

/**
 * The two training criteria of AoANet / ImageCaptioning.pytorch, for any {@link Captioner}:
 *
 * - cross-entropy (optionally label-smoothed) on teacher-forced log-probs, with scheduled sampling: from
 *   the second input on, each row's input is, with probability `ssProb`, a word drawn from the model's own
 *   previous distribution instead of the ground truth (the reference's `_forward`);
 * - self-critical: captions sampled under dropout (one per caption row), rewarded with CIDEr-D against all
 *   of the image's label rows, baseline = the image's greedy caption (decoded without dropout) or the mean
 *   of the other samples; the loss is −(r − b)·log p of the sampled words.
 *
 * Self-critical samples are drawn with the tape on, their log-probs kept from the same forward pass (the
 * reference's `_sample` under autograd), so the gradient sees the dropout masks the words were drawn under;
 * only the greedy baseline is decoded before the gradient scope ({@link selfCriticalBaseline}).
 */
import {
  greedyBaselineAdvantages,
  greedyDecode,
  labelSmoothingLoss,
  meanOfOthersAdvantages,
  type Random,
  selfCriticalLoss,
  sequenceCrossEntropy,
} from '@caption/core';
import type { CaptionBatch } from '@caption/data-coco';
import type { CiderDScorer } from '@caption/metrics';
import * as tf from '@tensorflow/tfjs-core';
import { batchTeacherForcingRows, disposeFeatures, featureTensors, type TeacherForcingRows } from './batches';
import type { Captioner, CaptionerFactory, SampledCaptions, SelfCriticalSampleOptions } from './captioner';

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
        if (ss.rng.next() >= ss.probability) continue;
        tokens[r] = drawFromLogprobs(logp.subarray(r * width, (r + 1) * width), ss.rng);
      }
    }
    const out = model.step({ context, recurrent }, tf.tensor1d(tokens, 'int32'));
    outputs.push(out.logprobs);
    recurrent = out.recurrent;
  }
  return tf.stack(outputs, 1) as tf.Tensor3D;
}

/** One draw from `exp(logprobs)` (renormalised in float64). */
function drawFromLogprobs(logprobs: Float32Array, rng: Random): number {
  let max = -Infinity;
  for (const v of logprobs) max = Math.max(max, v);
  let sum = 0;
  for (const v of logprobs) sum += Math.exp(v - max);
  let u = rng.next() * sum;
  for (let i = 0; i < logprobs.length; i++) {
    u -= Math.exp((logprobs[i] as number) - max);
    if (u < 0) return i;
  }
  return logprobs.length - 1;
}

/**
 * Cross-entropy (label-smoothed when `labelSmoothing` > 0) of a loader batch, with scheduled sampling;
 * through the factory's own teacher-forced pass when it has one. Call inside a gradient scope or tidy.
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
  let logprobs: tf.Tensor3D;
  if (factory.teacherForced !== undefined) {
    const labels = new Int32Array(rows.rows * (rows.steps + 1));
    for (let r = 0; r < rows.rows; r++)
      labels.set(rows.targets.subarray(r * rows.steps, (r + 1) * rows.steps), r * (rows.steps + 1) + 1);
    logprobs = factory.teacherForced(model, features, tf.tensor2d(labels, [rows.rows, rows.steps + 1], 'int32'), ss);
  } else {
    logprobs = teacherForcedLogprobs(model, features, rows, seqPerImg, ss);
  }
  const target = tf.tensor2d(rows.targets, [rows.rows, rows.steps], 'int32');
  const mask = tf.tensor2d(rows.mask, [rows.rows, rows.steps]);
  return options.labelSmoothing > 0
    ? labelSmoothingLoss(logprobs, target, mask, options.labelSmoothing)
    : sequenceCrossEntropy(logprobs, target, mask);
}

/**
 * Draws `samplesPerImage` captions per image from the model's distribution and keeps the log-prob of every
 * drawn word on the tape, in one pass through `prepare` / `step` (the reference's `_sample` under autograd:
 * the gradient sees the dropout masks the words were drawn under). Call inside a gradient scope; a row
 * that has emitted its end token is fed 0 and its later log-probs are not used by the loss.
 */
export function sampleWithLogprobs<F>(
  model: Captioner<F>,
  features: F,
  options: SelfCriticalSampleOptions,
): SampledCaptions {
  const { rng, samplesPerImage: n, maxLength } = options;
  const prepared = model.prepare(features);
  const images = prepared.recurrent[0]?.shape[0] ?? 0;
  const rows = images * n;
  const expand =
    n === 1
      ? null
      : tf.tensor1d(
          Int32Array.from({ length: rows }, (_, r) => Math.floor(r / n)),
          'int32',
        );
  const repeat = (ts: readonly tf.Tensor[]): tf.Tensor[] =>
    expand === null ? [...ts] : ts.map((t) => tf.gather(t, expand, 0));
  const context = repeat(prepared.context);
  let recurrent = repeat(prepared.recurrent);
  const tokens = new Int32Array(rows * maxLength);
  const unfinished = new Uint8Array(rows).fill(1);
  const picked: tf.Tensor1D[] = [];
  let input = new Int32Array(rows);
  for (let t = 0; t < maxLength; t++) {
    const out = model.step({ context, recurrent }, tf.tensor1d(input, 'int32'));
    recurrent = out.recurrent;
    const classes = out.logprobs.shape[1];
    const logp = out.logprobs.dataSync() as Float32Array;
    const flatIndex = new Int32Array(rows);
    let open = 0;
    for (let r = 0; r < rows; r++) {
      const drawn = drawFromLogprobs(logp.subarray(r * classes, (r + 1) * classes), rng);
      const token = unfinished[r] === 1 ? drawn : 0;
      if (token === 0) unfinished[r] = 0;
      tokens[r * maxLength + t] = token;
      flatIndex[r] = r * classes + drawn;
      open += unfinished[r] as number;
    }
    picked.push(tf.gather(tf.reshape(out.logprobs, [rows * classes]), tf.tensor1d(flatIndex, 'int32')) as tf.Tensor1D);
    input = Int32Array.from({ length: rows }, (_, r) => tokens[r * maxLength + t] as number);
    if (open === 0) break;
  }
  const logprobs = tf.stack(picked, 1) as tf.Tensor2D;
  const padded =
    picked.length === maxLength
      ? logprobs
      : (tf.concat([logprobs, tf.zeros([rows, maxLength - picked.length])], 1) as tf.Tensor2D);
  return { rows, maxLength, tokens, logprobs: padded };
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
  /** `greedy` (AoANet): the reward of the image's greedy caption; `mean` (newer ImageCaptioning.pytorch): the mean reward of the image's other samples. */
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

/**
 * The part of a self-critical step that needs no gradient, run before the gradient scope: the reward's
 * references and, for the greedy baseline, the CIDEr-D of each image's greedy caption decoded in eval mode
 * (the model is back in train mode afterwards).
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
    model.eval();
    const greedy = greedyDecode(model, factory.features(tensors), { maxLength: options.maxLength });
    return {
      batch,
      references,
      greedyRewards: options.scorer.score(captionRows(greedy.tokens, batch.infos.length, greedy.maxLength), references)
        .scores,
    };
  } finally {
    model.train();
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
 * The self-critical loss of a batch (inside the gradient scope, in train mode): `samplesPerImage` captions
 * per image drawn with their differentiable log-probs in one pass (the factory's `selfCriticalSample`, else
 * {@link sampleWithLogprobs}), rewarded with CIDEr-D against all of the image's label rows (each cut after
 * its end token, as the samples are), minus the baseline, times `ciderRewardWeight`;
 * `−Σ w·(r − b)·log p · mask / Σ mask`. The returned mean rewards are plain CIDEr-D (unweighted).
 */
export function selfCriticalStepLoss<F>(
  model: Captioner<F>,
  factory: CaptionerFactory<F>,
  decoded: SelfCriticalBatch,
  options: SelfCriticalOptions & { rng: Random },
): SelfCriticalStep {
  const n = options.samplesPerImage;
  const features = factory.features(featureTensors(decoded.batch, factory.uses));
  const sampleOptions = { rng: options.rng, samplesPerImage: n, maxLength: options.maxLength };
  const s =
    factory.selfCriticalSample?.(model, features, sampleOptions) ?? sampleWithLogprobs(model, features, sampleOptions);
  const sampleRefs = Array.from({ length: s.rows }, (_, r) => decoded.references[Math.floor(r / n)] as Int32Array[]);
  const rewards = options.scorer.score(captionRows(s.tokens, s.rows, s.maxLength), sampleRefs).scores;
  const unweighted =
    decoded.greedyRewards === null
      ? meanOfOthersAdvantages(rewards, n)
      : greedyBaselineAdvantages(rewards, decoded.greedyRewards, n);
  const weight = options.ciderRewardWeight ?? 1;
  const advantages = weight === 1 ? unweighted : unweighted.map((a) => weight * a);
  const seq = tf.tensor2d(s.tokens, [s.rows, s.maxLength], 'int32');
  return {
    loss: selfCriticalLoss(s.logprobs, seq, tf.tensor1d(advantages)),
    sampleReward: mean(rewards),
    greedyReward: decoded.greedyRewards === null ? Number.NaN : mean(decoded.greedyRewards),
  };
}

/** The rows of a `[rows, width]` token array, each cut after its first end token (the reward's candidates). */
function captionRows(tokens: Int32Array, rows: number, width: number): Int32Array[] {
  return Array.from({ length: rows }, (_, r) => withEnd(tokens.subarray(r * width, (r + 1) * width)));
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

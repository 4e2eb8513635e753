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
 * Decoding is done before the gradient scope ({@link decodeSelfCritical}); the differentiable log-probs of
 * the samples come from teacher-forcing them with the model's generator rewound to where sampling began,
 * so every dropout mask is the one the samples were drawn under (the log-probs equal the sampled ones).
 */
import {
  greedyBaselineAdvantages,
  greedyDecode,
  labelSmoothingLoss,
  meanOfOthersAdvantages,
  Random,
  type RandomState,
  sampleDecode,
  selfCriticalLoss,
  sequenceCrossEntropy,
  tokenLogprobs,
} from '@caption/core';
import type { CaptionBatch } from '@caption/data-coco';
import type { CiderDScorer } from '@caption/metrics';
import * as tf from '@tensorflow/tfjs-core';
import { batchTeacherForcingRows, disposeFeatures, featureTensors, teacherForcingRows, type TeacherForcingRows } from './batches';
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
  const expand = rowsPerImage === 1 ? null : tf.tensor1d(Int32Array.from({ length: rows.rows }, (_, r) => Math.floor(r / rowsPerImage)), 'int32');
  const repeat = (ts: readonly tf.Tensor[]): tf.Tensor[] => (expand === null ? [...ts] : ts.map((t) => tf.gather(t, expand, 0)));
  if (prepared.recurrent.some((t) => t.shape[0] !== images)) throw new Error(`${model.className}.prepare returned rows that are not the ${images} images`);
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
    for (let r = 0; r < rows.rows; r++) labels.set(rows.targets.subarray(r * rows.steps, (r + 1) * rows.steps), r * (rows.steps + 1) + 1);
    logprobs = factory.teacherForced(model, features, tf.tensor2d(labels, [rows.rows, rows.steps + 1], 'int32'), ss);
  } else {
    logprobs = teacherForcedLogprobs(model, features, rows, seqPerImg, ss);
  }
  const target = tf.tensor2d(rows.targets, [rows.rows, rows.steps], 'int32');
  const mask = tf.tensor2d(rows.mask, [rows.rows, rows.steps]);
  return options.labelSmoothing > 0 ? labelSmoothingLoss(logprobs, target, mask, options.labelSmoothing) : sequenceCrossEntropy(logprobs, target, mask);
}

/** What self-critical decoding produced for one batch, ready for {@link selfCriticalStepLoss}. */
export interface SelfCriticalBatch {
  /** The loader batch. */
  batch: CaptionBatch;
  /** The samples as teacher-forcing rows (inputs: BOS + sampled words; targets: the sampled words). */
  samples: TeacherForcingRows;
  /** `[rows, steps]` the sampled tokens (0 after the end), for the reward criterion's mask. */
  sampledTokens: Int32Array;
  /** Per-sample advantage (reward − baseline). */
  advantages: Float32Array;
  /** Mean CIDEr-D of the samples and of the greedy captions (for the logs). */
  sampleReward: number;
  greedyReward: number;
  /** The model's generator state when sampling began (rewound before the teacher-forced pass). */
  modelRandomState: RandomState;
}

/**
 * Decodes a batch for self-critical training, outside any gradient scope: greedy captions in eval mode
 * (for the greedy baseline), then `seqPerImg` samples per image in train mode; scores both with CIDEr-D
 * against the image's label rows, and returns the advantages.
 */
export function decodeSelfCritical<F>(
  model: Captioner<F>,
  factory: CaptionerFactory<F>,
  batch: CaptionBatch,
  options: {
    scorer: CiderDScorer;
    baseline: 'greedy' | 'mean';
    samplesPerImage: number;
    maxLength: number;
    modelRng: Random;
    samplingRng: Random;
  },
): SelfCriticalBatch {
  const tensors = featureTensors(batch, factory.uses);
  const features = factory.features(tensors);
  try {
    const images = batch.infos.length;
    const n = options.samplesPerImage;
    const refs = batch.gts.map((g) => {
      const [count, width] = g.shape as [number, number];
      return Array.from({ length: count }, (_, i) => g.data.subarray(i * width, (i + 1) * width));
    });
    const rowsOf = (tokens: Int32Array, rows: number, width: number): Int32Array[] =>
      Array.from({ length: rows }, (_, r) => withEnd(tokens.subarray(r * width, (r + 1) * width)));

    let greedyRewards: Float64Array | null = null;
    if (options.baseline === 'greedy') {
      model.eval();
      const greedy = greedyDecode(model, features, { maxLength: options.maxLength });
      model.train();
      greedyRewards = options.scorer.score(rowsOf(greedy.tokens, images, greedy.maxLength), refs).scores;
    }
    const modelRandomState = options.modelRng.getState();
    const sampled = sampleDecode(model, features, { rng: options.samplingRng, samplesPerImage: n, maxLength: options.maxLength });
    const sampleRefs = Array.from({ length: sampled.rows }, (_, r) => refs[Math.floor(r / n)] as Int32Array[]);
    const sampleRewards = options.scorer.score(rowsOf(sampled.tokens, sampled.rows, sampled.maxLength), sampleRefs).scores;
    const advantages =
      greedyRewards === null ? meanOfOthersAdvantages(Array.from(sampleRewards), n) : greedyBaselineAdvantages(Array.from(sampleRewards), Array.from(greedyRewards), n);

    // the samples as teacher-forcing rows: a "label row" [0, s_1, ..., s_T] per sample (T ≤ maxLength, so
    // the teacher-forced pass runs exactly the steps the sampler ran)
    const width = sampled.maxLength + 1;
    const labels = new Int32Array(sampled.rows * width);
    const masks = new Float32Array(sampled.rows * width);
    for (let r = 0; r < sampled.rows; r++) {
      let len = 0;
      while (len < sampled.maxLength && (sampled.tokens[r * sampled.maxLength + len] as number) !== 0) len++;
      labels.set(sampled.tokens.subarray(r * sampled.maxLength, r * sampled.maxLength + len), r * width + 1);
      masks.fill(1, r * width, r * width + Math.min(width, len + 2));
    }
    const samples = teacherForcingRows(labels, masks, sampled.rows, width);
    const sampledTokens = samples.targets;
    return {
      batch,
      samples,
      sampledTokens,
      advantages: Float32Array.from(advantages),
      sampleReward: mean(sampleRewards),
      greedyReward: greedyRewards === null ? Number.NaN : mean(greedyRewards),
      modelRandomState,
    };
  } finally {
    disposeFeatures(tensors);
  }
}

/** The self-critical loss of a decoded batch (inside the gradient scope). */
export function selfCriticalStepLoss<F>(model: Captioner<F>, factory: CaptionerFactory<F>, decoded: SelfCriticalBatch, modelRng: Random, samplesPerImage: number): tf.Scalar {
  modelRng.setState(decoded.modelRandomState);
  const { samples } = decoded;
  const features = factory.features(featureTensors(decoded.batch, factory.uses));
  const logprobs = teacherForcedLogprobs(model, features, samples, samplesPerImage);
  const seq = tf.tensor2d(decoded.sampledTokens, [samples.rows, samples.steps], 'int32');
  return selfCriticalLoss(tokenLogprobs(logprobs, seq), seq, tf.tensor1d(decoded.advantages));
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

/**
 * Self-critical sequence training (SCST): the policy-gradient loss of AoANet's `RewardCriterion`, the two
 * usual baselines, the greedy decode's reward (Rennie et al.; AoANet) and the mean reward of the other
 * samples of the same image (ImageCaptioning.pytorch's `new_self_critical`), and the whole step for any
 * `CaptionModel` with a reward callback ({@link selfCriticalStep}).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type CaptionModel } from '../decoding/caption-model';
import { type DifferentiableSamples, sampleWithLogprobs } from '../decoding/differentiable-sampling';
import { greedyDecode } from '../decoding/sequential';
import { Module } from '../nn/module';
import '../nn/tfjs-gradients';
import type { Random } from '../random';
import { LossInputError } from './errors';

/**
 * AoANet's `RewardCriterion`: `−Σ_{i,t} logp_{i,t} · A_{i,t} · mask_{i,t} / Σ mask`, where
 * `mask = [1, (seq > 0)[:, :-1]]` (the end token's step is trained; a row starting with 0 counts only
 * position 0) and one normalisation covers the whole batch.
 *
 * @param sampleLogprobs `[N, T]` log-probabilities of the sampled tokens (differentiable; see `tokenLogprobs`)
 * @param seq `[N, T]` int32 sampled tokens, 0 = end/pad
 * @param advantages `[N]` per-sequence advantages (reward − baseline; see {@link greedyBaselineAdvantages}
 *   and {@link meanOfOthersAdvantages}) or `[N, T]` per step; not differentiated
 * @example
 * ```ts
 * const adv = meanOfOthersAdvantages(ciderOfSamples, 5);
 * const loss = selfCriticalLoss(sampleLogprobs, seq, tf.tensor1d(adv));
 * ```
 */
export function selfCriticalLoss(sampleLogprobs: tf.Tensor, seq: tf.Tensor, advantages: tf.Tensor): tf.Scalar {
  if (sampleLogprobs.rank !== 2) {
    throw new LossInputError(
      `selfCriticalLoss: sampleLogprobs has shape [${sampleLogprobs.shape.join(', ')}], expected [N, T]`,
    );
  }
  const [n, steps] = sampleLogprobs.shape as [number, number];
  if (seq.dtype !== 'int32' || seq.rank !== 2 || seq.shape[0] !== n || seq.shape[1] !== steps) {
    throw new LossInputError(
      `selfCriticalLoss: seq must be int32 [${n}, ${steps}], got ${seq.dtype} [${seq.shape.join(', ')}]`,
    );
  }
  const perSequence = advantages.rank === 1 && advantages.shape[0] === n;
  const perStep = advantages.rank === 2 && advantages.shape[0] === n && advantages.shape[1] === steps;
  if (!perSequence && !perStep) {
    throw new LossInputError(
      `selfCriticalLoss: advantages has shape [${advantages.shape.join(', ')}], expected [${n}] or [${n}, ${steps}]`,
    );
  }
  return tf.tidy(() => {
    const continues = tf.cast(tf.greater(seq, 0), 'float32');
    const mask = tf.concat([tf.ones([n, 1]), tf.slice(continues, [0, 0], [n, steps - 1])], 1);
    const adv = perSequence ? tf.expandDims(tf.cast(advantages, 'float32'), 1) : tf.cast(advantages, 'float32');
    return tf.div(tf.neg(tf.sum(tf.mul(tf.mul(sampleLogprobs, adv), mask))), tf.sum(mask));
  });
}

function checkRewards(where: string, rewards: ArrayLike<number>): void {
  for (let i = 0; i < rewards.length; i++) {
    if (!Number.isFinite(rewards[i])) throw new LossInputError(`${where}: reward ${i} is ${String(rewards[i])}`);
  }
}

/**
 * Advantages against the greedy decode (AoANet's `get_self_critical_reward`): `r_i − b_i`, where `b_i`
 * is the reward of the greedy caption of the same image (decoded in eval mode). `greedyRewards` holds
 * one value per sample, or one per image with the samples grouped consecutively (`samplesPerImage` per
 * image, the reference's row order).
 */
export function greedyBaselineAdvantages(
  sampleRewards: ArrayLike<number>,
  greedyRewards: ArrayLike<number>,
  samplesPerImage = 1,
): Float32Array {
  checkRewards('greedyBaselineAdvantages (sampleRewards)', sampleRewards);
  checkRewards('greedyBaselineAdvantages (greedyRewards)', greedyRewards);
  if (!Number.isInteger(samplesPerImage) || samplesPerImage < 1) {
    throw new LossInputError(
      `greedyBaselineAdvantages: samplesPerImage must be a positive integer, got ${samplesPerImage}`,
    );
  }
  const n = sampleRewards.length;
  const perSample = greedyRewards.length === n;
  if (!perSample && greedyRewards.length * samplesPerImage !== n) {
    throw new LossInputError(
      `greedyBaselineAdvantages: ${n} sample rewards but ${greedyRewards.length} greedy rewards ` +
        `(expected ${n}, or ${n / samplesPerImage} with ${samplesPerImage} samples per image)`,
    );
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const baseline = greedyRewards[perSample ? i : Math.floor(i / samplesPerImage)] as number;
    out[i] = (sampleRewards[i] as number) - baseline;
  }
  return out;
}

/**
 * Advantages against the mean reward of the other samples of the same image (ImageCaptioning.pytorch's
 * `new_self_critical`): for `n` samples per image, grouped consecutively, `b_i = (Σ_j r_j − r_i) / (n − 1)`.
 * Needs `n >= 2`.
 */
export function meanOfOthersAdvantages(sampleRewards: ArrayLike<number>, samplesPerImage: number): Float32Array {
  checkRewards('meanOfOthersAdvantages', sampleRewards);
  if (!Number.isInteger(samplesPerImage) || samplesPerImage < 2) {
    throw new LossInputError(`meanOfOthersAdvantages: samplesPerImage must be an integer >= 2, got ${samplesPerImage}`);
  }
  const total = sampleRewards.length;
  if (total % samplesPerImage !== 0) {
    throw new LossInputError(
      `meanOfOthersAdvantages: ${total} rewards is not a multiple of samplesPerImage = ${samplesPerImage}`,
    );
  }
  const out = new Float32Array(total);
  for (let start = 0; start < total; start += samplesPerImage) {
    let sum = 0;
    for (let j = start; j < start + samplesPerImage; j++) sum += sampleRewards[j] as number;
    for (let j = start; j < start + samplesPerImage; j++) {
      const r = sampleRewards[j] as number;
      out[j] = r - (sum - r) / (samplesPerImage - 1);
    }
  }
  return out;
}

/**
 * The reward of sampled or greedy captions (e.g. CIDEr-D against each image's references): `captions[i]` is
 * row i's token ids (the end token, then `pad`), `images[i]` the batch index of its image. Rows of one image
 * are consecutive. Core computes no reward itself (it does not import the metrics).
 */
export type CaptionReward = (captions: readonly Int32Array[], images: Int32Array) => ArrayLike<number>;

/** The rows of a `[rows, width]` token array, as views. */
function tokenRows(tokens: Int32Array, rows: number, width: number): Int32Array[] {
  return Array.from({ length: rows }, (_, r) => tokens.subarray(r * width, (r + 1) * width));
}

function rewardsOf(where: string, reward: CaptionReward, captions: Int32Array[], images: Int32Array): Float64Array {
  const values = Float64Array.from(reward(captions, images));
  if (values.length !== captions.length)
    throw new LossInputError(`${where}: the reward gave ${values.length} values for ${captions.length} captions`);
  checkRewards(`${where} (reward)`, values);
  return values;
}

/**
 * The greedy baseline of self-critical training (Rennie et al.; AoANet): each image's greedy caption,
 * decoded without dropout (a {@link Module} is switched to eval mode and back), and its reward. Run it
 * before the gradient scope of {@link selfCriticalStep}.
 *
 * @example
 * ```ts
 * const greedyRewards = greedyBaselineRewards(model, features, { reward, maxLength: 20 });
 * ```
 */
export function greedyBaselineRewards<F>(
  model: CaptionModel<F>,
  features: F,
  options: { reward: CaptionReward; maxLength?: number },
): Float64Array {
  const wasTraining = model instanceof Module && model.training;
  if (model instanceof Module) model.eval();
  try {
    const greedy = greedyDecode(model, features, { maxLength: options.maxLength ?? 20 });
    const images = Int32Array.from({ length: greedy.rows }, (_, i) => i);
    const captions = tokenRows(greedy.tokens, greedy.rows, greedy.maxLength);
    return rewardsOf('greedyBaselineRewards', options.reward, captions, images);
  } finally {
    if (wasTraining) (model as unknown as Module).train();
  }
}

/** Options of {@link selfCriticalStep}. */
export interface SelfCriticalStepOptions {
  /** Source of the draws; its state advances. */
  rng: Random;
  /** Captions sampled per image (the reference's `seq_per_img`). */
  samplesPerImage: number;
  /** Steps at most (the reference's `max_length`). Default 20. */
  maxLength?: number;
  /** Sampling temperature. Default 1. */
  temperature?: number;
  /** The reward of the samples. */
  reward: CaptionReward;
  /**
   * `'greedy'` (AoANet): the reward of the image's greedy caption, given as `greedyRewards`; `'mean'`
   * (ImageCaptioning.pytorch's `new_self_critical`): the mean reward of the image's other samples.
   */
  baseline: 'greedy' | 'mean';
  /** One reward per image, from {@link greedyBaselineRewards}; required with the greedy baseline. */
  greedyRewards?: ArrayLike<number>;
  /** Multiplies the advantages (the reference's reward is `cider_reward_weight · CIDEr-D`). Default 1. */
  rewardWeight?: number;
}

/** What {@link selfCriticalStep} gives. */
export interface SelfCriticalStepResult {
  /** `−Σ w·(r − b)·log p · mask / Σ mask` ({@link selfCriticalLoss}), on the tape. */
  loss: tf.Scalar;
  /** The samples' rewards (unweighted), one per row. */
  sampleRewards: Float64Array;
  /** The samples. */
  samples: DifferentiableSamples;
}

/**
 * One self-critical step's loss, inside the gradient scope: `samplesPerImage` captions per image drawn with
 * their log-probs ({@link sampleWithLogprobs}), rewarded by `reward`, minus the baseline, times
 * `rewardWeight`, through {@link selfCriticalLoss}.
 *
 * @example
 * ```ts
 * const reward: CaptionReward = (captions, images) => scorer.score(captions, [...images].map((i) => refs[i])).scores;
 * const greedyRewards = greedyBaselineRewards(model, features, { reward });
 * const { loss, grads } = computeGradients(model, () =>
 *   selfCriticalStep(model, features, { rng, samplesPerImage: 5, reward, baseline: 'greedy', greedyRewards }).loss,
 * );
 * ```
 */
export function selfCriticalStep<F>(
  model: CaptionModel<F>,
  features: F,
  options: SelfCriticalStepOptions,
): SelfCriticalStepResult {
  const where = 'selfCriticalStep';
  const n = options.samplesPerImage;
  if (options.baseline !== 'greedy' && options.baseline !== 'mean')
    throw new LossInputError(`${where}: baseline must be 'greedy' or 'mean', got ${String(options.baseline)}`);
  if (options.baseline === 'greedy' && options.greedyRewards === undefined)
    throw new LossInputError(`${where}: the greedy baseline needs greedyRewards (see greedyBaselineRewards)`);
  const weight = options.rewardWeight ?? 1;
  if (!Number.isFinite(weight)) throw new LossInputError(`${where}: rewardWeight must be finite, got ${weight}`);
  const samples = sampleWithLogprobs(model, features, {
    rng: options.rng,
    samplesPerImage: n,
    ...(options.maxLength === undefined ? {} : { maxLength: options.maxLength }),
    ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
  });
  const images = Int32Array.from({ length: samples.rows }, (_, r) => Math.floor(r / n));
  const captions = tokenRows(samples.tokens, samples.rows, samples.maxLength);
  const sampleRewards = rewardsOf(where, options.reward, captions, images);
  const advantages =
    options.baseline === 'mean'
      ? meanOfOthersAdvantages(sampleRewards, n)
      : greedyBaselineAdvantages(sampleRewards, options.greedyRewards as ArrayLike<number>, n);
  if (weight !== 1) for (let i = 0; i < advantages.length; i++) advantages[i] = weight * (advantages[i] as number);
  const seq = tf.tensor2d(samples.tokens, [samples.rows, samples.maxLength], 'int32');
  return { loss: selfCriticalLoss(samples.logprobs, seq, tf.tensor1d(advantages)), sampleRewards, samples };
}

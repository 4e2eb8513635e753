/**
 * Self-critical sequence training (SCST): the policy-gradient loss of AoANet's `RewardCriterion` and the
 * two usual baselines, the greedy decode's reward (Rennie et al.; AoANet) and the mean reward of the
 * other samples of the same image (ImageCaptioning.pytorch's `new_self_critical`).
 */
import * as tf from '@tensorflow/tfjs-core';
import '../nn/tfjs-gradients';
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

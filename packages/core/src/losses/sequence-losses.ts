/**
 * Teacher-forced caption losses over log-probabilities, as AoANet / ImageCaptioning.pytorch define them
 * (`misc/utils.py`): `LanguageModelCriterion` and `LabelSmoothing`.
 *
 * Conventions (reference README items 1 and 15): `logprobs` `[N, T, V]` are log-softmax outputs (V =
 * vocabulary + 1, index 0 = end/pad), `target` `[N, T']` int32 and `mask` `[N, T']` float 1/0 are
 * `labels[:, 1:]` and `masks[:, 1:]`; when `T' > T` they are cut to `T` as the reference does. The mask
 * covers the words and one end token. Losses are averaged over the unmasked positions of the whole batch
 * (one normalisation, not per sequence). A batch without any unmasked position gives 0 (the reference
 * would return 0/0 = NaN).
 */
import * as tf from '@tensorflow/tfjs-core';
import { labelSmoothingCrossEntropy } from '../backend/ops/label-smoothing-cross-entropy';
import { pickPerRow } from '../backend/ops/pick-per-row';
import { smoothedTarget } from '../backend/kernels/label-smoothing';
import '../nn/tfjs-gradients';
import { LossInputError } from './errors';

function describeShape(t: tf.Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

/** Validates the three inputs and cuts `target`/`mask` to the time length of `logprobs`. */
function alignTargets(
  where: string,
  logprobs: tf.Tensor,
  target: tf.Tensor,
  mask: tf.Tensor,
): { target: tf.Tensor; mask: tf.Tensor } {
  if (logprobs.rank !== 3)
    throw new LossInputError(`${where}: logprobs has shape ${describeShape(logprobs)}, expected [N, T, V]`);
  if (target.dtype !== 'int32') throw new LossInputError(`${where}: target must be int32, got ${target.dtype}`);
  const [n, steps] = logprobs.shape as [number, number, number];
  if (target.rank !== 2 || target.shape[0] !== n || (target.shape[1] as number) < steps) {
    throw new LossInputError(`${where}: target has shape ${describeShape(target)}, expected [${n}, T' >= ${steps}]`);
  }
  if (mask.rank !== 2 || mask.shape[0] !== target.shape[0] || mask.shape[1] !== target.shape[1]) {
    throw new LossInputError(
      `${where}: mask has shape ${describeShape(mask)}, expected the target's ${describeShape(target)}`,
    );
  }
  if (target.shape[1] === steps) return { target, mask };
  return { target: tf.slice(target, [0, 0], [n, steps]), mask: tf.slice(mask, [0, 0], [n, steps]) };
}

/** Σ values · mask / max(Σ mask, tiny): the masked mean over all positions of the batch. */
function maskedMean(values: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  const m = mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32');
  return tf.div(tf.sum(tf.mul(values, m)), tf.maximum(tf.sum(m), 1e-12));
}

/**
 * The log-probability of each chosen token: `out[n, t] = logprobs[n, t, tokens[n, t]]` for `logprobs`
 * `[N, T, V]` and int32 `tokens` `[N, T]` (PyTorch's `logprobs.gather(2, tokens.unsqueeze(2))`), e.g.
 * the sample log-probs of self-critical training. Differentiable in `logprobs` (one gather of the
 * flattened log-probs, no one-hot matrix).
 */
export function tokenLogprobs(logprobs: tf.Tensor, tokens: tf.Tensor): tf.Tensor {
  if (logprobs.rank !== 3)
    throw new LossInputError(`tokenLogprobs: logprobs has shape ${describeShape(logprobs)}, expected [N, T, V]`);
  if (
    tokens.dtype !== 'int32' ||
    tokens.rank !== 2 ||
    tokens.shape[0] !== logprobs.shape[0] ||
    tokens.shape[1] !== logprobs.shape[1]
  ) {
    throw new LossInputError(
      `tokenLogprobs: tokens ` +
        `must be int32 [${logprobs.shape[0]}, ${logprobs.shape[1]}], got ${tokens.dtype} ${describeShape(tokens)}`,
    );
  }
  const [n, steps, classes] = logprobs.shape as [number, number, number];
  return tf.tidy(() =>
    tf.reshape(
      pickPerRow(
        tf.reshape(logprobs, [n * steps, classes]) as tf.Tensor2D,
        tf.reshape(tokens, [n * steps]) as tf.Tensor1D,
      ),
      [n, steps],
    ),
  );
}

/**
 * Masked sequence cross-entropy (AoANet's `LanguageModelCriterion`):
 * `−Σ mask · logprobs[target] / Σ mask`. See the file comment for the input conventions.
 *
 * @example
 * ```ts
 * const loss = sequenceCrossEntropy(logprobs, labels.slice([0, 1], [-1, -1]), masks.slice([0, 1], [-1, -1]));
 * ```
 */
export function sequenceCrossEntropy(logprobs: tf.Tensor, target: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const aligned = alignTargets('sequenceCrossEntropy', logprobs, target, mask);
    return tf.neg(maskedMean(tokenLogprobs(logprobs, aligned.target), aligned.mask));
  });
}

/** Options of {@link labelSmoothingLoss}. */
export interface LabelSmoothingOptions {
  /**
   * What the first argument holds: `'logprobs'` (default; `log_softmax` outputs, as the reference's
   * criterion takes them) or `'logits'` (before `log_softmax`; the log-softmax and the loss then run as
   * one fused op, {@link labelSmoothingCrossEntropy}: ~35 ms instead of ~300 ms for AoANet's
   * `[50, 17, 9488]` on wasm).
   */
  input?: 'logprobs' | 'logits';
}

/**
 * Label-smoothed loss exactly as AoANet's `LabelSmoothing(smoothing)`: the target distribution `q` puts
 * `1 − ε` on the gold token and `ε / (V − 1)` on every other class, index 0 included (V = the input's last
 * dimension = vocabulary + 1); the loss per position is `KL(q ‖ p) = Σ_v q_v (log q_v − logprobs_v)`,
 * masked mean over positions. Being a KL divergence it is lower than "cross-entropy with smoothed targets"
 * by the constant entropy of `q`, so values are not comparable with that form. `smoothing` 0 gives the
 * cross-entropy.
 *
 * @param input `[N, T, V]` log-probabilities, or logits with `options.input: 'logits'` (faster: fused with the
 * log-softmax)
 * @param smoothing ε in [0, 1) (AoANet's train.sh: 0.2)
 *
 * @example
 * ```ts
 * const loss = labelSmoothingLoss(tf.logSoftmax(logits), target, mask, 0.2);
 * const same = labelSmoothingLoss(logits, target, mask, 0.2, { input: 'logits' }); // fused, faster
 * ```
 */
export function labelSmoothingLoss(
  input: tf.Tensor,
  target: tf.Tensor,
  mask: tf.Tensor,
  smoothing: number,
  options: LabelSmoothingOptions = {},
): tf.Scalar {
  if (!(smoothing >= 0 && smoothing < 1))
    throw new LossInputError(`labelSmoothingLoss: smoothing must be in [0, 1), got ${smoothing}`);
  const classes = input.shape[input.rank - 1] as number;
  if (classes < 2)
    throw new LossInputError(
      `labelSmoothingLoss: input has shape ${describeShape(input)}, expected at least 2 classes`,
    );
  const from = options.input ?? 'logprobs';
  if (from !== 'logprobs' && from !== 'logits')
    throw new LossInputError(`labelSmoothingLoss: options.input must be 'logprobs' or 'logits', got ${String(from)}`);
  return tf.tidy(() => {
    const aligned = alignTargets('labelSmoothingLoss', input, target, mask);
    if (from === 'logits') {
      const [n, steps] = input.shape as [number, number, number];
      const rows = labelSmoothingCrossEntropy(
        tf.reshape(input, [n * steps, classes]) as tf.Tensor2D,
        tf.reshape(aligned.target, [n * steps]) as tf.Tensor1D,
        smoothing,
      );
      return maskedMean(tf.reshape(rows, [n, steps]), aligned.mask);
    }
    const { on, off, negativeEntropy } = smoothedTarget(smoothing, classes);
    // Σ_v q_v logprobs_v = off · Σ_v logprobs_v + (on − off) · logprobs[target]
    const crossTerm = tf.add(tf.mul(tf.sum(input, -1), off), tf.mul(tokenLogprobs(input, aligned.target), on - off));
    return maskedMean(tf.sub(negativeEntropy, crossTerm), aligned.mask);
  });
}

/**
 * Gradients by parameter name, and the two clipping rules of the reference code: AoANet's
 * `clip_gradient` (clamp every element to [−c, c]) and PyTorch's `clip_grad_norm_` (rescale all gradients
 * together when their global L2 norm exceeds a limit).
 */
import * as tf from '@tensorflow/tfjs-core';
import { gradientEntries, type NamedGradients, type NamedParameters, namedParametersOf, OptimizerError } from './adam';

/**
 * The loss and the gradient of every named trainable parameter it depends on (parameters it does not use
 * get no entry, like PyTorch's `grad is None`). The caller owns the returned tensors.
 *
 * @example
 * ```ts
 * const { loss, grads } = computeGradients(model, () => criterion(model.apply(batch), targets));
 * optimizer.step(grads);
 * tf.dispose([loss, ...grads.values()]);
 * ```
 */
export function computeGradients(
  params: NamedParameters,
  lossFn: () => tf.Scalar,
): {
  /** The value `lossFn` returned. */
  loss: tf.Scalar;
  /** Gradient of the loss by parameter name, each shaped like its parameter. */
  grads: Map<string, tf.Tensor>;
} {
  const named = namedParametersOf(params).filter(([, v]) => v.trainable);
  if (named.length === 0) throw new OptimizerError('computeGradients: no trainable parameters');
  const byVariable = new Map(named.map(([n, v]) => [v.name, n]));
  const { value, grads } = tf.variableGrads(
    lossFn,
    named.map(([, v]) => v),
  );
  const out = new Map<string, tf.Tensor>();
  for (const [variableName, g] of Object.entries(grads)) {
    const name = byVariable.get(variableName);
    if (name !== undefined) out.set(name, g);
    else g.dispose();
  }
  return { loss: value, grads: out };
}

/**
 * AoANet's `clip_gradient(optimizer, grad_clip)`: every gradient element clamped to `[−clip, clip]`.
 * Returns new tensors; the inputs are left alone.
 */
export function clipGradientsByValue(grads: NamedGradients, clip: number): Map<string, tf.Tensor> {
  if (!(clip > 0) || !Number.isFinite(clip))
    throw new OptimizerError(`clipGradientsByValue: clip must be a positive number, got ${clip}`);
  return new Map(gradientEntries(grads).map(([n, g]) => [n, tf.clipByValue(g, -clip, clip)]));
}

/**
 * PyTorch's `clip_grad_norm_(params, maxNorm)` (L2): `total = ‖(‖g₁‖, ‖g₂‖, …)‖`, every gradient is
 * multiplied by `min(1, maxNorm / (total + 1e-6))`. Returns new tensors and the total norm before
 * clipping (a scalar tensor the caller disposes; it is NaN or Infinity when a gradient is).
 */
export function clipGradientsByNorm(
  grads: NamedGradients,
  maxNorm: number,
): {
  /** The scaled gradients by parameter name (new tensors, also when no scaling was needed). */
  grads: Map<string, tf.Tensor>;
  /** The global L2 norm of the input gradients, before clipping. */
  totalNorm: tf.Scalar;
} {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm))
    throw new OptimizerError(`clipGradientsByNorm: maxNorm must be a positive number, got ${maxNorm}`);
  const entries = gradientEntries(grads);
  const [totalNorm, ...clipped] = tf.tidy(() => {
    const total = globalNormOf(entries.map(([, g]) => g));
    const coefficient = tf.minimum(tf.div(maxNorm, tf.add(total, 1e-6)), 1);
    return [total, ...entries.map(([, g]) => tf.mul(g, coefficient))];
  });
  return { grads: new Map(entries.map(([n], i) => [n, clipped[i] as tf.Tensor])), totalNorm: totalNorm as tf.Scalar };
}

/** `‖(‖g₁‖, ‖g₂‖, …)‖` as a new scalar (0 for no gradients); NaN or Infinity when a gradient is. */
function globalNormOf(gradients: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(
    () => (gradients.length === 0 ? tf.scalar(0) : tf.norm(tf.stack(gradients.map((g) => tf.norm(g))))) as tf.Scalar,
  );
}

/** The global L2 norm of the gradients (as {@link clipGradientsByNorm} computes it), read back as a number. */
export function globalGradientNorm(grads: NamedGradients): number {
  const total = globalNormOf(gradientEntries(grads).map(([, g]) => g));
  try {
    return total.dataSync()[0] as number;
  } finally {
    total.dispose();
  }
}

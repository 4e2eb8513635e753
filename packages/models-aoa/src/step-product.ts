/**
 * How the decoder multiplies by a weight used at every step of an unrolled recurrence (see
 * {@link StepProduct}): plainly, or through `@caption/core`'s `SharedWeight` / `SharedTable`, which form
 * the weight's gradient once after the last step instead of once per step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SharedTable, SharedWeight } from '@caption/core';

/**
 * How a recurrence multiplies a `[rows, in]` input by a weight `W` `[out, in]` (PyTorch layout) used at
 * every step: `weight ↦ (x ↦ x·Wᵀ)`, created once per unroll (inside the differentiated function).
 */
export type StepProduct = (weight: tf.Tensor) => (x: tf.Tensor) => tf.Tensor;

/** The plain {@link StepProduct}: `x·Wᵀ` with `tf.matMul` (autodiff forms one weight gradient per step). */
export const plainStepProduct: StepProduct = (weight) => (x) => tf.matMul(x, weight, false, true);

/**
 * The {@link StepProduct} whose weight gradient is formed once, `Σ_t dy_tᵀ·x_t = [dy_1; …; dy_T]ᵀ·[x_1; …; x_T]`:
 * core's `SharedWeight` with the `[out, in]` layout (the default of `AoAModel.forward` and
 * `selfCriticalSample`).
 */
export const tallGradientProduct: StepProduct = (weight) => {
  const shared = new SharedWeight(weight as tf.Tensor2D, { transposed: true });
  return (x) => shared.matMul(x);
};

/**
 * Row lookup `table[ids]` in a table used at every step of a recurrence (the word embedding when words
 * are fed one step at a time: sampling, scheduled sampling), whose gradient is formed once: core's
 * `SharedTable`.
 */
export function tallGradientLookup(table: tf.Tensor): (ids: tf.Tensor) => tf.Tensor {
  const shared = new SharedTable(table);
  return (ids) => shared.gather(ids);
}

/** `LayerNorm` in two flavours: PyTorch's `nn.LayerNorm` and the annotated-transformer/AoANet one. */
import * as tf from '@tensorflow/tfjs-core';
import { ModuleError } from './errors';
import { constantInit } from './init';
import { Module, type ModuleOptions } from './module';
import { assertLastDim, assertPositiveInteger, assertPositiveNumber } from './validate';

/**
 * Which normalisation {@link LayerNorm} computes.
 * - `'standard'`: `nn.LayerNorm`: `(x − μ) / sqrt(var + eps) · weight + bias`, biased variance, eps 1e-5,
 *   parameters `weight`, `bias`.
 * - `'annotated'`: the annotated transformer's, used everywhere in AoANet (`models/TransformerModel.py`):
 *   `a_2 · (x − μ) / (std + eps) + b_2` with the UNBIASED std (divides by N − 1) and eps (1e-6) added to
 *   the std, parameters `a_2`, `b_2`. It differs from the standard one by 0.045 on the reference fixture.
 */
export type LayerNormVariant = 'standard' | 'annotated';

/** Configuration of {@link LayerNorm}. */
export interface LayerNormConfig {
  /** Size of the normalised last dimension. */
  features: number;
  /** Default `'standard'`. */
  variant?: LayerNormVariant;
  /** Default 1e-5 (standard) or 1e-6 (annotated). */
  eps?: number;
}

/**
 * Layer normalisation over the last axis, with a gain (ones) and a bias (zeros).
 *
 * The annotated variant's std is `sqrt` of a variance that is exactly 0 on constant rows (e.g. the
 * zero-padded regions entering AoANet's refiner). Its gradient there is taken as 0, as PyTorch's `std`
 * backward does, instead of `0 · ∞ = NaN` (reference README item 18).
 *
 * @example
 * ```ts
 * const norm = new LayerNorm({ features: 1024, variant: 'annotated' }); // AoANet's; weights a_2, b_2
 * const y = tf.tidy(() => norm.apply(x));
 * ```
 */
export class LayerNorm extends Module<Required<LayerNormConfig>> {
  /** `'LayerNorm'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'LayerNorm';
  /** The gain (`weight` or `a_2`), `[features]`. */
  readonly gain: tf.Variable;
  /** The bias (`bias` or `b_2`), `[features]`. */
  readonly shift: tf.Variable;

  /**
   * Creates the gain (ones) and shift (zeros), `[features]` each, named `weight` / `bias` for the
   * `'standard'` variant (default; `eps` default 1e-5) and `a_2` / `b_2` for `'annotated'` (`eps` default 1e-6).
   *
   * @throws {ModuleError} for a non-positive `features` or `eps`, an unknown variant, or `'annotated'` with
   * `features < 2`
   */
  constructor(config: LayerNormConfig, options: ModuleOptions = {}) {
    assertPositiveInteger('LayerNorm', 'features', config.features);
    const variant = config.variant ?? 'standard';
    if (variant !== 'standard' && variant !== 'annotated') {
      throw new ModuleError(`LayerNorm: variant must be 'standard' or 'annotated', got '${String(variant)}'`);
    }
    if (variant === 'annotated' && config.features < 2) {
      throw new ModuleError('LayerNorm: the annotated variant needs features >= 2 (its std divides by N - 1)');
    }
    const eps = config.eps ?? (variant === 'standard' ? 1e-5 : 1e-6);
    assertPositiveNumber('LayerNorm', 'eps', eps);
    super({ features: config.features, variant, eps }, options);
    const [gainName, shiftName] = variant === 'standard' ? ['weight', 'bias'] : ['a_2', 'b_2'];
    this.gain = this.addParameter(gainName, [config.features], constantInit(1));
    this.shift = this.addParameter(shiftName, [config.features], constantInit(0));
  }

  /** Normalises `x` (`[..., features]`) over its last axis. */
  apply(x: tf.Tensor): tf.Tensor {
    this.assertUsable();
    const { features, variant, eps } = this.config;
    assertLastDim(`LayerNorm(${features}, ${variant}).apply`, 'x', x, features);
    return tf.tidy(() => {
      const mean = tf.mean(x, -1, true);
      const centered = tf.sub(x, mean);
      const sumSquares = tf.sum(tf.square(centered), -1, true);
      let normalised: tf.Tensor;
      if (variant === 'standard') {
        normalised = tf.mul(centered, tf.rsqrt(tf.add(tf.div(sumSquares, features), eps)));
      } else {
        const std = sqrtWithZeroGradientAtZero(tf.div(sumSquares, features - 1));
        normalised = tf.div(centered, tf.add(std, eps));
      }
      return tf.add(tf.mul(normalised, this.gain), this.shift);
    });
  }
}

/**
 * `sqrt(v)` for `v >= 0` whose gradient is `dy / (2 sqrt(v))` where `v > 0` and 0 where `v == 0`
 * (PyTorch's convention for `std`), so constant rows give no NaN in the backward pass.
 */
export function sqrtWithZeroGradientAtZero(v: tf.Tensor): tf.Tensor {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [variance, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const root = tf.sqrt(variance);
    save([root]);
    return {
      value: root,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedRoot] = saved as [tf.Tensor];
        return tf.divNoNan(tf.mul(dy, 0.5), savedRoot);
      },
    };
  });
  return op(v);
}

/** `LayerNorm` in two flavours: PyTorch's `nn.LayerNorm` and the annotated-transformer/AoANet one. */
import type * as tf from '@tensorflow/tfjs-core';
import type { LayerNormVariant } from '../backend/kernels/layer-norm';
import { layerNorm } from '../backend/ops/layer-norm';
import { ModuleError } from './errors';
import { constantInit } from './init';
import { Module, type ModuleOptions } from './module';
import { assertLastDim, assertPositiveInteger, assertPositiveNumber } from './validate';

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
    return layerNorm(x, this.gain, this.shift, { variant, eps });
  }
}

export type { LayerNormVariant } from '../backend/kernels/layer-norm';
export { sqrtWithZeroGradientAtZero } from '../backend/ops/layer-norm';

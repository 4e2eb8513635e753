/** `Linear`: y = x Wᵀ + b, with PyTorch's weight layout and default initialisation. */
import * as tf from '@tensorflow/tfjs-core';
import { uniformInit } from './init';
import { Module, type ModuleOptions } from './module';
import { assertLastDim, assertPositiveInteger } from './validate';

/** Configuration of {@link Linear}. */
export interface LinearConfig {
  /** Size of the input's last dimension. */
  inFeatures: number;
  /** Size of the output's last dimension. */
  outFeatures: number;
  /** Whether to add a bias vector (default true). */
  bias?: boolean;
}

/**
 * A fully connected layer over the last axis: `y = x Wᵀ + b` for `x` of shape `[..., inFeatures]`.
 *
 * Parameters (PyTorch `nn.Linear` names and layout, so reference weights load unchanged): `weight`
 * `[outFeatures, inFeatures]` and `bias` `[outFeatures]`, both initialised uniform in ±1/√inFeatures
 * (PyTorch's default).
 *
 * @example
 * ```ts
 * const proj = new Linear({ inFeatures: 2048, outFeatures: 1024 }, { rng: new Random(0) });
 * const y = tf.tidy(() => proj.apply(features)); // [B, 36, 2048] -> [B, 36, 1024]
 * ```
 */
export class Linear extends Module<Required<LinearConfig>> {
  /** `'Linear'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'Linear';
  /** `[outFeatures, inFeatures]`. */
  readonly weight: tf.Variable;
  /** `[outFeatures]`, or null without bias. */
  readonly bias: tf.Variable | null;

  /**
   * Creates `weight` `[outFeatures, inFeatures]` and `bias` `[outFeatures]` (unless `bias: false`), both
   * uniform in `±1/√inFeatures` as PyTorch's `nn.Linear.reset_parameters` (drawn from `options.rng`).
   *
   * @throws {ModuleError} when `inFeatures` or `outFeatures` is not a positive integer
   */
  constructor(config: LinearConfig, options: ModuleOptions = {}) {
    assertPositiveInteger('Linear', 'inFeatures', config.inFeatures);
    assertPositiveInteger('Linear', 'outFeatures', config.outFeatures);
    super({ inFeatures: config.inFeatures, outFeatures: config.outFeatures, bias: config.bias ?? true }, options);
    const bound = 1 / Math.sqrt(config.inFeatures);
    this.weight = this.addParameter('weight', [config.outFeatures, config.inFeatures], uniformInit(bound));
    this.bias = this.config.bias ? this.addParameter('bias', [config.outFeatures], uniformInit(bound)) : null;
  }

  /** `x Wᵀ + b` over the last axis of `x` (`[..., inFeatures]` → `[..., outFeatures]`). */
  apply(x: tf.Tensor): tf.Tensor {
    this.assertUsable();
    const { inFeatures, outFeatures } = this.config;
    assertLastDim(`Linear(${inFeatures}→${outFeatures}).apply`, 'x', x, inFeatures);
    return tf.tidy(() => {
      const flat = x.rank === 2 ? x : tf.reshape(x, [-1, inFeatures]);
      let y: tf.Tensor = tf.matMul(flat, this.weight, false, true);
      if (this.bias !== null) y = tf.add(y, this.bias);
      return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), outFeatures]);
    });
  }
}

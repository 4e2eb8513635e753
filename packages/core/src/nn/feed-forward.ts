/** `PositionwiseFeedForward`: the transformer's two-layer MLP applied at every position. */
import * as tf from '@tensorflow/tfjs-core';
import { activation, type ActivationName } from './activation';
import { Dropout } from './dropout';
import { ModuleError } from './errors';
import { Linear } from './linear';
import { Module, type ModuleOptions } from './module';
import { assertPositiveInteger, assertRate } from './validate';

/** Configuration of {@link PositionwiseFeedForward}. */
export interface PositionwiseFeedForwardConfig {
  /** Input and output size. */
  modelDim: number;
  /** Hidden size (AoANet: 2048 for d = 1024). */
  hiddenDim: number;
  /** Dropout after the activation (default 0.1). */
  dropout?: number;
  /** Activation between the layers (default `'relu'`). */
  activation?: ActivationName;
}

/**
 * `w_2(dropout(act(w_1(x))))` over the last axis (annotated transformer / AoANet `PositionwiseFeedForward`;
 * parameters `w_1.weight`, `w_1.bias`, `w_2.weight`, `w_2.bias`).
 *
 * @example
 * ```ts
 * const ff = new PositionwiseFeedForward({ modelDim: 1024, hiddenDim: 2048 });
 * const y = tf.tidy(() => ff.apply(x)); // [B, N, 1024]
 * ```
 */
export class PositionwiseFeedForward extends Module<Required<PositionwiseFeedForwardConfig>> {
  /** `'PositionwiseFeedForward'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'PositionwiseFeedForward';
  /** `modelDim → hiddenDim`. */
  readonly w1: Linear;
  /** `hiddenDim → modelDim`. */
  readonly w2: Linear;
  /** Dropout after the activation. */
  readonly dropout: Dropout;
  private readonly act: (x: tf.Tensor) => tf.Tensor;

  /**
   * Creates `w_1` (`modelDim → hiddenDim`), `w_2` (`hiddenDim → modelDim`) and the dropout (default
   * rate 0.1; activation default `'relu'`).
   *
   * @throws {ModuleError} for a non-positive dimension, a rate outside [0, 1) or an unknown activation
   */
  constructor(config: PositionwiseFeedForwardConfig, options: ModuleOptions = {}) {
    assertPositiveInteger('PositionwiseFeedForward', 'modelDim', config.modelDim);
    assertPositiveInteger('PositionwiseFeedForward', 'hiddenDim', config.hiddenDim);
    const rate = config.dropout ?? 0.1;
    assertRate('PositionwiseFeedForward', 'dropout', rate);
    const actName = config.activation ?? 'relu';
    let act: (x: tf.Tensor) => tf.Tensor;
    try {
      act = activation(actName);
    } catch (e) {
      throw new ModuleError(`PositionwiseFeedForward: ${(e as Error).message}`);
    }
    super({ modelDim: config.modelDim, hiddenDim: config.hiddenDim, dropout: rate, activation: actName }, options);
    this.act = act;
    this.w1 = this.addModule(
      'w_1',
      new Linear({ inFeatures: config.modelDim, outFeatures: config.hiddenDim }, { rng: this.rng }),
    );
    this.w2 = this.addModule(
      'w_2',
      new Linear({ inFeatures: config.hiddenDim, outFeatures: config.modelDim }, { rng: this.rng }),
    );
    this.dropout = this.addModule('dropout', new Dropout({ rate }, { rng: this.rng }));
  }

  /** The feed-forward output, same shape as `x` (`[..., modelDim]`). */
  apply(x: tf.Tensor): tf.Tensor {
    this.assertUsable();
    return tf.tidy(() => this.w2.apply(this.dropout.apply(this.act(this.w1.apply(x)))));
  }
}

/** The attention-on-attention (AoA) gate: an information vector gated by a sigmoid, both from `[v̂; q]`. */
import * as tf from '@tensorflow/tfjs-core';
import { Dropout, GLU, Linear, Module, type ModuleOptions } from '@caption/core';
import { AoAConfigError } from './errors';

/** Configuration of {@link AttentionOnAttention}. */
export interface AttentionOnAttentionConfig {
  /** Width of the attended vector `v̂` (AoANet: `multi_head_scale · d`). */
  attendedSize: number;
  /** Width of the query `q` (AoANet: `d`). */
  querySize: number;
  /** Width of the gated output (AoANet: `d`). */
  outputSize: number;
  /** Dropout on the input `[v̂; q]` (AoANet's `dropout_aoa`: 0.3 in the refiner; default 0). */
  inputDropout?: number;
}

/**
 * Attention on attention (Huang et al., 2019), as AoANet implements it (`aoa_layer`, `att2ctx`):
 *
 * ```
 * [i; g] = W · Dropout([v̂; q]) + b      (one linear layer, 2·outputSize outputs)
 * AoA(v̂, q) = i ⊙ σ(g)                  (GLU: first half = information vector, second half = attention gate)
 * ```
 *
 * The paper writes the information vector and the gate as two linear maps; one matrix with twice the
 * outputs followed by a GLU is the same function. Parameters (PyTorch `nn.Sequential(nn.Linear, nn.GLU)`
 * names): `0.weight` `[2·outputSize, attendedSize + querySize]`, `0.bias` `[2·outputSize]`.
 *
 * @example
 * ```ts
 * const aoa = new AttentionOnAttention({ attendedSize: 1024, querySize: 1024, outputSize: 1024 });
 * const context = tf.tidy(() => aoa.apply(attended, hidden)); // [B, 1024]
 * ```
 */
export class AttentionOnAttention extends Module<Required<AttentionOnAttentionConfig>> {
  /**
   * `'aoa.AttentionOnAttention'`: the name core's `moduleFromJSON` finds this class under (registered by the package
   * entry).
   */
  static override readonly className = 'aoa.AttentionOnAttention';
  /** The joint information/gate projection (`0`). */
  readonly linear: Linear;
  /** `i ⊙ σ(g)` over the two halves of the projection (`1`, no parameters). */
  readonly gate: GLU;
  /** Dropout on `[v̂; q]` (no parameters). */
  readonly inputDropout: Dropout;

  /**
   * Creates the gate's linear layer `0` (`attendedSize + querySize → 2·outputSize`, PyTorch's uniform
   * `±1/√in` init from `options.rng`), the GLU `1` and the input dropout (`inputDropout`, default 0).
   *
   * @throws {AoAConfigError} when a size is not a positive integer (a bad `inputDropout` is core's `ModuleError`)
   */
  constructor(config: AttentionOnAttentionConfig, options: ModuleOptions = {}) {
    const resolved: Required<AttentionOnAttentionConfig> = { ...config, inputDropout: config.inputDropout ?? 0 };
    for (const key of ['attendedSize', 'querySize', 'outputSize'] as const) {
      const v = resolved[key];
      if (!Number.isInteger(v) || v < 1) throw new AoAConfigError(key, `must be a positive integer, got ${String(v)}`);
    }
    super(resolved, options);
    const { attendedSize, querySize, outputSize } = resolved;
    this.linear = this.addModule(
      '0',
      new Linear({ inFeatures: attendedSize + querySize, outFeatures: 2 * outputSize }, { rng: this.rng }),
    );
    this.gate = this.addModule('1', new GLU({ axis: -1 }, { rng: this.rng }));
    this.inputDropout = this.addModule(
      'input_dropout',
      new Dropout({ rate: resolved.inputDropout }, { rng: this.rng }),
    );
  }

  /**
   * `AoA(v̂, q)` for `attended` `[..., attendedSize]` and `query` `[..., querySize]` (same leading shape).
   *
   * @param product optional replacement of the projection's `x·Wᵀ` (applied to the input flattened to 2-D),
   *   e.g. {@link tallGradientProduct}(weight)
   */
  apply(attended: tf.Tensor, query: tf.Tensor, product?: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
    this.assertUsable();
    return tf.tidy(() => {
      const joint = this.inputDropout.apply(tf.concat([attended, query], -1));
      if (product === undefined || this.linear.bias === null) return this.gate.apply(this.linear.apply(joint));
      const flat = joint.rank === 2 ? joint : tf.reshape(joint, [-1, joint.shape[joint.rank - 1] as number]);
      const projected = tf.add(product(flat), this.linear.bias);
      return this.gate.apply(
        joint.rank === 2
          ? projected
          : tf.reshape(projected, [...joint.shape.slice(0, -1), projected.shape[1] as number]),
      );
    });
  }
}

/** Single-head additive attention (AttModel.py `Attention`), AoANet's decoder attention when `use_multi_head` ≠ 2. */
import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, type ModuleOptions } from '@caption/core';
import { AoAConfigError, AoAInputError } from './errors';

/** Configuration of {@link AdditiveAttention}. */
export interface AdditiveAttentionConfig {
  /** Width of the query `h` (`rnn_size`). */
  querySize: number;
  /** Width of the projected keys (`att_hid_size`). */
  hiddenSize: number;
}

/**
 * Bahdanau-style attention over projected keys, as `models/AttModel.py` `Attention`:
 *
 * ```
 * e_i = w_α · tanh(K_i + W_h h + b_h) + b_α     (K = ctx2att(regions), precomputed once per image)
 * α = softmax(e);  with a mask: α ← α ⊙ m / Σ(α ⊙ m)
 * out = Σ_i α_i V_i                               (V = the refined regions)
 * ```
 *
 * Parameters: `h2att.weight` `[hidden, query]`, `h2att.bias`, `alpha_net.weight` `[1, hidden]`,
 * `alpha_net.bias`. No dropout.
 *
 * @example
 * ```ts
 * const att = new AdditiveAttention({ querySize: 1024, hiddenSize: 512 });
 * const context = tf.tidy(() => att.apply(h, projectedKeys, regions, mask)); // [B, 1024]
 * ```
 */
export class AdditiveAttention extends Module<AdditiveAttentionConfig> {
  /**
   * `'aoa.AdditiveAttention'`: the name core's `moduleFromJSON` finds this class under (registered by the package
   * entry).
   */
  static override readonly className = 'aoa.AdditiveAttention';
  /** Query projection (`h2att`). */
  readonly queryProjection: Linear;
  /** Score layer (`alpha_net`). */
  readonly scoreLayer: Linear;

  /**
   * Creates `h2att` (`querySize → hiddenSize`) and `alpha_net` (`hiddenSize → 1`), PyTorch's uniform
   * `±1/√in` init from `options.rng`.
   *
   * @throws {AoAConfigError} when `querySize` or `hiddenSize` is not a positive integer
   */
  constructor(config: AdditiveAttentionConfig, options: ModuleOptions = {}) {
    for (const key of ['querySize', 'hiddenSize'] as const) {
      if (!Number.isInteger(config[key]) || config[key] < 1)
        throw new AoAConfigError(key, `must be a positive integer, got ${String(config[key])}`);
    }
    super({ querySize: config.querySize, hiddenSize: config.hiddenSize }, options);
    this.queryProjection = this.addModule(
      'h2att',
      new Linear({ inFeatures: config.querySize, outFeatures: config.hiddenSize }, { rng: this.rng }),
    );
    this.scoreLayer = this.addModule(
      'alpha_net',
      new Linear({ inFeatures: config.hiddenSize, outFeatures: 1 }, { rng: this.rng }),
    );
  }

  /**
   * The attended values `[B, Dv]` for a query `[B, querySize]`, projected keys `[B, K, hiddenSize]`,
   * values `[B, K, Dv]` and an optional mask `[B, K]` (1 = region); or `[B, G, Dv]` for G queries per
   * row (`[B, G, querySize]`) over the same keys.
   */
  apply(query: tf.Tensor, keys: tf.Tensor, values: tf.Tensor, mask?: tf.Tensor | null): tf.Tensor {
    this.assertUsable();
    const where = 'AdditiveAttention.apply';
    if (
      keys.rank !== 3 ||
      values.rank !== 3 ||
      keys.shape[1] !== values.shape[1] ||
      (query.rank !== 2 && query.rank !== 3)
    ) {
      throw new AoAInputError(
        where,
        'query/keys/values',
        `have shapes [${query.shape.join(', ')}], [${keys.shape.join(', ')}], [${values.shape.join(', ')}]; expected ` +
          `[B, (G,) q], ` +
          `[B, K, h], [B, K, v]`,
      );
    }
    return tf.tidy(() => {
      const grouped = query.rank === 3 ? query : tf.expandDims(query, 1); // [B, G, q]
      const projectedQuery = tf.expandDims(this.queryProjection.apply(grouped), 2); // [B, G, 1, h]
      const scores = tf.squeeze(this.scoreLayer.apply(tf.tanh(tf.add(tf.expandDims(keys, 1), projectedQuery))), [3]); // [B, G, K]
      let weights = tf.softmax(scores, -1);
      if (mask !== undefined && mask !== null) {
        weights = tf.mul(weights, tf.expandDims(mask, 1));
        weights = tf.div(weights, tf.sum(weights, -1, true));
      }
      const attended = tf.matMul(weights, values); // [B, G, Dv]
      return query.rank === 3 ? attended : tf.squeeze(attended, [1]);
    });
  }
}

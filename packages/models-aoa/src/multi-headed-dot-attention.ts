/** AoANet's `MultiHeadedDotAttention`: core multi-head attention plus the optional attention-on-attention gate. */
import * as tf from '@tensorflow/tfjs-core';
import { type ModuleJSON, type ModuleOptions, MultiHeadAttention, type MultiHeadAttentionConfig } from '@caption/core';
import { AttentionOnAttention } from './attention-on-attention';
import { AoAConfigError } from './errors';

/**
 * Configuration of {@link MultiHeadedDotAttention}: the core {@link MultiHeadAttentionConfig} (`modelDim`,
 * `numHeads`, `scale` = `multi_head_scale`, `projectKeyValue` = `project_k_v`, `outputLayer` =
 * `use_output_layer`, `queryNorm` = `norm_q` (`'annotated'` is AoANet's LayerNorm), `dropout` on the
 * attention probabilities, 0.1) plus the AoA gate.
 */
export interface MultiHeadedDotAttentionConfig extends MultiHeadAttentionConfig {
  /** Gate the attended heads with attention on attention (`do_aoa`; default false). Removes the output layer. */
  doAoa?: boolean;
  /** Dropout on the AoA input `[v̂; q]` (`dropout_aoa`; default 0.3, as the reference's constructor). */
  dropoutAoa?: number;
}

/**
 * Multi-head scaled dot-product attention with AoANet's options (`models/AoAModel.py`
 * `MultiHeadedDotAttention`):
 *
 * ```
 * q̃ = LN(q) (normQuery) ;  Q = W_q q̃ + b_q ;  K' = W_k K + b_k, V' = W_v V + b_v (projectKeyValue)
 * v̂ = concat_h softmax(Q_h K'_hᵀ / √d_k, keys masked to −1e9) · Dropout_0.1 · V'_h      d_k = scale·d / h
 * out = AoA(v̂, q̃) (doAoa)  |  W_o v̂ + b_o (outputLayer)  |  v̂
 * ```
 *
 * Parameters: `norm.a_2`, `norm.b_2`, `linears.0/1/2` (query, key, value projections that exist),
 * `output_layer.*` or `aoa_layer.0.*`, the reference's state-dict names. Arguments go in the core order
 * `apply(query, key, value, mask)` (the reference's `forward(query, value, key, mask)` takes the value
 * first). Only keys are masked (`mask` 1 = attend, `[B, K]`); padded query rows are computed like the others.
 *
 * @example
 * ```ts
 * // one refiner self-attention of AoANet (d = 1024, 8 heads, AoA gate)
 * const selfAttention = new MultiHeadedDotAttention({ modelDim: 1024, numHeads: 8, doAoa: true, dropoutAoa: 0.3 });
 * const y = tf.tidy(() => selfAttention.apply(x, x, x, mask)); // [B, K, 1024]
 * ```
 */
export class MultiHeadedDotAttention extends MultiHeadAttention {
  /**
   * `'aoa.MultiHeadedDotAttention'`: the name core's `moduleFromJSON` finds this class under (registered by the package
   * entry).
   */
  static override readonly className = 'aoa.MultiHeadedDotAttention';
  /** The AoA gate (`aoa_layer`), or null without `doAoa`. */
  readonly aoaLayer: AttentionOnAttention | null;
  private readonly aoaOptions: { doAoa: boolean; dropoutAoa: number };

  /**
   * Builds core's {@link MultiHeadAttention} from the same options and, with `doAoa`, the `aoa_layer`
   * ({@link AttentionOnAttention}, `scale·modelDim + modelDim → modelDim`, input dropout `dropoutAoa`) in
   * place of the output layer, which the reference deletes when the gate is on (`outputLayer` is then
   * ignored).
   *
   * @throws {AoAConfigError} when `doAoa` is not a boolean or `dropoutAoa` is not in [0, 1) (the core
   *   options raise core's `ModuleError`)
   */
  constructor(config: MultiHeadedDotAttentionConfig, options: ModuleOptions = {}) {
    const doAoa = config.doAoa ?? false;
    const dropoutAoa = config.dropoutAoa ?? 0.3;
    if (typeof doAoa !== 'boolean')
      throw new AoAConfigError('doAoa', `must be a boolean, got ${JSON.stringify(doAoa)}`);
    if (!(dropoutAoa >= 0 && dropoutAoa < 1))
      throw new AoAConfigError('dropoutAoa', `must be in [0, 1), got ${String(dropoutAoa)}`);
    const { doAoa: _doAoa, dropoutAoa: _dropoutAoa, ...core } = config;
    // The reference deletes the output layer when the AoA gate is on.
    super({ ...core, outputLayer: doAoa ? false : (core.outputLayer ?? true) }, options);
    this.aoaOptions = { doAoa, dropoutAoa };
    const { modelDim, scale } = this.config;
    this.aoaLayer = doAoa
      ? this.addModule(
          'aoa_layer',
          new AttentionOnAttention(
            { attendedSize: scale * modelDim, querySize: modelDim, outputSize: modelDim, inputDropout: dropoutAoa },
            { rng: this.rng },
          ),
        )
      : null;
  }

  /**
   * The attention output (see the class comment); `[B, Tq, d]`, or `[B, d]` for a 2-D query.
   *
   * @param product optional replacement of the AoA gate's projection product (see {@link AttentionOnAttention.apply})
   */
  override apply(
    query: tf.Tensor,
    key: tf.Tensor,
    value: tf.Tensor,
    mask?: tf.Tensor,
    product?: (x: tf.Tensor) => tf.Tensor,
  ): tf.Tensor {
    if (this.aoaLayer === null) return super.apply(query, key, value, mask);
    const aoa = this.aoaLayer;
    return tf.tidy(() => {
      const heads = this.attend(query, key, value, mask);
      return aoa.apply(heads.attended, heads.query, product);
    });
  }

  /** `{ className, config }` including `doAoa` and `dropoutAoa`. */
  override toJSON(): ModuleJSON<
    Required<MultiHeadAttentionConfig> & {
      /** Whether the AoA gate replaces the output layer (`do_aoa`). */
      doAoa: boolean;
      /** Dropout on the AoA input (`dropout_aoa`). */
      dropoutAoa: number;
    }
  > {
    return { className: this.className, config: { ...this.config, ...this.aoaOptions } };
  }
}

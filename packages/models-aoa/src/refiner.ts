/** AoANet's refiner: six pre-norm residual layers of self-attention with attention on attention, then a LayerNorm. */
import * as tf from '@tensorflow/tfjs-core';
import {
  LayerNorm,
  Module,
  ModuleList,
  type ModuleOptions,
  PositionwiseFeedForward,
  SublayerConnection,
} from '@caption/core';
import { AoAConfigError } from './errors';
import { MultiHeadedDotAttention } from './multi-headed-dot-attention';
import type { StepProduct } from './step-product';

/** Configuration of {@link AoARefinerLayer}. */
export interface AoARefinerLayerConfig {
  /** Feature width `d` (`rnn_size`). */
  modelDim: number;
  /** Attention heads (`num_heads`). */
  numHeads: number;
  /** `multi_head_scale` (default 1). */
  scale?: number;
  /** AoA gate on the self-attention (`refine_aoa`; default true); otherwise an output linear layer. */
  refineAoa?: boolean;
  /** Feed-forward sub-layer d → 2048 → d (`use_ff`; default false). */
  useFf?: boolean;
  /** Hidden width of that sub-layer (the reference hard-codes 2048). */
  feedForwardDim?: number;
  /** Dropout on the AoA input (`dropout_aoa`; default 0.3). */
  dropoutAoa?: number;
  /** Dropout of the residual branches, the attention probabilities and the feed-forward layer (hard-coded 0.1). */
  dropout?: number;
}

function resolveLayerConfig(config: AoARefinerLayerConfig): Required<AoARefinerLayerConfig> {
  return {
    modelDim: config.modelDim,
    numHeads: config.numHeads,
    scale: config.scale ?? 1,
    refineAoa: config.refineAoa ?? true,
    useFf: config.useFf ?? false,
    feedForwardDim: config.feedForwardDim ?? 2048,
    dropoutAoa: config.dropoutAoa ?? 0.3,
    dropout: config.dropout ?? 0.1,
  };
}

/**
 * One refiner layer (`AoA_Refiner_Layer`), pre-norm residual:
 *
 * ```
 * x ← x + Dropout_0.1( MHA_AoA(LN(x), LN(x), LN(x), mask) )
 * x ← x + Dropout_0.1( FFN(LN'(x)) )                         (useFf)
 * ```
 *
 * Parameters: `self_attn.*` ({@link MultiHeadedDotAttention} with key/value projection and, with
 * `refineAoa`, the AoA gate), `feed_forward.w_1/w_2.*` (`useFf`), `sublayer.0.norm.*` (and `sublayer.1`).
 * The zero-padded regions give LayerNorm inputs with variance 0; core's LayerNorm gives them a zero std
 * gradient, as PyTorch, instead of NaN.
 *
 * @example
 * ```ts
 * const layer = new AoARefinerLayer({ modelDim: 1024, numHeads: 8 });
 * const y = tf.tidy(() => layer.apply(regions, mask)); // [B, K, 1024]
 * ```
 */
export class AoARefinerLayer extends Module<Required<AoARefinerLayerConfig>> {
  /**
   * `'aoa.RefinerLayer'`: the name core's `moduleFromJSON` finds this class under (registered by the package entry).
   */
  static override readonly className = 'aoa.RefinerLayer';
  /** The self-attention (`self_attn`). */
  readonly selfAttention: MultiHeadedDotAttention;
  /** The feed-forward sub-layer (`feed_forward`), or null. */
  readonly feedForward: PositionwiseFeedForward | null;
  /** The residual wrappers (`sublayer.0`, and `sublayer.1` with the feed-forward layer). */
  readonly sublayers: ModuleList<SublayerConnection>;

  /**
   * Creates `self_attn` ({@link MultiHeadedDotAttention} with projected keys and values, the AoA gate when
   * `refineAoa`, default true), `feed_forward` only with `useFf` (default false; hidden width
   * `feedForwardDim`, default 2048) and one `SublayerConnection` per sub-layer (`sublayer.0`, `.1`).
   * Dropout defaults: `dropout` 0.1 (attention probabilities, feed-forward, residuals), `dropoutAoa` 0.3 (AoA input).
   *
   * @throws {AoAConfigError} when `dropout` is not in [0, 1) (other bad values surface from the sub-modules)
   */
  constructor(config: AoARefinerLayerConfig, options: ModuleOptions = {}) {
    const c = resolveLayerConfig(config);
    if (!(c.dropout >= 0 && c.dropout < 1))
      throw new AoAConfigError('dropout', `must be in [0, 1), got ${String(c.dropout)}`);
    super(c, options);
    const rng = { rng: this.rng };
    this.selfAttention = this.addModule(
      'self_attn',
      new MultiHeadedDotAttention(
        {
          modelDim: c.modelDim,
          numHeads: c.numHeads,
          scale: c.scale,
          projectKeyValue: true,
          doAoa: c.refineAoa,
          dropoutAoa: c.dropoutAoa,
          dropout: c.dropout,
        },
        rng,
      ),
    );
    this.feedForward = c.useFf
      ? this.addModule(
          'feed_forward',
          new PositionwiseFeedForward({ modelDim: c.modelDim, hiddenDim: c.feedForwardDim, dropout: c.dropout }, rng),
        )
      : null;
    const count = c.useFf ? 2 : 1;
    this.sublayers = this.addModule(
      'sublayer',
      new ModuleList(
        Array.from({ length: count }, () => new SublayerConnection({ size: c.modelDim, dropout: c.dropout }, rng)),
        rng,
      ),
    );
  }

  /**
   * The refined regions `[B, K, d]` for `x` `[B, K, d]` and an optional key mask `[B, K]` (1 = region).
   *
   * @param product how the AoA gate multiplies by its weight (default `x·Wᵀ`; see {@link StepProduct})
   */
  apply(x: tf.Tensor, mask?: tf.Tensor | null, product?: StepProduct): tf.Tensor {
    this.assertUsable();
    const m = mask ?? undefined;
    const aoa = this.selfAttention.aoaLayer;
    return tf.tidy(() => {
      const gateProduct = product === undefined || aoa === null ? undefined : product(aoa.linear.weight);
      const attended = this.sublayers.get(0).apply(x, (n) => this.selfAttention.apply(n, n, n, m, gateProduct));
      const ff = this.feedForward;
      return ff === null ? attended : this.sublayers.get(1).apply(attended, (n) => ff.apply(n));
    });
  }
}

/** Configuration of {@link AoARefiner}: a layer's configuration plus the number of layers. */
export interface AoARefinerConfig extends AoARefinerLayerConfig {
  /** Number of layers (the reference hard-codes 6). */
  numLayers?: number;
}

/**
 * The refiner (`AoA_Refiner_Core`): `A = LN(layer₆(… layer₁(x, mask) …, mask))` with independent layer
 * weights (the reference deep-copies one initialised layer, so its 6 layers start identical; here each
 * layer draws its own weights). The paper describes post-norm `LN(x + AoA(…))`; the code, and this
 * port, are pre-norm plus a final LayerNorm. Parameters: `layers.<i>.*`, `norm.a_2`, `norm.b_2`.
 *
 * @example
 * ```ts
 * const refiner = new AoARefiner({ modelDim: 1024, numHeads: 8 });
 * const refined = tf.tidy(() => refiner.apply(embeddedRegions, mask));
 * ```
 */
export class AoARefiner extends Module<Required<AoARefinerConfig>> {
  /** `'aoa.Refiner'`: the name core's `moduleFromJSON` finds this class under (registered by the package entry). */
  static override readonly className = 'aoa.Refiner';
  /** The layers (`layers`). */
  readonly layers: ModuleList<AoARefinerLayer>;
  /** The final LayerNorm (`norm`, AoANet's variant). */
  readonly norm: LayerNorm;

  /**
   * Creates `numLayers` (default 6, the reference's) {@link AoARefinerLayer}s as `layers.<i>`, all with
   * the same options, and the final `norm` (annotated LayerNorm over `modelDim`).
   *
   * @throws {AoAConfigError} when `numLayers` is not a positive integer, or for a layer option
   */
  constructor(config: AoARefinerConfig, options: ModuleOptions = {}) {
    const numLayers = config.numLayers ?? 6;
    if (!Number.isInteger(numLayers) || numLayers < 1)
      throw new AoAConfigError('numLayers', `must be a positive integer, got ${String(numLayers)}`);
    const c: Required<AoARefinerConfig> = { ...resolveLayerConfig(config), numLayers };
    super(c, options);
    const { numLayers: _n, ...layerConfig } = c;
    this.layers = this.addModule(
      'layers',
      new ModuleList(
        Array.from({ length: numLayers }, () => new AoARefinerLayer(layerConfig, { rng: this.rng })),
        { rng: this.rng },
      ),
    );
    this.norm = this.addModule(
      'norm',
      new LayerNorm({ features: c.modelDim, variant: 'annotated' }, { rng: this.rng }),
    );
  }

  /** The refined regions `[B, K, d]` (see {@link AoARefinerLayer.apply}). */
  apply(x: tf.Tensor, mask?: tf.Tensor | null, product?: StepProduct): tf.Tensor {
    this.assertUsable();
    return tf.tidy(() => {
      let y = x;
      for (const layer of this.layers) y = layer.apply(y, mask, product);
      return this.norm.apply(y);
    });
  }
}

/**
 * `MultiHeadAttention`: scaled dot-product attention over several heads, configurable like AoANet's
 * `MultiHeadedDotAttention` (optional query LayerNorm, optional key/value projection, optional output
 * layer, attention-probability dropout, width scale) with the same parameter names.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ModuleList } from './containers';
import { Dropout } from './dropout';
import { ModuleError } from './errors';
import { LayerNorm, type LayerNormVariant } from './layer-norm';
import { Linear } from './linear';
import { Module, type ModuleOptions } from './module';
import { assertLastDim, assertPositiveInteger, assertRank, assertRate } from './validate';

/** Configuration of {@link MultiHeadAttention}. */
export interface MultiHeadAttentionConfig {
  /** `d_model`: the size of the query, key and value inputs and of the output. */
  modelDim: number;
  /** Number of heads `h`; `scale · modelDim` must be divisible by it. */
  numHeads: number;
  /** AoANet's `multi_head_scale`: the attention width is `scale · modelDim` (default 1). */
  scale?: number;
  /** Project the query with a linear layer (default true). */
  projectQuery?: boolean;
  /**
   * Project key and value with linear layers (default true; AoANet's `project_k_v`). Without projection
   * they must already have the attention width `scale · modelDim`.
   */
  projectKeyValue?: boolean;
  /** Map the concatenated heads back to `modelDim` with `output_layer` (default true). */
  outputLayer?: boolean;
  /** Dropout on the attention probabilities (default 0.1, AoANet's hard-coded value). */
  dropout?: number;
  /** LayerNorm the query before its projection (AoANet's `norm_q`; default `'none'`). */
  queryNorm?: 'none' | LayerNormVariant;
}

/** Heads concatenated, before the output layer, plus the (normalised) query that produced them. */
export interface AttentionHeads {
  /** `[B, Tq, scale·modelDim]`, or `[B, scale·modelDim]` for a 2-D query. */
  attended: tf.Tensor;
  /** The query after the optional LayerNorm (same shape as the given query), e.g. for an AoA gate. */
  query: tf.Tensor;
}

/**
 * Multi-head scaled dot-product attention:
 * `softmax(Q Kᵀ / √d_k + mask) V` per head, `d_k = scale · modelDim / numHeads`, heads concatenated, then
 * the optional output layer.
 *
 * Parameters (AoANet `MultiHeadedDotAttention` names): `norm.a_2`/`norm.b_2` (or `norm.weight`/`norm.bias`)
 * with `queryNorm`; `linears.0`, `linears.1`, `linears.2` = the query, key and value projections that exist,
 * in that order; `output_layer` with `outputLayer`.
 *
 * Inputs: `query` `[B, Tq, d]` or `[B, d]` (a single query, squeezed back in the output), `key` and `value`
 * `[B, K, d]` (note the order: AoANet's `forward(query, value, key, mask)` takes the value first).
 * `mask` (float 1/0 or bool; 1 = attend): `[B, K]`, `[B, Tq | 1, K]` or rank 4 broadcastable to
 * `[B, h, Tq, K]`. Masked scores are set to exactly −1e9 (PyTorch's `masked_fill`), so a fully masked row
 * attends uniformly as in the reference, and no gradient flows through masked scores. Only keys are
 * masked; padded query rows are computed like the others. Products use `matMul` (einsum has no gradient
 * in tfjs).
 *
 * @example
 * ```ts
 * // AoANet's decoder attention: LayerNorm'd, projected query; keys/values already projected.
 * const att = new MultiHeadAttention({ modelDim: 1024, numHeads: 8, projectKeyValue: false,
 *   outputLayer: false, queryNorm: 'annotated' }, { rng: new Random(0) });
 * const context = tf.tidy(() => att.apply(hAtt, keys, values, mask)); // [B, 1024]
 * ```
 */
export class MultiHeadAttention extends Module<Required<MultiHeadAttentionConfig>> {
  /** `'MultiHeadAttention'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className: string = 'MultiHeadAttention';
  /** Query LayerNorm, or null. */
  readonly norm: LayerNorm | null;
  /** The projections that exist, in the order query, key, value. */
  readonly linears: ModuleList<Linear>;
  /** Output layer, or null. */
  readonly outputLayer: Linear | null;
  /** Dropout on the attention probabilities. */
  readonly attentionDropout: Dropout;
  /** Per-head width `d_k`. */
  readonly headDim: number;
  private readonly queryProjection: Linear | null;
  private readonly keyProjection: Linear | null;
  private readonly valueProjection: Linear | null;

  /**
   * Creates the optional query LayerNorm (`norm`), the query / key / value projections that are enabled
   * (`linears.0`, `.1`, `.2` in that order, `modelDim → scale·modelDim` each), the optional `output_layer`
   * (`scale·modelDim → modelDim`) and the attention dropout; see {@link MultiHeadAttentionConfig} for the defaults.
   *
   * @throws {ModuleError} for a bad dimension, head count, dropout rate or `queryNorm`
   */
  constructor(config: MultiHeadAttentionConfig, options: ModuleOptions = {}) {
    const normalised = normaliseConfig(config);
    super(normalised, options);
    const { modelDim, numHeads, scale } = normalised;
    const width = modelDim * scale;
    this.headDim = width / numHeads;
    this.norm =
      normalised.queryNorm === 'none'
        ? null
        : this.addModule(
            'norm',
            new LayerNorm({ features: modelDim, variant: normalised.queryNorm }, { rng: this.rng }),
          );
    const projection = () => new Linear({ inFeatures: modelDim, outFeatures: width }, { rng: this.rng });
    this.queryProjection = normalised.projectQuery ? projection() : null;
    this.keyProjection = normalised.projectKeyValue ? projection() : null;
    this.valueProjection = normalised.projectKeyValue ? projection() : null;
    const present = [this.queryProjection, this.keyProjection, this.valueProjection].filter(
      (l): l is Linear => l !== null,
    );
    this.linears = this.addModule('linears', new ModuleList(present, { rng: this.rng }));
    this.outputLayer = normalised.outputLayer
      ? this.addModule('output_layer', new Linear({ inFeatures: width, outFeatures: modelDim }, { rng: this.rng }))
      : null;
    this.attentionDropout = this.addModule('dropout', new Dropout({ rate: normalised.dropout }, { rng: this.rng }));
  }

  /** The attention output: {@link MultiHeadAttention.attend} followed by the output layer when configured. */
  apply(query: tf.Tensor, key: tf.Tensor, value: tf.Tensor, mask?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const { attended } = this.attend(query, key, value, mask);
      return this.outputLayer === null ? attended : this.outputLayer.apply(attended);
    });
  }

  /**
   * The concatenated heads before the output layer, with the normalised query (for subclasses that add a
   * gate on `[attended; query]`, such as AoANet's attention on attention).
   */
  attend(query: tf.Tensor, key: tf.Tensor, value: tf.Tensor, mask?: tf.Tensor): AttentionHeads {
    this.assertUsable();
    const { modelDim, numHeads, scale } = this.config;
    const width = modelDim * scale;
    const where = `${this.className}(d=${modelDim}, h=${numHeads}).attend`;
    assertRank(where, 'query', query, [2, 3]);
    assertRank(where, 'key', key, 3);
    assertRank(where, 'value', value, 3);
    assertLastDim(where, 'query', query, this.queryProjection === null ? width : modelDim);
    assertLastDim(where, 'key', key, this.keyProjection === null ? width : modelDim);
    assertLastDim(where, 'value', value, this.valueProjection === null ? width : modelDim);
    const batch = query.shape[0] as number;
    if (key.shape[0] !== batch || value.shape[0] !== batch || key.shape[1] !== value.shape[1]) {
      throw new ModuleError(
        `${where}: query [${query.shape.join(', ')}], key [${key.shape.join(', ')}] and ` +
          `value [${value.shape.join(', ')}] ` +
          'must share the batch size, and key and value the number of positions',
      );
    }
    const keyCount = key.shape[1] as number;
    const singleQuery = query.rank === 2;
    const maskShape = mask === undefined ? null : attentionMaskShape(where, mask, batch, keyCount);

    return tf.tidy(() => {
      const normalisedQuery = this.norm === null ? query : this.norm.apply(query);
      const q3 = singleQuery ? tf.expandDims(normalisedQuery, 1) : normalisedQuery;
      const q = this.queryProjection === null ? q3 : this.queryProjection.apply(q3);
      const k = this.keyProjection === null ? key : this.keyProjection.apply(key);
      const v = this.valueProjection === null ? value : this.valueProjection.apply(value);
      const queryCount = q.shape[1] as number;
      const split = (t: tf.Tensor, positions: number) =>
        tf.transpose(tf.reshape(t, [batch, positions, numHeads, this.headDim]), [0, 2, 1, 3]);
      const qh = split(q, queryCount);
      const kh = split(k, keyCount);
      const vh = split(v, keyCount);
      let scores = tf.div(tf.matMul(qh, kh, false, true), Math.sqrt(this.headDim));
      if (mask !== undefined && maskShape !== null) {
        const m = tf.reshape(mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32'), maskShape);
        // scores·m + (m − 1)·1e9: exactly −1e9 where m = 0 (masked_fill), unchanged where m = 1.
        scores = tf.add(tf.mul(scores, m), tf.mul(tf.sub(m, 1), 1e9));
      }
      const probabilities = this.attentionDropout.apply(tf.softmax(scores, -1));
      const heads = tf.matMul(probabilities, vh);
      const merged = tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [batch, queryCount, width]);
      return {
        attended: singleQuery ? tf.squeeze(merged, [1]) : merged,
        query: normalisedQuery,
      };
    });
  }
}

function normaliseConfig(config: MultiHeadAttentionConfig): Required<MultiHeadAttentionConfig> {
  const c: Required<MultiHeadAttentionConfig> = {
    modelDim: config.modelDim,
    numHeads: config.numHeads,
    scale: config.scale ?? 1,
    projectQuery: config.projectQuery ?? true,
    projectKeyValue: config.projectKeyValue ?? true,
    outputLayer: config.outputLayer ?? true,
    dropout: config.dropout ?? 0.1,
    queryNorm: config.queryNorm ?? 'none',
  };
  assertPositiveInteger('MultiHeadAttention', 'modelDim', c.modelDim);
  assertPositiveInteger('MultiHeadAttention', 'numHeads', c.numHeads);
  assertPositiveInteger('MultiHeadAttention', 'scale', c.scale);
  assertRate('MultiHeadAttention', 'dropout', c.dropout);
  if ((c.modelDim * c.scale) % c.numHeads !== 0) {
    throw new ModuleError(
      `MultiHeadAttention: scale·modelDim = ${c.modelDim * c.scale} is not divisible by numHeads = ${c.numHeads}`,
    );
  }
  if (!['none', 'standard', 'annotated'].includes(c.queryNorm)) {
    throw new ModuleError(
      `MultiHeadAttention: queryNorm must be 'none', 'standard' or 'annotated', got '${String(c.queryNorm)}'`,
    );
  }
  return c;
}

/** The rank-4 shape `[B | 1, 1 | h, Tq | 1, K]` a mask is reshaped to (AoANet's unsqueeze rules). */
function attentionMaskShape(where: string, mask: tf.Tensor, batch: number, keyCount: number): number[] {
  const s = mask.shape;
  const bad = () =>
    new ModuleError(
      `${where}: mask has ` +
        `shape [${s.join(', ')}]; expected [${batch}, ${keyCount}], [${batch}, Tq | 1, ${keyCount}] or rank 4`,
    );
  if (s[s.length - 1] !== keyCount || (s[0] !== batch && s[0] !== 1)) throw bad();
  if (mask.rank === 2) return [s[0] as number, 1, 1, keyCount];
  if (mask.rank === 3) return [s[0] as number, 1, s[1] as number, keyCount];
  if (mask.rank === 4) return [...s];
  throw bad();
}

/**
 * OpenAI CLIP's transformer (`clip/model.py`: `ResidualAttentionBlock`, `Transformer`) with its state-dict
 * names: `resblocks.N.attn.in_proj_weight` (PyTorch `nn.MultiheadAttention`, packed q/k/v rows),
 * `attn.out_proj`, `ln_1`, `mlp.c_fc`, `mlp.c_proj` (QuickGELU between them), `ln_2`.
 *
 * Computed batch-first (`[B, T, W]`); OpenAI's code permutes to `[T, B, W]` for `nn.MultiheadAttention`,
 * which gives the same numbers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LayerNorm, Linear, Module, ModuleList, normalInit, uniformInit, type ModuleOptions } from '@caption/core';
import { ClipConfigError, checkPositiveInteger } from './errors';

/** CLIP's activation `x · σ(1.702 x)` (every CLIP transformer MLP uses it, not GELU). */
export function quickGelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))));
}

/**
 * Scaled dot-product attention over `heads` heads of already projected queries `[B, Tq, W]`, keys and values
 * `[B, Tk, W]`; `mask` is added to the scores (`[Tq, Tk]`, e.g. 0 / −∞ causal). Returns the heads concatenated,
 * `[B, Tq, W]`.
 */
export function scaledDotProductAttention(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  heads: number,
  mask?: tf.Tensor2D,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, tq, width] = q.shape;
    const tk = k.shape[1];
    const d = width / heads;
    const split = (x: tf.Tensor3D, t: number) => tf.transpose(tf.reshape(x, [b, t, heads, d]), [0, 2, 1, 3]);
    let scores = tf.matMul(split(tf.mul(q, 1 / Math.sqrt(d)), tq), split(k, tk), false, true); // [B, H, Tq, Tk]
    if (mask !== undefined) scores = tf.add(scores, mask);
    const context = tf.matMul(tf.softmax(scores), split(v, tk)); // [B, H, Tq, d]
    return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [b, tq, width]) as tf.Tensor3D;
  });
}

/** Configuration of {@link ClipMultiheadAttention}. */
export interface ClipMultiheadAttentionConfig {
  /** Model width `W`. */
  width: number;
  /** Heads; must divide `width`. */
  heads: number;
}

/**
 * PyTorch `nn.MultiheadAttention(width, heads)` as CLIP uses it (self-attention, no dropout): `in_proj_weight`
 * `[3W, W]` (rows: q, k, v), `in_proj_bias` `[3W]`, `out_proj.{weight,bias}`. PyTorch's init (Xavier-uniform
 * packed projection, zero biases).
 */
export class ClipMultiheadAttention extends Module<ClipMultiheadAttentionConfig> {
  /** `'clipcap.ClipMultiheadAttention'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.ClipMultiheadAttention';
  /** `[3W, W]`: query, key and value projections stacked by rows. */
  readonly inProjWeight: tf.Variable;
  /** `[3W]`. */
  readonly inProjBias: tf.Variable;
  /** Output projection. */
  readonly outProj: Linear;

  /** @throws {ClipConfigError} when a size is not a positive integer or `heads` does not divide `width` */
  constructor(config: ClipMultiheadAttentionConfig, options: ModuleOptions = {}) {
    checkPositiveInteger('attention.width', config.width);
    checkPositiveInteger('attention.heads', config.heads);
    if (config.width % config.heads !== 0) {
      throw new ClipConfigError('heads', `${config.heads} does not divide the width ${config.width}`);
    }
    super({ width: config.width, heads: config.heads }, options);
    const w = config.width;
    this.inProjWeight = this.addParameter('in_proj_weight', [3 * w, w], uniformInit(Math.sqrt(6 / (4 * w))));
    this.inProjBias = this.addParameter('in_proj_bias', [3 * w], new Float32Array(3 * w));
    this.outProj = this.addModule('out_proj', new Linear({ inFeatures: w, outFeatures: w }, { rng: this.rng }));
    tf.tidy(() => this.outProj.bias?.assign(tf.zeros([w])));
  }

  /** Self-attention of `x` `[B, T, W]` with an optional additive `mask` `[T, T]`. */
  apply(x: tf.Tensor3D, mask?: tf.Tensor2D): tf.Tensor3D {
    this.assertUsable();
    return tf.tidy(() => {
      const [b, t, w] = x.shape;
      const qkv = tf.add(tf.matMul(tf.reshape(x, [b * t, w]), this.inProjWeight, false, true), this.inProjBias);
      const [q, k, v] = tf.split(tf.reshape(qkv, [b, t, 3 * w]), 3, 2) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
      const context = scaledDotProductAttention(q, k, v, this.config.heads, mask);
      return this.outProj.apply(context) as tf.Tensor3D;
    });
  }
}

/** CLIP's block MLP: `c_fc` (W → 4W), QuickGELU, `c_proj` (4W → W). */
export class ClipMlp extends Module<{ width: number }> {
  /** `'clipcap.ClipMlp'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.ClipMlp';
  /** W → 4W. */
  readonly cFc: Linear;
  /** 4W → W. */
  readonly cProj: Linear;

  /** Creates `c_fc` and `c_proj` with PyTorch's `Linear` init. */
  constructor(config: { width: number }, options: ModuleOptions = {}) {
    checkPositiveInteger('mlp.width', config.width);
    super({ width: config.width }, options);
    const w = config.width;
    this.cFc = this.addModule('c_fc', new Linear({ inFeatures: w, outFeatures: 4 * w }, { rng: this.rng }));
    this.cProj = this.addModule('c_proj', new Linear({ inFeatures: 4 * w, outFeatures: w }, { rng: this.rng }));
  }

  /** `c_proj(quickGelu(c_fc(x)))`. */
  apply(x: tf.Tensor): tf.Tensor {
    this.assertUsable();
    return tf.tidy(() => this.cProj.apply(quickGelu(this.cFc.apply(x))));
  }
}

/** CLIP's `ResidualAttentionBlock`: `x += attn(ln_1(x)); x += mlp(ln_2(x))`. */
export class ResidualAttentionBlock extends Module<ClipMultiheadAttentionConfig> {
  /** `'clipcap.ResidualAttentionBlock'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.ResidualAttentionBlock';
  /** Self-attention. */
  readonly attn: ClipMultiheadAttention;
  /** LayerNorm before the attention (eps 1e-5). */
  readonly ln1: LayerNorm;
  /** The MLP. */
  readonly mlp: ClipMlp;
  /** LayerNorm before the MLP. */
  readonly ln2: LayerNorm;

  /** Creates `attn`, `ln_1`, `mlp`, `ln_2` in PyTorch's registration order. */
  constructor(config: ClipMultiheadAttentionConfig, options: ModuleOptions = {}) {
    super({ width: config.width, heads: config.heads }, options);
    const rng = { rng: this.rng };
    this.attn = this.addModule('attn', new ClipMultiheadAttention(config, rng));
    this.ln1 = this.addModule('ln_1', new LayerNorm({ features: config.width }, rng));
    this.mlp = this.addModule('mlp', new ClipMlp({ width: config.width }, rng));
    this.ln2 = this.addModule('ln_2', new LayerNorm({ features: config.width }, rng));
  }

  /** One block on `x` `[B, T, W]` with an optional additive attention mask `[T, T]`. */
  apply(x: tf.Tensor3D, mask?: tf.Tensor2D): tf.Tensor3D {
    this.assertUsable();
    return tf.tidy(() => {
      const h = tf.add(x, this.attn.apply(this.ln1.apply(x) as tf.Tensor3D, mask)) as tf.Tensor3D;
      return tf.add(h, this.mlp.apply(this.ln2.apply(h))) as tf.Tensor3D;
    });
  }
}

/** Configuration of {@link ClipTransformer}. */
export interface ClipTransformerConfig {
  /** Width `W`. */
  width: number;
  /** Number of blocks. */
  layers: number;
  /** Heads per block. */
  heads: number;
}

/** CLIP's `Transformer`: `resblocks.0 … resblocks.{layers−1}`. */
export class ClipTransformer extends Module<ClipTransformerConfig> {
  /** `'clipcap.ClipTransformer'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.ClipTransformer';
  /** The blocks. */
  readonly resblocks: ModuleList<ResidualAttentionBlock>;

  /** @throws {ClipConfigError} for sizes that are not positive integers or heads that do not divide the width */
  constructor(config: ClipTransformerConfig, options: ModuleOptions = {}) {
    checkPositiveInteger('transformer.layers', config.layers);
    super({ width: config.width, layers: config.layers, heads: config.heads }, options);
    const blocks = Array.from(
      { length: config.layers },
      () => new ResidualAttentionBlock({ width: config.width, heads: config.heads }, { rng: this.rng }),
    );
    this.resblocks = this.addModule('resblocks', new ModuleList(blocks, { rng: this.rng }));
  }

  /** All blocks on `x` `[B, T, W]`, with an optional additive mask `[T, T]`. */
  apply(x: tf.Tensor3D, mask?: tf.Tensor2D): tf.Tensor3D {
    this.assertUsable();
    return tf.tidy(() => {
      let h = x;
      for (const block of this.resblocks) h = block.apply(h, mask);
      return h;
    });
  }

  /**
   * CLIP's `initialize_parameters` for a text transformer: N(0, W^−½) packed projections, N(0, (2W)^−½) `c_fc`,
   * N(0, W^−½·(2·layers)^−½) output projections and `c_proj`. (The vision transformer keeps PyTorch's init.)
   */
  initializeAsText(): void {
    const { width, layers } = this.config;
    const projStd = width ** -0.5 * (2 * layers) ** -0.5;
    const set = (v: tf.Variable, std: number) =>
      tf.tidy(() => v.assign(tf.tensor(normalInit(std)(v.shape, this.rng), v.shape)));
    for (const block of this.resblocks) {
      set(block.attn.inProjWeight, width ** -0.5);
      set(block.attn.outProj.weight, projStd);
      set(block.mlp.cFc.weight, (2 * width) ** -0.5);
      set(block.mlp.cProj.weight, projStd);
    }
  }
}

/** The additive causal mask `[T, T]` of CLIP's text transformer: 0 on and below the diagonal, −∞ above. */
export function causalMask(length: number): tf.Tensor2D {
  const values = new Float32Array(length * length);
  for (let i = 0; i < length; i++) values.fill(-Infinity, i * length + i + 1, (i + 1) * length);
  return tf.tensor2d(values, [length, length]);
}

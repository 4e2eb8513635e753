/**
 * ClipCap's mapping networks (rmokady/CLIP_prefix_caption `train.py`), with its state-dict names under
 * `clip_project.`: the MLP (`model.0`, tanh, `model.2`) and the TransformerMapper (`linear`, `prefix_const`,
 * `transformer.layers.N.{norm1, attn.{to_queries, to_keys_values, project}, norm2, mlp.{fc1, fc2}}`). Both map a
 * CLIP embedding `[batch, prefixSize]` to a GPT prefix `[batch, prefixLength, embedDim]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Activation,
  LayerNorm,
  Linear,
  Module,
  ModuleList,
  normalInit,
  Sequential,
  type ModuleOptions,
} from '@caption/core';
import { ClipCapConfigError, ClipCapInputError } from './errors';

/** What every mapper does: CLIP embeddings `[batch, prefixSize]` → prefix embeddings `[batch, prefixLength, embedDim]`. */
export interface PrefixMapper extends Module {
  /** Sizes of the mapping. */
  readonly config: { prefixSize: number; prefixLength: number; embedDim: number };
  /** The prefix `[batch, prefixLength, embedDim]` of CLIP embeddings `[batch, prefixSize]`. */
  apply(clipEmbeddings: tf.Tensor2D): tf.Tensor3D;
}

function positiveInteger(option: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ClipCapConfigError(option, `must be a positive integer, got ${JSON.stringify(value)}`);
  }
}

function checkInput(where: string, x: tf.Tensor, prefixSize: number): void {
  if (x.rank !== 2 || x.shape[1] !== prefixSize) {
    throw new ClipCapInputError(where, 'clipEmbeddings', `must be [batch, ${prefixSize}], got [${x.shape.join(', ')}]`);
  }
}

/** Configuration of {@link ClipCapMLPMapper}. */
export interface ClipCapMLPMapperConfig {
  /** Size of the CLIP embedding (`prefix_size`: 512 for ViT-B/32, 640 for RN50x4). */
  prefixSize: number;
  /** Number of prefix positions P (`prefix_length`). */
  prefixLength: number;
  /** GPT embedding size E. */
  embedDim: number;
  /**
   * Hidden sizes between input and output, each followed by tanh; default `[⌊E·P/2⌋]` (`train.py`). `[]` gives the
   * single `Linear` that `predict.py` uses when `prefix_length > 10`.
   */
  hiddenSizes?: number[];
}

/**
 * ClipCap's `MLP` mapper: `Linear(prefixSize, E·P/2) → tanh → Linear(E·P/2, E·P)`, reshaped row-major to
 * `[batch, P, E]` (outputs 0..E−1 are prefix slot 0). Names `model.0.weight`, `model.2.weight`, ... (PyTorch
 * `nn.Linear` layout `[out, in]`, default init). Prefix 10, CLIP 512, GPT-2 768: 31,468,800 parameters.
 */
export class ClipCapMLPMapper extends Module<Required<ClipCapMLPMapperConfig>> implements PrefixMapper {
  /** `'clipcap.MLPMapper'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.MLPMapper';
  /** The layers: Linear, tanh, Linear, ... */
  readonly model: Sequential;

  /**
   * Creates `model.0`, `model.1` (tanh), `model.2`, ... as ClipCap's `MLP(sizes)`.
   *
   * @throws {ClipCapConfigError} for a size that is not a positive integer
   */
  constructor(config: ClipCapMLPMapperConfig, options: ModuleOptions = {}) {
    for (const key of ['prefixSize', 'prefixLength', 'embedDim'] as const) positiveInteger(key, config[key]);
    const hiddenSizes = config.hiddenSizes ?? [Math.floor((config.embedDim * config.prefixLength) / 2)];
    hiddenSizes.forEach((h, i) => positiveInteger(`hiddenSizes[${i}]`, h));
    super(
      { prefixSize: config.prefixSize, prefixLength: config.prefixLength, embedDim: config.embedDim, hiddenSizes },
      options,
    );
    const sizes = [config.prefixSize, ...hiddenSizes, config.embedDim * config.prefixLength];
    const layers: Array<Linear | Activation> = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      layers.push(new Linear({ inFeatures: sizes[i]!, outFeatures: sizes[i + 1]! }, { rng: this.rng }));
      if (i + 2 < sizes.length) layers.push(new Activation({ fn: 'tanh' }, { rng: this.rng }));
    }
    this.model = this.addModule('model', new Sequential(layers, { rng: this.rng }));
  }

  /** The prefix `[batch, prefixLength, embedDim]` of CLIP embeddings `[batch, prefixSize]`. */
  apply(clipEmbeddings: tf.Tensor2D): tf.Tensor3D {
    this.assertUsable();
    const { prefixSize, prefixLength, embedDim } = this.config;
    checkInput(`${this.className}.apply`, clipEmbeddings, prefixSize);
    return tf.tidy(() => tf.reshape(this.model.apply(clipEmbeddings), [-1, prefixLength, embedDim]));
  }
}

/** Configuration of the TransformerMapper's attention, MLP and layers (the embedding size and head count). */
export interface ClipCapTransformerLayerConfig {
  /** Embedding size E (`dim_self`). */
  dim: number;
  /** Attention heads (ClipCap hard-codes 8); must divide `dim`. */
  numHeads: number;
  /** MLP hidden size as a multiple of `dim` (ClipCap's TransformerMapper: 2.0). */
  mlpRatio: number;
}

/**
 * ClipCap's `MultiHeadAttention` (self-attention, no mask): `to_queries` `[E, E]` and `to_keys_values` `[2E, E]`
 * without bias (the first E outputs are keys, the last E values), `project` with bias; scale `head_dim^−0.5`,
 * softmax over the keys.
 */
export class ClipCapMultiHeadAttention extends Module<ClipCapTransformerLayerConfig> {
  /** `'clipcap.MultiHeadAttention'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.MultiHeadAttention';
  /** Query projection, no bias. */
  readonly to_queries: Linear;
  /** Key and value projections side by side, no bias. */
  readonly to_keys_values: Linear;
  /** Output projection. */
  readonly project: Linear;

  /**
   * Creates `to_queries`, `to_keys_values`, `project` (PyTorch default init).
   *
   * @throws {ClipCapConfigError} when `numHeads` does not divide `dim`
   */
  constructor(config: ClipCapTransformerLayerConfig, options: ModuleOptions = {}) {
    positiveInteger('dim', config.dim);
    positiveInteger('numHeads', config.numHeads);
    if (config.dim % config.numHeads !== 0) {
      throw new ClipCapConfigError('numHeads', `${config.numHeads} does not divide the embedding size ${config.dim}`);
    }
    super({ dim: config.dim, numHeads: config.numHeads, mlpRatio: config.mlpRatio }, options);
    const E = config.dim;
    this.to_queries = this.addModule(
      'to_queries',
      new Linear({ inFeatures: E, outFeatures: E, bias: false }, { rng: this.rng }),
    );
    this.to_keys_values = this.addModule(
      'to_keys_values',
      new Linear({ inFeatures: E, outFeatures: 2 * E, bias: false }, { rng: this.rng }),
    );
    this.project = this.addModule('project', new Linear({ inFeatures: E, outFeatures: E }, { rng: this.rng }));
  }

  /** Self-attention of `x` `[batch, n, E]` → `[batch, n, E]`. */
  apply(x: tf.Tensor3D): tf.Tensor3D {
    this.assertUsable();
    const { dim, numHeads } = this.config;
    const [b, n] = x.shape;
    const d = dim / numHeads;
    return tf.tidy(() => {
      const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [b, n, numHeads, d]), [0, 2, 1, 3]);
      const q = heads(tf.mul(this.to_queries.apply(x), d ** -0.5));
      const [k, v] = tf.split(this.to_keys_values.apply(x), 2, -1) as [tf.Tensor, tf.Tensor];
      const probs = tf.softmax(tf.matMul(q, heads(k), false, true), -1);
      const out = tf.reshape(tf.transpose(tf.matMul(probs, heads(v)), [0, 2, 1, 3]), [b, n, dim]);
      return this.project.apply(out) as tf.Tensor3D;
    });
  }
}

/** ClipCap's `MlpTransformer`: `fc1` → ReLU → `fc2` (dropout 0). */
export class ClipCapMlpTransformer extends Module<ClipCapTransformerLayerConfig> {
  /** `'clipcap.MlpTransformer'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.MlpTransformer';
  /** `[⌊E·mlpRatio⌋, E]`. */
  readonly fc1: Linear;
  /** `[E, ⌊E·mlpRatio⌋]`. */
  readonly fc2: Linear;

  /** Creates `fc1` and `fc2` (PyTorch default init). */
  constructor(config: ClipCapTransformerLayerConfig, options: ModuleOptions = {}) {
    super({ dim: config.dim, numHeads: config.numHeads, mlpRatio: config.mlpRatio }, options);
    const hidden = Math.floor(config.dim * config.mlpRatio);
    positiveInteger('mlpRatio × dim', hidden);
    this.fc1 = this.addModule('fc1', new Linear({ inFeatures: config.dim, outFeatures: hidden }, { rng: this.rng }));
    this.fc2 = this.addModule('fc2', new Linear({ inFeatures: hidden, outFeatures: config.dim }, { rng: this.rng }));
  }

  /** `[..., E]` → `[..., E]`. */
  apply(x: tf.Tensor): tf.Tensor {
    this.assertUsable();
    return tf.tidy(() => this.fc2.apply(tf.relu(this.fc1.apply(x))));
  }
}

/** ClipCap's `TransformerLayer` (pre-LN): `x += attn(norm1(x)); x += mlp(norm2(x))`. */
export class ClipCapTransformerLayer extends Module<ClipCapTransformerLayerConfig> {
  /** `'clipcap.TransformerLayer'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.TransformerLayer';
  /** LayerNorm before the attention. */
  readonly norm1: LayerNorm;
  /** Self-attention. */
  readonly attn: ClipCapMultiHeadAttention;
  /** LayerNorm before the MLP. */
  readonly norm2: LayerNorm;
  /** The MLP. */
  readonly mlp: ClipCapMlpTransformer;

  /** Creates `norm1`, `attn`, `norm2`, `mlp` in ClipCap's order. */
  constructor(config: ClipCapTransformerLayerConfig, options: ModuleOptions = {}) {
    super({ dim: config.dim, numHeads: config.numHeads, mlpRatio: config.mlpRatio }, options);
    this.norm1 = this.addModule('norm1', new LayerNorm({ features: config.dim }, { rng: this.rng }));
    this.attn = this.addModule('attn', new ClipCapMultiHeadAttention(this.config, { rng: this.rng }));
    this.norm2 = this.addModule('norm2', new LayerNorm({ features: config.dim }, { rng: this.rng }));
    this.mlp = this.addModule('mlp', new ClipCapMlpTransformer(this.config, { rng: this.rng }));
  }

  /** `[batch, n, E]` → `[batch, n, E]`. */
  apply(x: tf.Tensor3D): tf.Tensor3D {
    this.assertUsable();
    return tf.tidy(() => {
      const h = tf.add(x, this.attn.apply(this.norm1.apply(x) as tf.Tensor3D));
      return tf.add(h, this.mlp.apply(this.norm2.apply(h))) as tf.Tensor3D;
    });
  }
}

/** Configuration of {@link ClipCapTransformer}: a layer config and the number of layers. */
export interface ClipCapTransformerConfig extends ClipCapTransformerLayerConfig {
  /** Number of layers (`num_layers`, ClipCap's default 8). */
  numLayers: number;
}

/** ClipCap's `Transformer` (self-attention only, no mask): `layers.0 … layers.{numLayers−1}`. */
export class ClipCapTransformer extends Module<ClipCapTransformerConfig> {
  /** `'clipcap.Transformer'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.Transformer';
  /** The layers. */
  readonly layers: ModuleList<ClipCapTransformerLayer>;

  /** Creates the layers. */
  constructor(config: ClipCapTransformerConfig, options: ModuleOptions = {}) {
    positiveInteger('numLayers', config.numLayers);
    super(
      { dim: config.dim, numHeads: config.numHeads, mlpRatio: config.mlpRatio, numLayers: config.numLayers },
      options,
    );
    const layers = Array.from(
      { length: config.numLayers },
      () => new ClipCapTransformerLayer(config, { rng: this.rng }),
    );
    this.layers = this.addModule('layers', new ModuleList(layers, { rng: this.rng }));
  }

  /** `[batch, n, E]` → `[batch, n, E]`. */
  apply(x: tf.Tensor3D): tf.Tensor3D {
    this.assertUsable();
    return tf.tidy(() => this.layers.toArray().reduce((h, layer) => layer.apply(h), x));
  }
}

/** Configuration of {@link ClipCapTransformerMapper}. */
export interface ClipCapTransformerMapperConfig {
  /** Size of the CLIP embedding (`prefix_size`). */
  prefixSize: number;
  /** Number of prefix positions P (`prefix_length`): the learned constants `prefix_const` `[P, E]`. */
  prefixLength: number;
  /** Number of positions the CLIP embedding is projected to (`clip_length`, `--prefix_length_clip`). */
  clipLength: number;
  /** GPT embedding size E. */
  embedDim: number;
  /** Transformer layers (`num_layers`); default 8. */
  numLayers?: number;
  /** Attention heads; default 8 (hard-coded in ClipCap). */
  numHeads?: number;
  /** MLP ratio; default 2.0 (ClipCap's `Transformer`). */
  mlpRatio?: number;
}

/**
 * ClipCap's `TransformerMapper`: `linear(clip)` viewed as `[batch, clipLength, E]`, the learned constants
 * `prefix_const` `[P, E]` (N(0, 1)) appended, `transformer` over the `clipLength + P` positions, and the last P
 * positions as the prefix. Prefix 10, clip length 10, 8 layers, CLIP 512, GPT-2 768: 41,745,408 parameters.
 */
export class ClipCapTransformerMapper extends Module<Required<ClipCapTransformerMapperConfig>> implements PrefixMapper {
  /** `'clipcap.TransformerMapper'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.TransformerMapper';
  /** `[P, E]` learned prefix constants. */
  readonly prefix_const: tf.Variable;
  /** The transformer. */
  readonly transformer: ClipCapTransformer;
  /** `[clipLength·E, prefixSize]` projection of the CLIP embedding. */
  readonly linear: Linear;

  /**
   * Creates `prefix_const`, `transformer`, `linear`.
   *
   * @throws {ClipCapConfigError} for a size that is not a positive integer or heads that do not divide E
   */
  constructor(config: ClipCapTransformerMapperConfig, options: ModuleOptions = {}) {
    for (const key of ['prefixSize', 'prefixLength', 'clipLength', 'embedDim'] as const)
      positiveInteger(key, config[key]);
    const c = { numLayers: 8, numHeads: 8, mlpRatio: 2, ...config };
    super(c, options);
    this.prefix_const = this.addParameter('prefix_const', [c.prefixLength, c.embedDim], normalInit(1));
    const layer = { dim: c.embedDim, numHeads: c.numHeads, mlpRatio: c.mlpRatio, numLayers: c.numLayers };
    this.transformer = this.addModule('transformer', new ClipCapTransformer(layer, { rng: this.rng }));
    this.linear = this.addModule(
      'linear',
      new Linear({ inFeatures: c.prefixSize, outFeatures: c.clipLength * c.embedDim }, { rng: this.rng }),
    );
  }

  /** The prefix `[batch, prefixLength, embedDim]` of CLIP embeddings `[batch, prefixSize]`. */
  apply(clipEmbeddings: tf.Tensor2D): tf.Tensor3D {
    this.assertUsable();
    const { prefixSize, prefixLength, clipLength, embedDim } = this.config;
    checkInput(`${this.className}.apply`, clipEmbeddings, prefixSize);
    return tf.tidy(() => {
      const batch = clipEmbeddings.shape[0];
      const projected = tf.reshape(this.linear.apply(clipEmbeddings), [batch, clipLength, embedDim]);
      const constants = tf.broadcastTo(tf.expandDims(this.prefix_const, 0), [batch, prefixLength, embedDim]);
      const out = this.transformer.apply(tf.concat([projected, constants], 1) as tf.Tensor3D);
      return tf.slice(out, [0, clipLength, 0], [batch, prefixLength, embedDim]);
    });
  }
}

/**
 * GPT-2 as Hugging Face's `GPT2Model` / `GPT2LMHeadModel` compute it, with their state-dict names and layouts
 * (`transformer.h.N.attn.c_attn.weight` is a Conv1D weight `[in, out]`, applied as `x @ W + b`), a key/value
 * cache for step-by-step decoding, `inputsEmbeds` (a ClipCap prefix) and attention masks.
 *
 * Conventions (see ../shared/data/clipcap-reference/README.md): pre-LayerNorm blocks, LayerNorm eps from the
 * config (1e-5), `gelu_new` (tanh) MLP, attention scores `q·kᵀ/√head_dim`, causal, plus HF's additive attention
 * mask on the keys; learned positions over the whole sequence (a prefix takes positions 0..P−1; with a cache the
 * new token's position is the cache length); output logits `ln_f(h) @ wteᵀ` (tied, no bias).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  activation,
  Dropout,
  Embedding,
  LayerNorm,
  Module,
  ModuleList,
  normalInit,
  constantInit,
  type ActivationName,
  type ModuleOptions,
} from '@caption/core';
import { type GPT2Config, resolveGPT2Config, type ResolvedGPT2Config } from './config';
import { GPT2ConfigError, GPT2InputError } from './errors';

/**
 * The keys and values one attention layer has seen: `[batch, nHead, length, headDim]` each. A decoder keeps one
 * per layer and feeds it back with the next tokens, so earlier positions are never recomputed.
 */
export interface GPT2LayerCache {
  /** Keys of every position seen so far, `[batch, nHead, length, headDim]`. */
  key: tf.Tensor4D;
  /** Values of every position seen so far, same shape as `key`. */
  value: tf.Tensor4D;
}

/** Inputs of {@link GPT2Model.forward}: token ids or embeddings (exactly one), optional mask and cache. */
export interface GPT2ForwardInput {
  /** `[batch, length]` int32 token ids. */
  inputIds?: tf.Tensor2D;
  /** `[batch, length, nEmbd]` input embeddings (e.g. a ClipCap prefix concatenated with `wte(tokens)`). */
  inputsEmbeds?: tf.Tensor3D;
  /**
   * `[batch, pastLength + length]` 1 for keys that may be attended to, 0 for padding (Hugging Face's
   * `attention_mask`: it masks keys only; a padded query row still gets an output, which a loss ignores).
   */
  attentionMask?: tf.Tensor2D;
  /** The cache returned by an earlier call (one entry per layer); the new positions continue after it. */
  past?: readonly GPT2LayerCache[];
  /** Return the updated cache as `presents` (default false). */
  useCache?: boolean;
  /**
   * Return every intermediate hidden state (default false): the embeddings (`wte + wpe`), the output of each block,
   * and the output of `ln_f` (`nLayer + 2` tensors; the last equals `lastHiddenState`).
   */
  outputHiddenStates?: boolean;
}

/** Outputs of {@link GPT2Model.forward}. */
export interface GPT2ModelOutput {
  /** `[batch, length, nEmbd]` after the final LayerNorm `ln_f` (the input of the output projection). */
  lastHiddenState: tf.Tensor3D;
  /** With `useCache`: the cache covering the past and the new positions, one entry per layer. */
  presents?: GPT2LayerCache[];
  /** With `outputHiddenStates`: see {@link GPT2ForwardInput.outputHiddenStates}. */
  hiddenStates?: tf.Tensor3D[];
}

/** Outputs of {@link GPT2LMHeadModel.forward}: {@link GPT2ModelOutput} plus the logits. */
export interface GPT2LMOutput extends GPT2ModelOutput {
  /** `[batch, length, vocabSize]` next-token logits. */
  logits: tf.Tensor3D;
}

/** Added to the scores of masked keys: finite, so a row that masks everything gives no NaN. */
const MASKED_SCORE = -1e9;

const ACTIVATION_NAMES: Record<ResolvedGPT2Config['activationFunction'], ActivationName> = {
  gelu_new: 'gelu_tanh',
  gelu: 'gelu',
  relu: 'relu',
};

/** Configuration of {@link GPT2Conv1D}. */
export interface GPT2Conv1DConfig {
  /** Input features. */
  nx: number;
  /** Output features. */
  nf: number;
  /** Standard deviation of the initial weight (GPT-2: 0.02, or 0.02/√(2·nLayer) for the output projections). */
  initStd: number;
}

/**
 * Hugging Face's `Conv1D` (the linear layer of GPT-2): `y = x @ weight + bias` with `weight` stored `[nx, nf]`
 * (the transpose of PyTorch's `nn.Linear`); initial weight N(0, initStd), bias 0.
 */
export class GPT2Conv1D extends Module<GPT2Conv1DConfig> {
  /** `'clipcap.GPT2Conv1D'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.GPT2Conv1D';
  /** `[nx, nf]`. */
  readonly weight: tf.Variable;
  /** `[nf]`. */
  readonly bias: tf.Variable;

  /**
   * Creates `weight` `[nx, nf]` ~ N(0, initStd) and `bias` `[nf]` = 0.
   *
   * @throws {GPT2ConfigError} when a size is not a positive integer or `initStd` is not positive
   */
  constructor(config: GPT2Conv1DConfig, options: ModuleOptions = {}) {
    for (const key of ['nx', 'nf'] as const) {
      if (!Number.isInteger(config[key]) || config[key] < 1) {
        throw new GPT2ConfigError(`Conv1D.${key}`, `must be a positive integer, got ${config[key]}`);
      }
    }
    if (!(config.initStd > 0)) throw new GPT2ConfigError('Conv1D.initStd', `must be positive, got ${config.initStd}`);
    super({ nx: config.nx, nf: config.nf, initStd: config.initStd }, options);
    this.weight = this.addParameter('weight', [config.nx, config.nf], normalInit(config.initStd));
    this.bias = this.addParameter('bias', [config.nf], constantInit(0));
  }

  /** `x @ weight + bias` over the last axis (`[..., nx]` → `[..., nf]`). */
  apply(x: tf.Tensor): tf.Tensor {
    this.assertUsable();
    const { nx, nf } = this.config;
    if (x.shape[x.rank - 1] !== nx) {
      throw new GPT2InputError('GPT2Conv1D.apply', 'x', `has last dimension ${x.shape[x.rank - 1]}, expected ${nx}`);
    }
    return tf.tidy(() => {
      const flat = x.rank === 2 ? x : tf.reshape(x, [-1, nx]);
      const y = tf.add(tf.matMul(flat, this.weight), this.bias);
      return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), nf]);
    });
  }
}

function splitHeads(x: tf.Tensor, heads: number): tf.Tensor4D {
  const [b, t, e] = x.shape as [number, number, number];
  // For one position the two layouts hold the same bytes: no transpose needed (every decoding step).
  if (t === 1) return tf.reshape(x, [b, heads, 1, e / heads]);
  return tf.transpose(tf.reshape(x, [b, t, heads, e / heads]), [0, 2, 1, 3]);
}

function mergeHeads(x: tf.Tensor): tf.Tensor3D {
  const [b, h, t, d] = x.shape as [number, number, number, number];
  if (t === 1) return tf.reshape(x, [b, 1, h * d]);
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, t, h * d]);
}

/** Causal self-attention of a GPT-2 block (`attn`: `c_attn` → q|k|v, heads, `c_proj`), with the cache. */
export class GPT2Attention extends Module<ResolvedGPT2Config> {
  /** `'clipcap.GPT2Attention'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.GPT2Attention';
  /** `[nEmbd, 3·nEmbd]`: the q, k, v projections side by side (columns `[q | k | v]`). */
  readonly c_attn: GPT2Conv1D;
  /** `[nEmbd, nEmbd]` output projection. */
  readonly c_proj: GPT2Conv1D;
  private readonly attnDropout: Dropout;
  private readonly residDropout: Dropout;

  /**
   * Creates `c_attn` and `c_proj` (the latter initialised with std `initializerRange/√(2·nLayer)`, as GPT-2 does)
   * and the attention / residual dropouts.
   *
   * @throws {GPT2ConfigError} for an invalid config
   */
  constructor(config: GPT2Config, options: ModuleOptions = {}) {
    const c = resolveGPT2Config(config);
    super(c, options);
    const std = c.initializerRange;
    this.c_attn = this.addModule(
      'c_attn',
      new GPT2Conv1D({ nx: c.nEmbd, nf: 3 * c.nEmbd, initStd: std }, { rng: this.rng }),
    );
    const projStd = std / Math.sqrt(2 * c.nLayer);
    this.c_proj = this.addModule(
      'c_proj',
      new GPT2Conv1D({ nx: c.nEmbd, nf: c.nEmbd, initStd: projStd }, { rng: this.rng }),
    );
    this.attnDropout = this.addModule('attn_dropout', new Dropout({ rate: c.attnPdrop }, { rng: this.rng }));
    this.residDropout = this.addModule('resid_dropout', new Dropout({ rate: c.residPdrop }, { rng: this.rng }));
  }

  /**
   * Attention of `x` (`[batch, length, nEmbd]`, already normalised by `ln_1`) over the cached and the new positions.
   *
   * @param mask additive mask broadcastable to `[batch, nHead, length, pastLength + length]` (0 or a large negative
   *   number), or null when every key may be seen (a single new position with no padding)
   * @param past this layer's cache, or null
   * @returns the output `[batch, length, nEmbd]` and the cache extended by the new positions
   */
  apply(
    x: tf.Tensor3D,
    mask: tf.Tensor | null,
    past: GPT2LayerCache | null,
  ): { output: tf.Tensor3D; present: GPT2LayerCache } {
    this.assertUsable();
    const { nHead, nEmbd } = this.config;
    const [output, key, value] = tf.tidy(() => {
      const qkv = this.c_attn.apply(x);
      const [q, k, v] = tf.split(qkv, 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
      // Scaling q instead of the scores: one [length, headDim] product instead of [length, keys].
      const query = splitHeads(tf.mul(q, 1 / Math.sqrt(nEmbd / nHead)), nHead);
      let keys: tf.Tensor4D = splitHeads(k, nHead);
      let values: tf.Tensor4D = splitHeads(v, nHead);
      if (past !== null) {
        keys = tf.concat([past.key, keys], 2);
        values = tf.concat([past.value, values], 2);
      }
      let scores = tf.matMul(query, keys, false, true);
      if (mask !== null) scores = tf.add(scores, mask);
      const probs = this.attnDropout.apply(tf.softmax(scores, -1));
      const context = mergeHeads(tf.matMul(probs, values));
      const out = this.residDropout.apply(this.c_proj.apply(context)) as tf.Tensor3D;
      return [out, keys, values];
    });
    return { output, present: { key, value } };
  }
}

/** The MLP of a GPT-2 block (`mlp`): `c_fc` → activation (`gelu_new`) → `c_proj` → dropout. */
export class GPT2MLP extends Module<ResolvedGPT2Config> {
  /** `'clipcap.GPT2MLP'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.GPT2MLP';
  /** `[nEmbd, nInner]`. */
  readonly c_fc: GPT2Conv1D;
  /** `[nInner, nEmbd]`, initialised with std `initializerRange/√(2·nLayer)`. */
  readonly c_proj: GPT2Conv1D;
  private readonly dropout: Dropout;
  private readonly act: (x: tf.Tensor) => tf.Tensor;

  /**
   * Creates `c_fc`, `c_proj` and the dropout.
   *
   * @throws {GPT2ConfigError} for an invalid config
   */
  constructor(config: GPT2Config, options: ModuleOptions = {}) {
    const c = resolveGPT2Config(config);
    super(c, options);
    const std = c.initializerRange;
    this.c_fc = this.addModule('c_fc', new GPT2Conv1D({ nx: c.nEmbd, nf: c.nInner, initStd: std }, { rng: this.rng }));
    const projStd = std / Math.sqrt(2 * c.nLayer);
    this.c_proj = this.addModule(
      'c_proj',
      new GPT2Conv1D({ nx: c.nInner, nf: c.nEmbd, initStd: projStd }, { rng: this.rng }),
    );
    this.dropout = this.addModule('dropout', new Dropout({ rate: c.residPdrop }, { rng: this.rng }));
    this.act = activation(ACTIVATION_NAMES[c.activationFunction]);
  }

  /** `[..., nEmbd]` → `[..., nEmbd]`. */
  apply(x: tf.Tensor): tf.Tensor {
    this.assertUsable();
    return tf.tidy(() => this.dropout.apply(this.c_proj.apply(this.act(this.c_fc.apply(x)))));
  }
}

/** One GPT-2 block (`h.N`): `x += attn(ln_1(x)); x += mlp(ln_2(x))`. */
export class GPT2Block extends Module<ResolvedGPT2Config> {
  /** `'clipcap.GPT2Block'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.GPT2Block';
  /** LayerNorm before the attention. */
  readonly ln_1: LayerNorm;
  /** The causal self-attention. */
  readonly attn: GPT2Attention;
  /** LayerNorm before the MLP. */
  readonly ln_2: LayerNorm;
  /** The MLP. */
  readonly mlp: GPT2MLP;

  /**
   * Creates `ln_1`, `attn`, `ln_2`, `mlp` in Hugging Face's order.
   *
   * @throws {GPT2ConfigError} for an invalid config
   */
  constructor(config: GPT2Config, options: ModuleOptions = {}) {
    const c = resolveGPT2Config(config);
    super(c, options);
    const eps = c.layerNormEpsilon;
    this.ln_1 = this.addModule('ln_1', new LayerNorm({ features: c.nEmbd, eps }, { rng: this.rng }));
    this.attn = this.addModule('attn', new GPT2Attention(c, { rng: this.rng }));
    this.ln_2 = this.addModule('ln_2', new LayerNorm({ features: c.nEmbd, eps }, { rng: this.rng }));
    this.mlp = this.addModule('mlp', new GPT2MLP(c, { rng: this.rng }));
  }

  /** The block on `x` `[batch, length, nEmbd]`; see {@link GPT2Attention.apply} for `mask` and `past`. */
  apply(
    x: tf.Tensor3D,
    mask: tf.Tensor | null,
    past: GPT2LayerCache | null,
  ): { output: tf.Tensor3D; present: GPT2LayerCache } {
    this.assertUsable();
    const attended = this.attn.apply(this.ln_1.apply(x) as tf.Tensor3D, mask, past);
    const output = tf.tidy(() => {
      const h = tf.add(x, attended.output);
      return tf.add(h, this.mlp.apply(this.ln_2.apply(h))) as tf.Tensor3D;
    });
    attended.output.dispose();
    return { output, present: attended.present };
  }
}

/**
 * The additive mask `[batch or 1, 1, length, pastLength + length]`: causal over the new positions (query i sees
 * keys 0..pastLength+i) plus, where `attentionMask` is 0, a large negative score on that key. Null when nothing
 * is masked (one new position, no attention mask).
 */
function attentionBias(length: number, pastLength: number, attentionMask: tf.Tensor2D | undefined): tf.Tensor | null {
  const keys = pastLength + length;
  let bias: tf.Tensor | null = null;
  if (length > 1) {
    const causal = new Float32Array(length * keys);
    for (let i = 0; i < length; i++) causal.fill(MASKED_SCORE, i * keys + pastLength + i + 1, (i + 1) * keys);
    bias = tf.tensor4d(causal, [1, 1, length, keys]);
  }
  if (attentionMask !== undefined) {
    const [b] = attentionMask.shape;
    const padding = tf.reshape(tf.mul(tf.sub(1, tf.cast(attentionMask, 'float32')), MASKED_SCORE), [b, 1, 1, keys]);
    bias = bias === null ? padding : tf.add(bias, padding);
  }
  return bias;
}

/**
 * GPT-2 without the output projection (Hugging Face `GPT2Model`, the `transformer.` part of `GPT2LMHeadModel`):
 * `wte`, `wpe`, the blocks `h.0 … h.{nLayer−1}` and `ln_f`. Initialised as GPT-2 (weights N(0, 0.02), output
 * projections N(0, 0.02/√(2·nLayer)), biases 0, LayerNorms 1/0).
 *
 * @example
 * ```ts
 * const gpt = new GPT2Model({ vocabSize: 100, nPositions: 64, nEmbd: 32, nLayer: 2, nHead: 4 }).eval();
 * const ids = tf.tensor2d([[5, 7, 9]], [1, 3], 'int32');
 * const h = gpt.hiddenStates(ids); // [1, 3, 32], after ln_f
 * ```
 */
export class GPT2Model extends Module<ResolvedGPT2Config> {
  /** `'clipcap.GPT2Model'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.GPT2Model';
  /** Token embedding `[vocabSize, nEmbd]`, also the (tied) output projection. */
  readonly wte: Embedding;
  /** Position embedding `[nPositions, nEmbd]`. */
  readonly wpe: Embedding;
  /** The blocks, `h.0 … h.{nLayer−1}`. */
  readonly h: ModuleList<GPT2Block>;
  /** Final LayerNorm. */
  readonly ln_f: LayerNorm;
  private readonly drop: Dropout;

  /**
   * Creates `wte`, `wpe`, `drop`, `h.*`, `ln_f` in Hugging Face's order, drawing the initial weights from
   * `options.rng` (default: core's process-wide generator).
   *
   * @throws {GPT2ConfigError} for an invalid config
   */
  constructor(config: GPT2Config, options: ModuleOptions = {}) {
    const c = resolveGPT2Config(config);
    super(c, options);
    this.wte = this.addModule(
      'wte',
      new Embedding({ numEmbeddings: c.vocabSize, embeddingDim: c.nEmbd }, { rng: this.rng }),
    );
    this.wpe = this.addModule(
      'wpe',
      new Embedding({ numEmbeddings: c.nPositions, embeddingDim: c.nEmbd }, { rng: this.rng }),
    );
    // core's Embedding draws N(0, 1); GPT-2 uses N(0, initializerRange): scale in place.
    for (const table of [this.wte.weight, this.wpe.weight]) {
      tf.tidy(() => table.assign(tf.mul(table, c.initializerRange)));
    }
    this.drop = this.addModule('drop', new Dropout({ rate: c.embdPdrop }, { rng: this.rng }));
    const blocks = Array.from({ length: c.nLayer }, () => new GPT2Block(c, { rng: this.rng }));
    this.h = this.addModule('h', new ModuleList(blocks, { rng: this.rng }));
    this.ln_f = this.addModule(
      'ln_f',
      new LayerNorm({ features: c.nEmbd, eps: c.layerNormEpsilon }, { rng: this.rng }),
    );
  }

  /** `wte` rows of `ids` (int32, any shape) → `[...ids.shape, nEmbd]`; ids must lie in the vocabulary. */
  embedTokens(ids: tf.Tensor): tf.Tensor {
    this.assertUsable();
    return this.wte.apply(ids);
  }

  /**
   * The forward pass (see {@link GPT2ForwardInput}). Returned tensors belong to the caller.
   *
   * @throws {GPT2InputError} when both or neither of `inputIds` / `inputsEmbeds` are given, when shapes do not fit,
   *   when the cache length plus the new length exceeds `nPositions`, or when an id is outside the vocabulary
   */
  forward(input: GPT2ForwardInput): GPT2ModelOutput {
    this.assertUsable();
    const where = `${this.className}.forward`;
    const { nEmbd, nPositions, nLayer, nHead, vocabSize } = this.config;
    if ((input.inputIds === undefined) === (input.inputsEmbeds === undefined)) {
      throw new GPT2InputError(where, 'inputIds/inputsEmbeds', 'exactly one of the two must be given');
    }
    const ids = input.inputIds;
    if (ids !== undefined) {
      if (ids.rank !== 2 || ids.dtype !== 'int32') {
        throw new GPT2InputError(
          where,
          'inputIds',
          `must be int32 [batch, length], got ${ids.dtype} [${ids.shape.join(', ')}]`,
        );
      }
      const values = ids.dataSync();
      for (let i = 0; i < values.length; i++) {
        const id = values[i] as number;
        if (!(id >= 0 && id < vocabSize)) {
          throw new GPT2InputError(
            where,
            'inputIds',
            `holds ${id} at flat index ${i}, outside the vocabulary 0..${vocabSize - 1}`,
          );
        }
      }
    }
    const embeds = input.inputsEmbeds;
    if (embeds !== undefined && (embeds.rank !== 3 || embeds.shape[2] !== nEmbd)) {
      throw new GPT2InputError(
        where,
        'inputsEmbeds',
        `must be [batch, length, ${nEmbd}], got [${embeds.shape.join(', ')}]`,
      );
    }
    const [batch, length] = (ids ?? embeds)!.shape as [number, number];
    const past = input.past;
    if (past !== undefined && past.length !== nLayer) {
      throw new GPT2InputError(where, 'past', `has ${past.length} layers, the model ${nLayer}`);
    }
    const pastLength = past?.[0]?.key.shape[2] ?? 0;
    if (past !== undefined) {
      past.forEach((layer, i) => {
        const expected = [batch, nHead, pastLength, nEmbd / nHead];
        for (const t of [layer.key, layer.value]) {
          if (t.shape.join(',') !== expected.join(',')) {
            throw new GPT2InputError(
              where,
              `past[${i}]`,
              `has shape [${t.shape.join(', ')}], expected [${expected.join(', ')}]`,
            );
          }
        }
      });
    }
    if (pastLength + length > nPositions) {
      throw new GPT2InputError(
        where,
        'positions',
        `${pastLength + length} (cache ${pastLength} + input ${length}) exceed the model's nPositions ${nPositions}`,
      );
    }
    const mask = input.attentionMask;
    if (mask !== undefined && (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== pastLength + length)) {
      throw new GPT2InputError(
        where,
        'attentionMask',
        `must be [${batch}, ${pastLength + length}] (batch, cache + input length), got [${mask.shape.join(', ')}]`,
      );
    }

    const keepAll = input.outputHiddenStates === true;
    const hiddenStates: tf.Tensor3D[] = [];
    const presents: GPT2LayerCache[] = [];
    const bias = tf.tidy(() => attentionBias(length, pastLength, mask) ?? tf.zeros([0]));
    const noBias = bias.size === 0;
    let x = tf.tidy(() => {
      const tokens = embeds ?? this.wte.apply(ids!);
      const positions = this.wpe.apply(tf.range(pastLength, pastLength + length, 1, 'int32'));
      return this.drop.apply(tf.add(tokens, positions)) as tf.Tensor3D;
    });
    try {
      this.h.toArray().forEach((block, i) => {
        if (keepAll) hiddenStates.push(x);
        const out = block.apply(x, noBias ? null : bias, past?.[i] ?? null);
        if (!keepAll) x.dispose();
        x = out.output;
        if (input.useCache === true) presents.push(out.present);
        else tf.dispose([out.present.key, out.present.value]);
      });
      if (keepAll) hiddenStates.push(x);
      const last = this.ln_f.apply(x) as tf.Tensor3D;
      if (keepAll) hiddenStates.push(last);
      else x.dispose();
      const result: GPT2ModelOutput = { lastHiddenState: last };
      if (input.useCache === true) result.presents = presents;
      if (keepAll) result.hiddenStates = hiddenStates;
      return result;
    } finally {
      bias.dispose();
    }
  }

  /**
   * The hidden states after `ln_f` (`[batch, length, nEmbd]`) of token ids, with an optional attention mask
   * (`[batch, length]`, 1 = real token). A CLIP text tower that is a GPT-2 reads its text feature from these.
   */
  hiddenStates(inputIds: tf.Tensor2D, attentionMask?: tf.Tensor2D): tf.Tensor3D {
    const input: GPT2ForwardInput = { inputIds };
    if (attentionMask !== undefined) input.attentionMask = attentionMask;
    return this.forward(input).lastHiddenState;
  }

  /**
   * The hidden state after `ln_f` of each row at one position (`positions[b]` for row b), `[batch, nEmbd]`: e.g.
   * the end-of-text token's state, the text feature of a GPT-2 CLIP text encoder.
   *
   * @param positions int32 `[batch]`, each in `0..length−1`
   * @throws {GPT2InputError} when `positions` does not have one entry per row or one is out of range
   */
  hiddenStatesAt(inputIds: tf.Tensor2D, positions: tf.Tensor1D, attentionMask?: tf.Tensor2D): tf.Tensor2D {
    const [batch, length] = inputIds.shape;
    const where = `${this.className}.hiddenStatesAt`;
    if (positions.rank !== 1 || positions.shape[0] !== batch || positions.dtype !== 'int32') {
      throw new GPT2InputError(
        where,
        'positions',
        `must be int32 [${batch}], got ${positions.dtype} [${positions.shape.join(', ')}]`,
      );
    }
    const pos = positions.dataSync();
    pos.forEach((p, b) => {
      if (!(p >= 0 && p < length))
        throw new GPT2InputError(where, 'positions', `[${b}] = ${p} is outside 0..${length - 1}`);
    });
    const hidden = this.hiddenStates(inputIds, attentionMask);
    return tf.tidy(() => {
      const rows = tf.tensor1d(
        Int32Array.from(pos, (p, b) => b * length + p),
        'int32',
      );
      const out = tf.gather(tf.reshape(hidden, [batch * length, this.config.nEmbd]), rows) as tf.Tensor2D;
      hidden.dispose();
      return out;
    });
  }
}

/** Options of {@link GPT2LMHeadModel}: besides the generator, an existing transformer to share. */
export interface GPT2LMHeadModelOptions extends ModuleOptions {
  /**
   * Use this `GPT2Model` (its variables, not a copy) as `transformer`: e.g. the GPT-2 text tower of a CLIP model,
   * so that a captioner and CLIP share one set of weights. Its config must equal the given config.
   */
  transformer?: GPT2Model;
}

/**
 * GPT-2 with its language-model head (Hugging Face `GPT2LMHeadModel`): `transformer` ({@link GPT2Model}) and the
 * output projection tied to `transformer.wte` (`lm_head.weight` is not a separate parameter; state-dict names are
 * `transformer.*`). GPT-2 small ({@link GPT2_SMALL_CONFIG}) has 124,439,808 parameters.
 *
 * @example
 * ```ts
 * const gpt = new GPT2LMHeadModel({ vocabSize: 100, nPositions: 64, nEmbd: 32, nLayer: 2, nHead: 4 }).eval();
 * const { logits } = gpt.forward({ inputIds: tf.tensor2d([[1, 2, 3]], [1, 3], 'int32') }); // [1, 3, 100]
 * ```
 */
export class GPT2LMHeadModel extends Module<ResolvedGPT2Config> {
  /** `'clipcap.GPT2LMHeadModel'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.GPT2LMHeadModel';
  /** The GPT-2 body, `transformer.*`. */
  readonly transformer: GPT2Model;

  /**
   * Creates (or, with `options.transformer`, shares) the transformer.
   *
   * @throws {GPT2ConfigError} for an invalid config, or a shared transformer whose config differs
   */
  constructor(config: GPT2Config, options: GPT2LMHeadModelOptions = {}) {
    const c = resolveGPT2Config(config);
    super(c, options);
    const shared = options.transformer;
    if (shared !== undefined && JSON.stringify(shared.config) !== JSON.stringify(c)) {
      throw new GPT2ConfigError(
        'transformer',
        `the shared GPT2Model's config ${JSON.stringify(shared.config)} differs from ${JSON.stringify(c)}`,
      );
    }
    this.transformer = this.addModule('transformer', shared ?? new GPT2Model(c, { rng: this.rng }));
  }

  /** Logits `[..., vocabSize]` of hidden states `[..., nEmbd]` (after `ln_f`): `h @ wteᵀ`. */
  logitsOf(hidden: tf.Tensor): tf.Tensor {
    this.assertUsable();
    const { nEmbd, vocabSize } = this.config;
    return tf.tidy(() => {
      const flat = hidden.rank === 2 ? hidden : tf.reshape(hidden, [-1, nEmbd]);
      const logits = tf.matMul(flat, this.transformer.wte.weight, false, true);
      return hidden.rank === 2 ? logits : tf.reshape(logits, [...hidden.shape.slice(0, -1), vocabSize]);
    });
  }

  /** The forward pass with logits; see {@link GPT2Model.forward}. Returned tensors belong to the caller. */
  forward(input: GPT2ForwardInput): GPT2LMOutput {
    const out = this.transformer.forward(input);
    return { ...out, logits: this.logitsOf(out.lastHiddenState) as tf.Tensor3D };
  }
}

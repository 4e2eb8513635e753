/**
 * The ClipCap captioner (rmokady/CLIP_prefix_caption `ClipCaptionModel` / `ClipCaptionPrefix`): a CLIP image
 * embedding is mapped to a prefix of P GPT embeddings, followed by the caption's token embeddings; the GPT-2
 * predicts each caption token from the positions before it. State-dict names are ClipCap's: `gpt.transformer.*`
 * and `clip_project.*`.
 *
 * The GPT-2 can be random, loaded ({@link loadGPT2Weights} on `model.gpt`), or shared with another model (e.g. the
 * GPT-2 text tower of a CLIP model, the seed system's idea): pass it as `options.gpt` to use its variables, or a
 * copy ({@link copyGPT2}) to initialise from it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module, sparseSoftmaxCrossEntropy, type ModuleOptions } from '@caption/core';
import { type GPT2Config, resolveGPT2Config, type ResolvedGPT2Config } from '../gpt2/config';
import { GPT2LMHeadModel, type GPT2Model } from '../gpt2/gpt2';
import { gpt2WeightTarget } from '../gpt2/weights';
import { loadWeightsInto, readSafetensorsFile } from '../weights';
import type { SafetensorsFile } from '@caption/core';
import { ClipCapConfigError, ClipCapInputError } from './errors';
import { ClipCapMLPMapper, ClipCapTransformerMapper, type PrefixMapper } from './mappers';

/** The padding value of caption tokens: below every real id (ClipCap pads with 0, a real GPT-2 token, `!`). */
export const CAPTION_PADDING = -1;

/** Which mapping network turns the CLIP embedding into the prefix (`--mapping_type`). */
export type MappingType = 'mlp' | 'transformer';

/** Configuration of {@link ClipCapModel} (ClipCap's `train.py` options, camelCase). */
export interface ClipCapConfig {
  /** The GPT-2 (its `nEmbd` is the prefix embedding size E). */
  gpt: GPT2Config;
  /** Size of the CLIP embedding (`prefix_size`: 512 for ViT-B/32, 640 for RN50x4). */
  prefixSize: number;
  /** Number of prefix positions P (`--prefix_length`, default 10). */
  prefixLength?: number;
  /** `'mlp'` (default) or `'transformer'` (`--mapping_type`). */
  mappingType?: MappingType;
  /** TransformerMapper: positions the CLIP embedding is projected to (`--prefix_length_clip`, default 10). */
  clipLength?: number;
  /** TransformerMapper: layers (`--num_layers`, default 8). */
  numLayers?: number;
  /** Train the mapper only, the GPT frozen and in eval mode (`--only_prefix`, ClipCap's `ClipCaptionPrefix`). */
  onlyPrefix?: boolean;
  /** Divide each CLIP embedding by its L2 norm first (`--normalize_prefix`, default false). */
  normalizePrefix?: boolean;
}

/** A {@link ClipCapConfig} with its defaults filled in. */
export interface ResolvedClipCapConfig {
  /** The resolved GPT-2 config. */
  gpt: ResolvedGPT2Config;
  /** See {@link ClipCapConfig.prefixSize}. */
  prefixSize: number;
  /** See {@link ClipCapConfig.prefixLength}. */
  prefixLength: number;
  /** See {@link ClipCapConfig.mappingType}. */
  mappingType: MappingType;
  /** See {@link ClipCapConfig.clipLength}. */
  clipLength: number;
  /** See {@link ClipCapConfig.numLayers}. */
  numLayers: number;
  /** See {@link ClipCapConfig.onlyPrefix}. */
  onlyPrefix: boolean;
  /** See {@link ClipCapConfig.normalizePrefix}. */
  normalizePrefix: boolean;
}

/** Options of {@link ClipCapModel}: the generator, and a GPT-2 to share. */
export interface ClipCapModelOptions extends ModuleOptions {
  /**
   * Use this GPT-2 (its variables, not a copy) as `gpt`: a loaded GPT-2, or a CLIP text tower's GPT-2 wrapped as
   * `new GPT2LMHeadModel(tower.config, { transformer: tower })`. Its config must equal `config.gpt`.
   */
  gpt?: GPT2LMHeadModel;
}

/** Options of {@link ClipCapModel.loss}. */
export interface ClipCapLossOptions {
  /**
   * `[batch, P + L]` attention mask (1 = attend). Default: 1 for the prefix and for caption tokens ≥ 0, 0 for
   * padding. ClipCap's own dataset passes its mask here.
   */
  attentionMask?: tf.Tensor2D;
  /**
   * A real token id that is also ignored as a target: ClipCap's `ignore_index=0` (its padding value), which also
   * drops every genuine token 0. Default none: only negative tokens ({@link CAPTION_PADDING}) are ignored.
   */
  ignoreIndex?: number;
}

function positiveInteger(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ClipCapConfigError(option, `must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Fills in ClipCap's defaults and validates (the prefix must leave at least one GPT position for the caption).
 *
 * @throws {ClipCapConfigError} naming the first bad option
 */
export function resolveClipCapConfig(config: ClipCapConfig): ResolvedClipCapConfig {
  const gpt = resolveGPT2Config(config.gpt);
  const mappingType = config.mappingType ?? 'mlp';
  if (mappingType !== 'mlp' && mappingType !== 'transformer') {
    throw new ClipCapConfigError('mappingType', `must be 'mlp' or 'transformer', got '${String(mappingType)}'`);
  }
  const prefixLength = positiveInteger('prefixLength', config.prefixLength ?? 10);
  if (prefixLength >= gpt.nPositions) {
    throw new ClipCapConfigError(
      'prefixLength',
      `${prefixLength} leaves no position for the caption: the GPT has nPositions ${gpt.nPositions}`,
    );
  }
  return {
    gpt,
    prefixSize: positiveInteger('prefixSize', config.prefixSize),
    prefixLength,
    mappingType,
    clipLength: positiveInteger('clipLength', config.clipLength ?? 10),
    numLayers: positiveInteger('numLayers', config.numLayers ?? 8),
    onlyPrefix: config.onlyPrefix ?? false,
    normalizePrefix: config.normalizePrefix ?? false,
  };
}

/**
 * A new GPT-2 with the same config and a copy of the weights of `source` (a {@link GPT2LMHeadModel}, or a
 * {@link GPT2Model} such as a CLIP text tower): "initialised from", as opposed to sharing the variables.
 */
export function copyGPT2(source: GPT2LMHeadModel | GPT2Model, options: ModuleOptions = {}): GPT2LMHeadModel {
  const body = source instanceof GPT2LMHeadModel ? source.transformer : source;
  const copy = new GPT2LMHeadModel(body.config, options);
  copy.transformer.loadStateDict(body.stateDict());
  return copy;
}

/**
 * ClipCap: `clip_project` (the mapper) and `gpt` (GPT-2). `parameterCount()` counts what ClipCap trains: with
 * `onlyPrefix` (`ClipCaptionPrefix`) only the mapper (31,468,800 for the MLP at prefix 10 with CLIP 512 and GPT-2
 * small; 41,745,408 for the TransformerMapper at prefix 10, clip length 10), else everything (155,908,608 /
 * 166,185,216); `stateDict()` always holds every weight.
 *
 * @example
 * ```ts
 * const model = new ClipCapModel({ gpt: GPT2_SMALL_CONFIG, prefixSize: 512, prefixLength: 10 });
 * loadGPT2Weights(model.gpt, 'gpt2/model.safetensors');
 * const loss = model.loss(clipEmbeddings, tokens); // tokens padded with CAPTION_PADDING
 * ```
 */
export class ClipCapModel extends Module<ResolvedClipCapConfig> {
  /** `'clipcap.ClipCaptionModel'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.ClipCaptionModel';
  /** The language model. */
  readonly gpt: GPT2LMHeadModel;
  /** The mapping network (`clip_project`). */
  readonly clip_project: PrefixMapper;

  /**
   * Creates (or shares) `gpt`, then `clip_project`, in ClipCap's order.
   *
   * @throws {ClipCapConfigError} for invalid options, or a shared GPT-2 whose config differs from `config.gpt`
   */
  constructor(config: ClipCapConfig, options: ClipCapModelOptions = {}) {
    const c = resolveClipCapConfig(config);
    super(c, options);
    if (options.gpt !== undefined && JSON.stringify(options.gpt.config) !== JSON.stringify(c.gpt)) {
      throw new ClipCapConfigError(
        'gpt',
        `the given GPT-2's config ${JSON.stringify(options.gpt.config)} differs from ${JSON.stringify(c.gpt)}`,
      );
    }
    this.gpt = this.addModule('gpt', options.gpt ?? new GPT2LMHeadModel(c.gpt, { rng: this.rng }));
    const sizes = { prefixSize: c.prefixSize, prefixLength: c.prefixLength, embedDim: c.gpt.nEmbd };
    const mapper: PrefixMapper =
      c.mappingType === 'mlp'
        ? new ClipCapMLPMapper(sizes, { rng: this.rng })
        : new ClipCapTransformerMapper(
            { ...sizes, clipLength: c.clipLength, numLayers: c.numLayers },
            { rng: this.rng },
          );
    this.clip_project = this.addModule('clip_project', mapper);
    if (c.onlyPrefix) this.gpt.eval();
  }

  /** With `onlyPrefix`, only the mapper's parameters (as `ClipCaptionPrefix.parameters()`); else all. */
  override namedParameters(prefix = ''): Array<[string, tf.Variable]> {
    if (!this.config.onlyPrefix) return super.namedParameters(prefix);
    return this.clip_project.namedParameters(prefix === '' ? 'clip_project' : `${prefix}.clip_project`);
  }

  /** Training mode; with `onlyPrefix` the GPT stays in eval mode (dropout off), as `ClipCaptionPrefix.train`. */
  override train(mode = true): this {
    super.train(mode);
    if (this.config.onlyPrefix) this.gpt.eval();
    return this;
  }

  /** The prefix `[batch, P, E]` of CLIP embeddings `[batch, prefixSize]` (L2-normalised first with `normalizePrefix`). */
  prefixEmbeddings(clipEmbeddings: tf.Tensor2D): tf.Tensor3D {
    this.assertUsable();
    return tf.tidy(() => {
      const x = this.config.normalizePrefix
        ? tf.div(clipEmbeddings, tf.norm(clipEmbeddings, 'euclidean', -1, true))
        : clipEmbeddings;
      return this.clip_project.apply(x as tf.Tensor2D);
    });
  }

  private checkTokens(where: string, clipEmbeddings: tf.Tensor, tokens: tf.Tensor): void {
    if (tokens.rank !== 2 || tokens.dtype !== 'int32' || tokens.shape[0] !== clipEmbeddings.shape[0]) {
      throw new ClipCapInputError(
        where,
        'tokens',
        `must be int32 [${clipEmbeddings.shape[0]}, length], got ${tokens.dtype} [${tokens.shape.join(', ')}]`,
      );
    }
    const { prefixLength, gpt } = this.config;
    if (prefixLength + tokens.shape[1]! > gpt.nPositions) {
      throw new ClipCapInputError(
        where,
        'tokens',
        `of length ${tokens.shape[1]} after a prefix of ${prefixLength} need ${prefixLength + tokens.shape[1]!} positions, the GPT has ${gpt.nPositions}`,
      );
    }
    const values = tokens.dataSync();
    for (let i = 0; i < values.length; i++) {
      if ((values[i] as number) >= gpt.vocabSize) {
        throw new ClipCapInputError(
          where,
          'tokens',
          `hold ${values[i]} at flat index ${i}, outside the GPT's vocabulary 0..${gpt.vocabSize - 1}`,
        );
      }
    }
  }

  private hidden(
    clipEmbeddings: tf.Tensor2D,
    tokens: tf.Tensor2D,
    attentionMask: tf.Tensor2D | undefined,
    where: string,
  ): tf.Tensor3D {
    this.checkTokens(where, clipEmbeddings, tokens);
    const prefix = this.prefixEmbeddings(clipEmbeddings);
    const hidden = tf.tidy(() => {
      const words = this.gpt.transformer.embedTokens(tf.maximum(tokens, tf.scalar(0, 'int32')));
      const mask =
        attentionMask ??
        (tf.concat(
          [tf.ones([tokens.shape[0], this.config.prefixLength]), tf.cast(tf.greaterEqual(tokens, 0), 'float32')],
          1,
        ) as tf.Tensor2D);
      const inputsEmbeds = tf.concat([prefix, words], 1) as tf.Tensor3D;
      return this.gpt.transformer.forward({ inputsEmbeds, attentionMask: mask }).lastHiddenState;
    });
    prefix.dispose();
    return hidden;
  }

  /**
   * ClipCap's forward: the GPT logits `[batch, P + L, vocabSize]` of `cat(prefix, wte(tokens))`.
   *
   * @param clipEmbeddings `[batch, prefixSize]`
   * @param tokens `[batch, L]` int32 caption ids, padded with {@link CAPTION_PADDING} (any negative value)
   * @param attentionMask `[batch, P + L]`; default: see {@link ClipCapLossOptions.attentionMask}
   * @throws {ClipCapInputError} for mis-shaped tokens, ids past the vocabulary, or P + L past the GPT's positions
   */
  forward(clipEmbeddings: tf.Tensor2D, tokens: tf.Tensor2D, attentionMask?: tf.Tensor2D): tf.Tensor3D {
    const hidden = this.hidden(clipEmbeddings, tokens, attentionMask, `${this.className}.forward`);
    const logits = this.gpt.logitsOf(hidden) as tf.Tensor3D;
    hidden.dispose();
    return logits;
  }

  /**
   * The captioning loss: mean cross-entropy of each caption token given the prefix and the tokens before it
   * (position P−1+j predicts `tokens[j]`), over caption tokens only: padding (negative values) and, if given,
   * `ignoreIndex` are not targets. Differentiable in every parameter (under `tf.variableGrads`).
   *
   * @throws {ClipCapInputError} as {@link ClipCapModel.forward}, or when no token is a target
   */
  loss(clipEmbeddings: tf.Tensor2D, tokens: tf.Tensor2D, options: ClipCapLossOptions = {}): tf.Scalar {
    const where = `${this.className}.loss`;
    const hidden = this.hidden(clipEmbeddings, tokens, options.attentionMask, where);
    const [batch, length] = tokens.shape;
    const { prefixLength, gpt } = this.config;
    const targets = tokens.dataSync();
    const weights = new Float32Array(targets.length);
    let count = 0;
    targets.forEach((t, i) => {
      if (t >= 0 && t !== options.ignoreIndex) {
        weights[i] = 1;
        count += 1;
      }
    });
    if (count === 0) {
      hidden.dispose();
      throw new ClipCapInputError(where, 'tokens', 'hold no target token (all padding or ignoreIndex)');
    }
    const loss = tf.tidy(() => {
      const predicting = tf.reshape(tf.slice(hidden, [0, prefixLength - 1, 0], [batch, length, gpt.nEmbd]), [
        batch * length,
        gpt.nEmbd,
      ]);
      const logits = this.gpt.logitsOf(predicting) as tf.Tensor2D;
      const perToken = sparseSoftmaxCrossEntropy(
        logits,
        tf.reshape(tf.maximum(tokens, tf.scalar(0, 'int32')), [-1]) as tf.Tensor1D,
      );
      return tf.div(tf.sum(tf.mul(perToken, tf.tensor1d(weights))), count) as tf.Scalar;
    });
    hidden.dispose();
    return loss;
  }
}

/**
 * Loads a ClipCap checkpoint converted to safetensors (`ClipCaptionModel.state_dict()` names: `gpt.transformer.*`
 * or `gpt.*` with the tied `gpt.lm_head.weight` absent or an equal copy, and `clip_project.*`).
 *
 * @throws {WeightsFileError} listing every name or shape that does not fit; nothing is loaded then
 */
export function loadClipCapWeights(model: ClipCapModel, file: SafetensorsFile | string, source?: string): void {
  const parsed = typeof file === 'string' ? readSafetensorsFile(file) : file;
  const name = source ?? (typeof file === 'string' ? file : '<safetensors>');
  // stateDict() holds the GPT even with onlyPrefix (namedParameters does not).
  loadWeightsInto(model, parsed, name, (n) => {
    if (!n.startsWith('gpt.')) return n;
    const target = gpt2WeightTarget(n.slice(4), 'gpt.transformer.');
    return target === undefined ? n : target;
  });
}

/**
 * ClipCap's `max_seq_len`: `min(int(mean + 10·std), max)` of the caption lengths (torch's unbiased std), the length
 * `ClipCocoDataset` pads or truncates every caption to.
 */
export function clipCapMaxSequenceLength(lengths: readonly number[]): number {
  const n = lengths.length;
  if (n === 0) throw new ClipCapInputError('clipCapMaxSequenceLength', 'lengths', 'is empty');
  const mean = lengths.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? lengths.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return Math.min(Math.trunc(mean + 10 * Math.sqrt(variance)), Math.max(...lengths));
}

/**
 * Captions as a `[captions.length, length]` row-major int32 batch: truncated to `length`, padded with
 * {@link CAPTION_PADDING} (ClipCap's `pad_tokens` without its 0-padding).
 */
export function padCaptions(captions: readonly (readonly number[])[], length: number): Int32Array {
  const out = new Int32Array(captions.length * length).fill(CAPTION_PADDING);
  captions.forEach((ids, i) => out.set(ids.slice(0, length), i * length));
  return out;
}

/**
 * CLIP (Radford et al. 2021): an image encoder and a text encoder mapped into one joint space, L2-normalised,
 * compared by a learned temperature, trained with the symmetric cross-entropy over the N × N similarity
 * matrix. State-dict names are OpenAI's `clip/model.py` `CLIP` names (`visual.*`, `transformer.*`,
 * `token_embedding.weight`, `positional_embedding`, `ln_final.*`, `text_projection`, `logit_scale`), so
 * OpenAI checkpoints converted to safetensors load as they are.
 *
 * Choices beyond OpenAI's model (the seed CLIP+GPT system's): a Res2NeXt image encoder, an MLP projection
 * head instead of the linear one, and a GPT-2 text encoder (`transformer` = a {@link GPT2Model}, Hugging Face
 * names `transformer.wte.weight`, `transformer.h.N.*`) whose hidden state at the end-of-text token is the text
 * feature; a captioner's `GPT2LMHeadModel` can share that transformer (the seed's idea).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Embedding,
  gatherRows,
  LayerNorm,
  Linear,
  Module,
  normalInit,
  sparseSoftmaxCrossEntropy,
  type ModuleOptions,
} from '@caption/core';
import { resolveGPT2Config, type GPT2Config } from '../gpt2/config';
import { GPT2Model } from '../gpt2/gpt2';
import { ClipConfigError, ClipInputError, checkPositiveInteger } from './errors';
import { ModifiedResNet } from './modified-resnet';
import { Res2NeXt } from './res2next';
import { ClipTransformer, causalMask } from './transformer';
import { VisionTransformer } from './vision-transformer';

/** OpenAI's ViT image tower (`visual` = {@link VisionTransformer}). */
export interface ClipVitConfig {
  /** Discriminant. */
  type: 'vit';
  /** Image side in pixels. */
  inputResolution: number;
  /** Patch side. */
  patchSize: number;
  /** Transformer width. */
  width: number;
  /** Transformer blocks. */
  layers: number;
  /** Heads (OpenAI: `width / 64`). */
  heads: number;
}

/** OpenAI's ModifiedResNet image tower (`visual` = {@link ModifiedResNet}). */
export interface ClipResNetConfig {
  /** Discriminant. */
  type: 'resnet';
  /** Image side in pixels (a multiple of 32). */
  inputResolution: number;
  /** Bottlenecks per stage. */
  layers: [number, number, number, number];
  /** Stem width (64 for RN50). */
  width: number;
  /** Attention-pool heads (OpenAI: `width · 32 / 64`). */
  heads: number;
}

/** The seed system's Res2NeXt image tower (`visual` = {@link Res2NeXt}; `visual.fc` is the linear projection). */
export interface ClipRes2NeXtConfig {
  /** Discriminant. */
  type: 'res2next';
  /** Image side the preprocessing produces (the network itself accepts any size ≥ 32). */
  inputResolution: number;
  /** Blocks per stage (`[3, 4, 6, 3]` for Res2NeXt-50). */
  layers: [number, number, number, number];
  /** `baseWidth` (4). */
  baseWidth: number;
  /** `cardinality` (8). */
  cardinality: number;
  /** `scale` (4). */
  scale: number;
  /** Stem channels (64). */
  width: number;
}

/** The image tower of a {@link ClipModel}. */
export type ClipVisionConfig = ClipVitConfig | ClipResNetConfig | ClipRes2NeXtConfig;

/** CLIP's own text transformer (OpenAI names at the top level of the model). */
export interface ClipTextTransformerConfig {
  /** Discriminant. */
  type: 'clip';
  /** Longest token sequence (77 in OpenAI's models), the size of `positional_embedding`. */
  contextLength: number;
  /** Vocabulary size (49,408); the end-of-text id must be the largest id (feature taken at the argmax). */
  vocabSize: number;
  /** Transformer width. */
  width: number;
  /** Heads (OpenAI: `width / 64`). */
  heads: number;
  /** Transformer blocks. */
  layers: number;
}

/**
 * A GPT-2 text tower (the seed system's): `transformer` is a {@link GPT2Model} (causal, learned positions, `ln_f`)
 * and the text feature is its hidden state at the end-of-text token.
 */
export interface ClipGPT2TextConfig {
  /** Discriminant. */
  type: 'gpt2';
  /** The GPT-2 configuration (Hugging Face sizes, e.g. `GPT2_SMALL_CONFIG`). */
  gpt2: GPT2Config;
  /**
   * Where the feature is read: `'argmax'` (the largest id of each row, OpenAI's rule: GPT-2's `<|endoftext|>`
   * 50256 is its largest id) or the first position of `{ tokenId }` (e.g. `[SEP]` 102 of a BERT-style Chinese
   * vocabulary). Default `'argmax'`.
   */
  eot?: 'argmax' | { tokenId: number };
}

/** The text tower of a {@link ClipModel}. */
export type ClipTextConfig = ClipTextTransformerConfig | ClipGPT2TextConfig;

/** Projection heads to the joint space: OpenAI's linear maps, or a 2-layer MLP (`0`: Linear, GELU, `2`: Linear). */
export type ClipProjection = 'linear' | { type: 'mlp'; hiddenDim: number };

/** Configuration of {@link ClipModel}. */
export interface ClipModelConfig {
  /** Size of the joint embedding. */
  embedDim: number;
  /** Image tower. */
  vision: ClipVisionConfig;
  /** Text tower. */
  text: ClipTextConfig;
  /** Projection heads (default `'linear'`, OpenAI's). */
  projection?: ClipProjection;
  /** Initial `logit_scale` (default ln(1/0.07) = 2.659…). */
  logitScaleInit?: number;
  /** Largest temperature factor `exp(logit_scale)` kept by {@link ClipModel.clampLogitScale} (default 100). */
  maxLogitScale?: number;
}

/** Outputs of {@link ClipModel.forward}. */
export interface ClipOutputs {
  /** `[N, embedDim]`, not normalised (OpenAI's `encode_image`). */
  imageFeatures: tf.Tensor2D;
  /** `[M, embedDim]`, not normalised (OpenAI's `encode_text`). */
  textFeatures: tf.Tensor2D;
  /** `exp(logit_scale) · normalise(image) @ normalise(text)ᵀ`, `[N, M]`. */
  logitsPerImage: tf.Tensor2D;
  /** Its transpose, `[M, N]`. */
  logitsPerText: tf.Tensor2D;
}

/** A text tower's interface: token ids → one feature per sequence (before the projection head). */
export interface ClipTextEncoder {
  /** Size of the features {@link ClipTextEncoder.encode} returns. */
  readonly width: number;
  /** `ids` `[B, T]` int32 → `[B, width]`: the hidden state at each sequence's end-of-text position. */
  encode(ids: tf.Tensor2D): tf.Tensor2D;
}

/**
 * Normalised configuration from OpenAI's `CLIP(...)` constructor arguments (the `config` of the
 * clipcap-reference JSON files), with the heads given explicitly where OpenAI infers them (`vision_heads`:
 * `vision_width / 64` for a ViT, `vision_width · 32 / 64` for a ResNet; text: `transformer_width / 64`).
 */
export function clipConfigFromOpenAI(
  args: {
    embed_dim: number;
    image_resolution: number;
    vision_layers: number | number[];
    vision_width: number;
    vision_patch_size: number | null;
    context_length: number;
    vocab_size: number;
    transformer_width: number;
    transformer_heads?: number;
    transformer_layers: number;
  },
  heads: { vision?: number; text?: number } = {},
): ClipModelConfig {
  const text: ClipTextTransformerConfig = {
    type: 'clip',
    contextLength: args.context_length,
    vocabSize: args.vocab_size,
    width: args.transformer_width,
    heads: heads.text ?? args.transformer_heads ?? Math.floor(args.transformer_width / 64),
    layers: args.transformer_layers,
  };
  let vision: ClipVisionConfig;
  if (Array.isArray(args.vision_layers)) {
    if (args.vision_layers.length !== 4) {
      throw new ClipConfigError(
        'vision_layers',
        `must be a number or 4 block counts, got ${JSON.stringify(args.vision_layers)}`,
      );
    }
    vision = {
      type: 'resnet',
      inputResolution: args.image_resolution,
      layers: args.vision_layers as [number, number, number, number],
      width: args.vision_width,
      heads: heads.vision ?? Math.floor((args.vision_width * 32) / 64),
    };
  } else {
    if (args.vision_patch_size === null) throw new ClipConfigError('vision_patch_size', 'is required for a ViT');
    vision = {
      type: 'vit',
      inputResolution: args.image_resolution,
      patchSize: args.vision_patch_size,
      width: args.vision_width,
      layers: args.vision_layers,
      heads: heads.vision ?? Math.floor(args.vision_width / 64),
    };
  }
  return { embedDim: args.embed_dim, vision, text };
}

/** The configuration of OpenAI's ViT-B/32 (`clip.load('ViT-B/32')`): 151,277,313 parameters. */
export const CLIP_VIT_B_32: Readonly<ClipModelConfig> = clipConfigFromOpenAI({
  embed_dim: 512,
  image_resolution: 224,
  vision_layers: 12,
  vision_width: 768,
  vision_patch_size: 32,
  context_length: 77,
  vocab_size: 49408,
  transformer_width: 512,
  transformer_layers: 12,
});

/** A 2-layer MLP projection head with `nn.Sequential(Linear, GELU, Linear)` names `0` and `2`. */
export class MlpProjectionHead extends Module<{ inDim: number; hiddenDim: number; outDim: number }> {
  /** `'clipcap.MlpProjectionHead'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.MlpProjectionHead';
  /** First layer, `inDim → hiddenDim`. */
  readonly fc1: Linear;
  /** Second layer, `hiddenDim → outDim`. */
  readonly fc2: Linear;

  /** Creates `0` and `2` with PyTorch's `Linear` init. */
  constructor(config: { inDim: number; hiddenDim: number; outDim: number }, options: ModuleOptions = {}) {
    checkPositiveInteger('projection.hiddenDim', config.hiddenDim);
    super({ inDim: config.inDim, hiddenDim: config.hiddenDim, outDim: config.outDim }, options);
    const rng = { rng: this.rng };
    this.fc1 = this.addModule('0', new Linear({ inFeatures: config.inDim, outFeatures: config.hiddenDim }, rng));
    this.fc2 = this.addModule('2', new Linear({ inFeatures: config.hiddenDim, outFeatures: config.outDim }, rng));
  }

  /** `fc2(gelu(fc1(x)))` (erf GELU, PyTorch's `nn.GELU()`). */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    this.assertUsable();
    return tf.tidy(() => {
      const h = this.fc1.apply(x);
      // erf GELU written out: tfjs has no gelu op
      const gelu = tf.mul(tf.mul(h, 0.5), tf.add(tf.erf(tf.mul(h, Math.SQRT1_2)), 1));
      return this.fc2.apply(gelu) as tf.Tensor2D;
    });
  }
}

type VisionModule = VisionTransformer | ModifiedResNet | Res2NeXt;

/**
 * CLIP: {@link ClipModel.encodeImage}, {@link ClipModel.encodeText}, {@link ClipModel.forward} (the logits
 * of OpenAI's `forward`), {@link ClipModel.loss} (symmetric cross-entropy), and
 * {@link ClipModel.clampLogitScale} for the training loop.
 *
 * @example
 * ```ts
 * const clip = new ClipModel({ embedDim: 64, vision: { type: 'vit', inputResolution: 64, patchSize: 8, width: 128, layers: 4, heads: 4 },
 *   text: { type: 'clip', contextLength: 32, vocabSize: 49408, width: 128, heads: 4, layers: 4 } }, { rng: new Random(0) });
 * const optimizer = new AdamW(clip, { learningRate: 3e-4, weightDecay: 0.01 });
 * const { loss, grads } = computeGradients(clip, () => clip.loss(images, ids));
 * optimizer.step(grads);
 * clip.clampLogitScale();
 * ```
 */
export class ClipModel extends Module<Required<ClipModelConfig>> implements ClipTextEncoder {
  /** `'clipcap.ClipModel'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.ClipModel';
  /** The image tower (`visual.*`). */
  readonly visual: VisionModule;
  /** Image projection head (MLP projection only; OpenAI's linear one is inside `visual`). */
  readonly imageProjection: MlpProjectionHead | null;
  /** `[contextLength, W]` (CLIP text tower only). */
  readonly positionalEmbedding: tf.Variable | null;
  /** Linear text projection `[W, embedDim]` (linear projection only). */
  readonly textProjectionWeight: tf.Variable | null;
  /** MLP text projection head (MLP projection only). */
  readonly textProjectionHead: MlpProjectionHead | null;
  /** ln(temperature factor), a scalar. */
  readonly logitScale: tf.Variable;
  /** The text transformer (causal): CLIP's, or a GPT-2 body. */
  readonly transformer: ClipTransformer | GPT2Model;
  /** Token embedding table `[vocabSize, W]` (CLIP text tower only). */
  readonly tokenEmbedding: Embedding | null;
  /** Final LayerNorm of the text tower (CLIP text tower only; GPT-2 has its `ln_f`). */
  readonly lnFinal: LayerNorm | null;
  private readonly mask: tf.Tensor2D | null;

  /** @throws {ClipConfigError} for an unknown tower type, sizes that are not positive integers, or bad scales */
  constructor(config: ClipModelConfig, options: ModuleOptions = {}) {
    checkPositiveInteger('embedDim', config.embedDim);
    const full: Required<ClipModelConfig> = {
      embedDim: config.embedDim,
      vision: { ...config.vision } as ClipVisionConfig,
      text: { ...config.text },
      projection: config.projection ?? 'linear',
      logitScaleInit: config.logitScaleInit ?? Math.log(1 / 0.07),
      maxLogitScale: config.maxLogitScale ?? 100,
    };
    if (!(full.maxLogitScale >= 1)) {
      throw new ClipConfigError('maxLogitScale', `must be a number >= 1, got ${full.maxLogitScale}`);
    }
    if (!Number.isFinite(full.logitScaleInit)) {
      throw new ClipConfigError('logitScaleInit', `must be a finite number, got ${full.logitScaleInit}`);
    }
    const projection = full.projection;
    if (projection !== 'linear' && !(typeof projection === 'object' && projection.type === 'mlp')) {
      throw new ClipConfigError(
        'projection',
        `must be 'linear' or { type: 'mlp', hiddenDim }, got ${JSON.stringify(projection)}`,
      );
    }
    const text = full.text;
    if (text.type === 'clip') {
      for (const key of ['contextLength', 'vocabSize', 'width', 'heads', 'layers'] as const) {
        checkPositiveInteger(`text.${key}`, text[key]);
      }
    } else if (text.type === 'gpt2') {
      const eot = text.eot ?? 'argmax';
      if (eot !== 'argmax' && !(typeof eot === 'object' && Number.isInteger(eot.tokenId) && eot.tokenId >= 0)) {
        throw new ClipConfigError('text.eot', `must be 'argmax' or { tokenId: id >= 0 }, got ${JSON.stringify(eot)}`);
      }
      full.text = { type: 'gpt2', gpt2: resolveGPT2Config(text.gpt2), eot };
    } else {
      const type = (text as { type: unknown }).type;
      throw new ClipConfigError('text.type', `must be 'clip' or 'gpt2', got ${JSON.stringify(type)}`);
    }
    super(full, options);
    const rng = { rng: this.rng };
    const linear = projection === 'linear';
    const e = full.embedDim;
    const vision = full.vision;
    // OpenAI's towers carry the linear image projection; an MLP head replaces it
    if (vision.type === 'vit') {
      const { type: _type, ...rest } = vision;
      this.visual = new VisionTransformer({ ...rest, outputDim: linear ? e : null }, rng);
    } else if (vision.type === 'resnet') {
      const { type: _type, ...rest } = vision;
      this.visual = new ModifiedResNet({ ...rest, outputDim: linear ? e : null }, rng);
    } else if (vision.type === 'res2next') {
      const { type: _type, inputResolution: _r, ...rest } = vision;
      checkPositiveInteger('vision.inputResolution', vision.inputResolution);
      this.visual = new Res2NeXt({ ...rest, numClasses: linear ? e : null }, rng);
    } else {
      throw new ClipConfigError(
        'vision.type',
        `must be 'vit', 'resnet' or 'res2next', got ${JSON.stringify((vision as { type: unknown }).type)}`,
      );
    }
    const textWidth = this.width;
    // own parameters first (PyTorch's state-dict order lists them before the sub-modules)
    this.positionalEmbedding =
      text.type === 'clip'
        ? this.addParameter('positional_embedding', [text.contextLength, text.width], normalInit(0.01))
        : null;
    this.textProjectionWeight = linear
      ? this.addParameter('text_projection', [textWidth, e], normalInit(textWidth ** -0.5))
      : null;
    this.logitScale = this.addParameter('logit_scale', [], new Float32Array([full.logitScaleInit]));
    this.addModule('visual', this.visual);
    this.imageProjection = linear
      ? null
      : this.addModule(
          'image_projection',
          new MlpProjectionHead(
            { inDim: this.visual.outputDim, hiddenDim: (projection as { hiddenDim: number }).hiddenDim, outDim: e },
            rng,
          ),
        );
    if (text.type === 'clip') {
      const transformer = new ClipTransformer({ width: text.width, layers: text.layers, heads: text.heads }, rng);
      transformer.initializeAsText();
      this.transformer = this.addModule('transformer', transformer);
      const tokenEmbedding = new Embedding({ numEmbeddings: text.vocabSize, embeddingDim: text.width }, rng);
      tf.tidy(() => {
        const w = tokenEmbedding.weight;
        w.assign(tf.tensor(normalInit(0.02)(w.shape, this.rng), w.shape));
      });
      this.tokenEmbedding = this.addModule('token_embedding', tokenEmbedding);
      this.lnFinal = this.addModule('ln_final', new LayerNorm({ features: text.width }, rng));
      this.mask = causalMask(text.contextLength);
    } else {
      this.transformer = this.addModule('transformer', new GPT2Model((full.text as ClipGPT2TextConfig).gpt2, rng));
      this.tokenEmbedding = null;
      this.lnFinal = null;
      this.mask = null;
    }
    this.textProjectionHead = linear
      ? null
      : this.addModule(
          'text_projection',
          new MlpProjectionHead(
            { inDim: textWidth, hiddenDim: (projection as { hiddenDim: number }).hiddenDim, outDim: e },
            rng,
          ),
        );
  }

  /** Width of the text tower's features (before projection). */
  get width(): number {
    const text = this.config.text;
    return text.type === 'clip' ? text.width : (text.gpt2.nEmbd as number);
  }

  /** Side of the square images the image tower takes. */
  get imageResolution(): number {
    return this.config.vision.inputResolution;
  }

  /** Image features `[N, embedDim]` (not normalised) of `images` `[N, 3, R, R]` (normalised pixels, PyTorch layout). */
  encodeImage(images: tf.Tensor4D): tf.Tensor2D {
    this.assertUsable();
    return tf.tidy(() => {
      const features = this.visual.apply(images);
      return this.imageProjection === null ? features : this.imageProjection.apply(features);
    });
  }

  /**
   * The text tower's hidden state at each sequence's end-of-text position, `[B, W]`, from `ids` `[B, T]` int32
   * (padding after the end-of-text token does not matter: the towers are causal).
   * - CLIP tower: token + positional embeddings → causal transformer → `ln_final` → the row at `argmax(ids)`
   *   (OpenAI's rule: the end-of-text id is the largest id); T ≤ `contextLength` (a shorter T gives the same
   *   features and costs less).
   * - GPT-2 tower: the GPT-2's hidden state after `ln_f` at the `eot` position (argmax, or the first `tokenId`).
   *
   * @throws {ClipInputError} for ids that are not int32 `[B, T]`, longer than the context, outside the
   *   vocabulary, or a row without the end-of-text `tokenId`
   */
  encode(ids: tf.Tensor2D): tf.Tensor2D {
    this.assertUsable();
    const text = this.config.text;
    const [contextLength, vocabSize] =
      text.type === 'clip'
        ? [text.contextLength, text.vocabSize]
        : [text.gpt2.nPositions as number, text.gpt2.vocabSize];
    const where = 'ClipModel.encodeText';
    if (ids.dtype !== 'int32' || ids.rank !== 2) {
      throw new ClipInputError(where, 'text', `must be int32 [B, T], got ${ids.dtype} [${ids.shape.join(', ')}]`);
    }
    const [b, t] = ids.shape;
    if (t > contextLength) {
      throw new ClipInputError(where, 'text', `has ${t} positions, more than the context length ${contextLength}`);
    }
    const eot = text.type === 'gpt2' ? (text.eot ?? 'argmax') : 'argmax';
    const values = ids.dataSync();
    const positions = new Int32Array(b);
    for (let i = 0; i < b; i++) {
      let found = eot === 'argmax' ? 0 : -1;
      for (let j = 0; j < t; j++) {
        const v = values[i * t + j] as number;
        if (v < 0 || v >= vocabSize) {
          throw new ClipInputError(where, 'text', `id ${v} at [${i}, ${j}] is outside [0, ${vocabSize})`);
        }
        if (eot === 'argmax') {
          if (v > (values[i * t + found] as number)) found = j;
        } else if (found < 0 && v === eot.tokenId) found = j;
      }
      if (found < 0) {
        throw new ClipInputError(
          where,
          'text',
          `row ${i} has no end-of-text token ${(eot as { tokenId: number }).tokenId}`,
        );
      }
      positions[i] = found;
    }
    if (this.transformer instanceof GPT2Model) {
      const at = tf.tensor1d(positions, 'int32');
      try {
        return this.transformer.hiddenStatesAt(ids, at);
      } finally {
        at.dispose();
      }
    }
    const transformer = this.transformer;
    const width = this.width;
    return tf.tidy(() => {
      const pe = this.positionalEmbedding as tf.Variable;
      const mask = this.mask as tf.Tensor2D;
      const pos = t === contextLength ? pe : tf.slice(pe, [0, 0], [t, width]);
      const causal = t === contextLength ? mask : tf.slice(mask, [0, 0], [t, t]);
      let x = tf.add((this.tokenEmbedding as Embedding).apply(ids), pos) as tf.Tensor3D;
      x = transformer.apply(x, causal);
      const hidden = (this.lnFinal as LayerNorm).apply(tf.reshape(x, [b * t, width])) as tf.Tensor2D;
      const rows = tf.tensor1d(
        Int32Array.from(positions, (p, i) => i * t + p),
        'int32',
      );
      return gatherRows(hidden, rows) as tf.Tensor2D;
    });
  }

  /** Text features `[B, embedDim]` (not normalised): {@link ClipModel.encode} then the projection head. */
  encodeText(ids: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const hidden = this.encode(ids);
      return this.textProjectionHead !== null
        ? this.textProjectionHead.apply(hidden)
        : tf.matMul(hidden, this.textProjectionWeight as tf.Variable);
    });
  }

  /** OpenAI's `forward`: both features, L2-normalised, compared at temperature `exp(logit_scale)`. */
  forward(images: tf.Tensor4D, ids: tf.Tensor2D): ClipOutputs {
    this.assertUsable();
    const [imageFeatures, textFeatures] = [this.encodeImage(images), this.encodeText(ids)];
    const logitsPerImage = tf.tidy(() => clipLogits(imageFeatures, textFeatures, this.logitScale));
    return { imageFeatures, textFeatures, logitsPerImage, logitsPerText: tf.tidy(() => tf.transpose(logitsPerImage)) };
  }

  /** The symmetric contrastive loss of N matching image–text pairs (row i of each is a pair): {@link clipContrastiveLoss}. */
  loss(images: tf.Tensor4D, ids: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => clipContrastiveLoss(this.forward(images, ids).logitsPerImage));
  }

  /**
   * Clamps `logit_scale` to [0, ln(maxLogitScale)] (open_clip's `clamp_(0, ln 100)` after each optimiser step;
   * the CLIP paper's "clipped to prevent scaling the logits by more than 100").
   */
  clampLogitScale(): void {
    this.assertUsable();
    tf.tidy(() => this.logitScale.assign(tf.clipByValue(this.logitScale, 0, Math.log(this.config.maxLogitScale))));
  }

  /** Number of trainable weights (BatchNorm running statistics excluded, as PyTorch's `parameters()`). */
  trainableParameterCount(): number {
    return this.parameters().reduce((n, v) => n + (v.trainable ? v.size : 0), 0);
  }

  /** Releases the weights and the cached attention mask. */
  override dispose(): void {
    if (!this.disposed) this.mask?.dispose();
    super.dispose();
  }
}

/** L2 normalisation of each row (`x / ‖x‖₂`, as OpenAI's `x / x.norm(dim=1, keepdim=True)`). */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.sum(tf.square(x), 1, true))));
}

/** `exp(logitScale) · normalise(image) @ normalise(text)ᵀ`: OpenAI's `logits_per_image`, `[N, M]`. */
export function clipLogits(imageFeatures: tf.Tensor2D, textFeatures: tf.Tensor2D, logitScale: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() =>
    tf.mul(tf.exp(logitScale), tf.matMul(l2Normalize(imageFeatures), l2Normalize(textFeatures), false, true)),
  );
}

/**
 * CLIP's symmetric contrastive loss: `(CE(logitsPerImage, arange(N)) + CE(logitsPerImageᵀ, arange(N))) / 2`,
 * each cross-entropy a mean over the N rows (row i's target is column i).
 *
 * @throws {ClipInputError} when the matrix is not square
 */
export function clipContrastiveLoss(logitsPerImage: tf.Tensor2D): tf.Scalar {
  const [n, m] = logitsPerImage.shape;
  if (n !== m) {
    throw new ClipInputError('clipContrastiveLoss', 'logitsPerImage', `must be square (N pairs), got [${n}, ${m}]`);
  }
  return tf.tidy(() => {
    const targets = tf.range(0, n, 1, 'int32') as tf.Tensor1D;
    const perImage = tf.mean(sparseSoftmaxCrossEntropy(logitsPerImage, targets));
    const perText = tf.mean(sparseSoftmaxCrossEntropy(tf.transpose(logitsPerImage), targets));
    return tf.div(tf.add(perImage, perText), 2) as tf.Scalar;
  });
}

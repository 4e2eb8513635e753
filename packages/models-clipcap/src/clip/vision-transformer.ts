/**
 * OpenAI CLIP's `VisionTransformer` (`clip/model.py`) with its state-dict names: `conv1.weight` (patchify,
 * kernel = stride = patch, no bias), `class_embedding`, `positional_embedding`, `ln_pre`, `transformer.*`,
 * `ln_post`, `proj`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LayerNorm, Module, normalInit, uniformInit, type ModuleOptions } from '@caption/core';
import { ClipConfigError, ClipInputError, checkPositiveInteger } from './errors';
import { ClipTransformer } from './transformer';

/** Configuration of {@link VisionTransformer} (OpenAI's constructor arguments). */
export interface VisionTransformerConfig {
  /** Input images are `inputResolution × inputResolution`. */
  inputResolution: number;
  /** Patch size; must divide `inputResolution`. */
  patchSize: number;
  /** Width `W` of the transformer. */
  width: number;
  /** Transformer blocks. */
  layers: number;
  /** Attention heads (OpenAI: `width / 64`). */
  heads: number;
  /** Size of `proj`'s output (the joint embedding); null: no `proj`, the output is `ln_post`'s `[B, W]`. */
  outputDim: number | null;
}

/**
 * ViT image encoder: `[B, 3, R, R]` images (normalised pixels, PyTorch layout) → `[B, outputDim]`.
 * Patchify runs as one matrix product over the flattened patches (the same sums as the convolution), class
 * token first, positions added, `ln_pre`, the transformer (no mask), `ln_post` of the class token, `@ proj`.
 * Init as OpenAI: N(0, W^−½) class/positional embeddings and `proj`, PyTorch defaults elsewhere.
 */
export class VisionTransformer extends Module<VisionTransformerConfig> {
  /** `'clipcap.VisionTransformer'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.VisionTransformer';
  /** `[W, 3, P, P]`. */
  readonly conv1Weight: tf.Variable;
  /** `[W]`. */
  readonly classEmbedding: tf.Variable;
  /** `[(R/P)² + 1, W]`. */
  readonly positionalEmbedding: tf.Variable;
  /** LayerNorm before the transformer. */
  readonly lnPre: LayerNorm;
  /** The transformer. */
  readonly transformer: ClipTransformer;
  /** LayerNorm of the class token's output. */
  readonly lnPost: LayerNorm;
  /** `[W, outputDim]`, or null. */
  readonly proj: tf.Variable | null;

  /** @throws {ClipConfigError} for sizes that are not positive integers or a patch size that does not divide the resolution */
  constructor(config: VisionTransformerConfig, options: ModuleOptions = {}) {
    for (const key of ['inputResolution', 'patchSize', 'width', 'layers', 'heads'] as const) {
      checkPositiveInteger(`vision.${key}`, config[key]);
    }
    if (config.inputResolution % config.patchSize !== 0) {
      throw new ClipConfigError(
        'vision.patchSize',
        `${config.patchSize} does not divide the input resolution ${config.inputResolution}`,
      );
    }
    if (config.outputDim !== null) checkPositiveInteger('vision.outputDim', config.outputDim);
    super({ ...config }, options);
    const { width: w, patchSize: p } = config;
    const grid = config.inputResolution / p;
    const scale = w ** -0.5;
    // registration order = PyTorch's state-dict order: conv1, class_embedding, positional_embedding, ln_pre, …
    const conv1 = this.addModule('conv1', new PatchWeight({ width: w, patchSize: p }, { rng: this.rng }));
    this.conv1Weight = conv1.weight;
    this.classEmbedding = this.addParameter('class_embedding', [w], normalInit(scale));
    this.positionalEmbedding = this.addParameter('positional_embedding', [grid * grid + 1, w], normalInit(scale));
    const rng = { rng: this.rng };
    this.lnPre = this.addModule('ln_pre', new LayerNorm({ features: w }, rng));
    this.transformer = this.addModule(
      'transformer',
      new ClipTransformer({ width: w, layers: config.layers, heads: config.heads }, rng),
    );
    this.lnPost = this.addModule('ln_post', new LayerNorm({ features: w }, rng));
    this.proj = config.outputDim === null ? null : this.addParameter('proj', [w, config.outputDim], normalInit(scale));
  }

  /** Size of the output features: `outputDim`, or the width without `proj`. */
  get outputDim(): number {
    return this.config.outputDim ?? this.config.width;
  }

  /** `images` `[B, 3, R, R]` → features `[B, outputDim]`. */
  apply(images: tf.Tensor4D): tf.Tensor2D {
    this.assertUsable();
    const { inputResolution: r, patchSize: p, width: w } = this.config;
    const [b, c, h, wd] = images.shape;
    if (c !== 3 || h !== r || wd !== r) {
      throw new ClipInputError(
        'VisionTransformer.apply',
        'images',
        `must be [B, 3, ${r}, ${r}] (PyTorch layout), got [${images.shape.join(', ')}]`,
      );
    }
    const g = r / p;
    return tf.tidy(() => {
      // [B, 3, g, P, g, P] → [B, g, g, 3, P, P]: one row per patch, in the grid's row-major order
      const patches = tf.reshape(tf.transpose(tf.reshape(images, [b * 3 * g, p, g, p]), [0, 2, 1, 3]), [
        b,
        3,
        g * g,
        p * p,
      ]);
      const rows = tf.reshape(tf.transpose(patches, [0, 2, 1, 3]), [b * g * g, 3 * p * p]);
      const embedded = tf.reshape(tf.matMul(rows, tf.reshape(this.conv1Weight, [w, 3 * p * p]), false, true), [
        b,
        g * g,
        w,
      ]);
      const cls = tf.tile(tf.reshape(this.classEmbedding, [1, 1, w]), [b, 1, 1]);
      let x = tf.add(tf.concat([cls, embedded], 1), this.positionalEmbedding) as tf.Tensor3D;
      x = this.lnPre.apply(x) as tf.Tensor3D;
      x = this.transformer.apply(x);
      const first = tf.reshape(tf.slice(x, [0, 0, 0], [b, 1, w]), [b, w]);
      const pooled = this.lnPost.apply(first) as tf.Tensor2D;
      return this.proj === null ? pooled : tf.matMul(pooled, this.proj);
    });
  }
}

/** Holds the patchify convolution's `weight` `[W, 3, P, P]` (no bias) under the name `conv1.weight`. */
export class PatchWeight extends Module<{ width: number; patchSize: number }> {
  /** `'clipcap.PatchWeight'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.PatchWeight';
  /** `[W, 3, P, P]`, PyTorch's `nn.Conv2d` init (uniform ±1/√(3·P²)). */
  readonly weight: tf.Variable;

  /** Creates `weight`. */
  constructor(config: { width: number; patchSize: number }, options: ModuleOptions = {}) {
    super({ width: config.width, patchSize: config.patchSize }, options);
    const p = config.patchSize;
    this.weight = this.addParameter('weight', [config.width, 3, p, p], uniformInit(1 / Math.sqrt(3 * p * p)));
  }
}

/**
 * The small CNN of the feature extractor: three 3x3 convolutions with max pooling, a fully connected
 * feature layer (the region feature), and three classification heads (shape, colour, size) used only to
 * train it, as an ImageNet classifier is trained before its penultimate layer is used for features.
 */
import * as tf from '@tensorflow/tfjs';
import { COLOR_NAMES, SHAPE_NAMES, SIZE_NAMES } from './scene';

/** The architecture of a {@link RegionCnn}; round-trips through JSON. */
export interface RegionCnnConfig {
  /** side of the square input crops in pixels (a multiple of 8) */
  inputSize: number;
  /** output channels of the three convolutions */
  channels: [number, number, number];
  /** size of the feature layer (the region feature dimension D) */
  featureDim: number;
  /** seed of the weight initialisation */
  seed: number;
}

/** The outputs of {@link RegionCnn.apply}. */
export interface RegionCnnOutput {
  /** region features [batch, featureDim] (after ReLU) */
  features: tf.Tensor2D;
  /** shape logits [batch, 5] */
  shape: tf.Tensor2D;
  /** colour logits [batch, 6] */
  color: tf.Tensor2D;
  /** size logits [batch, 2] */
  size: tf.Tensor2D;
}

/**
 * A 3x3 'same' convolution (stride 1): x [n, h, w, c] * w [3, 3, c, f] → [n, h, w, f]. Its filter gradient
 * runs on `@caption/core`'s wasm `Conv2DBackpropFilter` (one forward convolution; tfjs-backend-wasm has
 * none of its own). tfjs computes the input gradient only where a variable lies behind `x`, so the first
 * layer, whose input is data, never computes it.
 */
export function conv3x3Same(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  return tf.conv2d(x, w, 1, 'same');
}

/** A named trainable weight. */
export interface NamedWeight {
  /** PyTorch-style dotted name (`conv1.weight`, `feature.bias`) */
  name: string;
  /** the variable */
  variable: tf.Variable;
}

/**
 * The region CNN. Weights are created in the constructor (He-normal convolutions and feature layer,
 * Glorot-uniform heads, zero biases, all from `config.seed`); `apply` is pure (call it under `tf.tidy`).
 *
 * @example
 * ```ts
 * const cnn = new RegionCnn({ inputSize: 32, channels: [16, 32, 32], featureDim: 128, seed: 1 });
 * const feats = tf.tidy(() => cnn.apply(tf.zeros([2, 32, 32, 3])).features); // [2, 128]
 * ```
 */
export class RegionCnn {
  /** the architecture */
  readonly config: RegionCnnConfig;
  private readonly weights: NamedWeight[] = [];
  private readonly convs: Array<{ weight: tf.Variable; bias: tf.Variable }>;
  private readonly feature: { weight: tf.Variable; bias: tf.Variable };
  private readonly heads: Record<'shape' | 'color' | 'size', { weight: tf.Variable; bias: tf.Variable }>;

  /** @param config the architecture and initialisation seed */
  constructor(config: RegionCnnConfig) {
    if (config.inputSize % 8 !== 0 || config.inputSize < 8) {
      throw new RangeError(`RegionCnn: inputSize must be a positive multiple of 8, got ${config.inputSize}`);
    }
    this.config = { ...config, channels: [...config.channels] };
    let seed = config.seed;
    const linear = (name: string, shape: number[], fanIn: number, fanOut: number, kind: 'he' | 'glorot') => {
      const init =
        kind === 'he'
          ? tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed++)
          : tf.randomUniform(
              shape,
              -Math.sqrt(6 / (fanIn + fanOut)),
              Math.sqrt(6 / (fanIn + fanOut)),
              'float32',
              seed++,
            );
      const weight = tf.variable(init, true, `${name}.weight`);
      init.dispose();
      const bias = tf.variable(tf.zeros([fanOut]), true, `${name}.bias`);
      this.weights.push({ name: `${name}.weight`, variable: weight }, { name: `${name}.bias`, variable: bias });
      return { weight, bias };
    };
    let depth = 3;
    this.convs = config.channels.map((filters, i) => {
      const conv = linear(`conv${i + 1}`, [3, 3, depth, filters], 9 * depth, filters, 'he');
      depth = filters;
      return conv;
    });
    const side = config.inputSize / 8;
    this.feature = linear(
      'feature',
      [side * side * depth, config.featureDim],
      side * side * depth,
      config.featureDim,
      'he',
    );
    const head = (name: string, classes: number) =>
      linear(name, [config.featureDim, classes], config.featureDim, classes, 'glorot');
    this.heads = {
      shape: head('shape', SHAPE_NAMES.length),
      color: head('color', COLOR_NAMES.length),
      size: head('size', SIZE_NAMES.length),
    };
  }

  /**
   * The convolutional trunk alone: [batch, s, s, 3] → [batch, s/8, s/8, channels[2]] for any side s divisible by
   * 8 (the end-to-end Show-Tell reads it from whole images).
   */
  featureMap(images: tf.Tensor4D): tf.Tensor4D {
    let x: tf.Tensor4D = images;
    this.convs.forEach((conv) => {
      const y = tf.relu(tf.add(conv3x3Same(x, conv.weight as tf.Tensor4D), conv.bias)) as tf.Tensor4D;
      x = tf.maxPool(y, 2, 2, 'valid');
    });
    return x;
  }

  /** Forward pass on crops [batch, inputSize, inputSize, 3] (values roughly in [-1, 1]). */
  apply(crops: tf.Tensor4D): RegionCnnOutput {
    const x = this.featureMap(crops);
    const flat = tf.reshape(x, [x.shape[0], -1]);
    const features = tf.relu(tf.add(tf.matMul(flat, this.feature.weight), this.feature.bias)) as tf.Tensor2D;
    const logits = (h: { weight: tf.Variable; bias: tf.Variable }): tf.Tensor2D =>
      tf.add(tf.matMul(features, h.weight), h.bias);
    return {
      features,
      shape: logits(this.heads.shape),
      color: logits(this.heads.color),
      size: logits(this.heads.size),
    };
  }

  /** The trainable weights with their names, in creation order. */
  namedWeights(): readonly NamedWeight[] {
    return this.weights;
  }

  /** The trainable variables, for an optimizer's `minimize`. */
  variables(): tf.Variable[] {
    return this.weights.map((w) => w.variable);
  }

  /** Number of trainable parameters. */
  parameterCount(): number {
    return this.weights.reduce((n, w) => n + w.variable.size, 0);
  }

  /** Releases the weights. */
  dispose(): void {
    for (const w of this.weights) w.variable.dispose();
  }
}

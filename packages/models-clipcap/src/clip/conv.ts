/**
 * Convolution building blocks with PyTorch's state-dict names and layouts (`nn.Conv2d`, `nn.BatchNorm2d`),
 * computed in NHWC (TensorFlow.js's layout, the one with fast kernels and gradients on wasm).
 *
 * The image encoders take PyTorch's `[B, 3, H, W]` and transpose once to `[B, H, W, C]`; every layer here
 * takes and returns NHWC tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { constantInit, Module, uniformInit, type ModuleOptions } from '@caption/core';
import { ClipConfigError, checkPositiveInteger } from './errors';

/** Configuration of {@link Conv2d} (PyTorch `nn.Conv2d` arguments). */
export interface Conv2dConfig {
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** Square kernel size. */
  kernelSize: number;
  /** Stride (default 1). */
  stride?: number;
  /** Zero padding on each side (default 0). */
  padding?: number;
  /** Channel groups (default 1); both channel counts must be divisible by it. */
  groups?: number;
  /** With a bias (default false: every convolution of the encoders here is followed by a norm or has none). */
  bias?: boolean;
}

/**
 * A 2-D convolution: `weight` `[out, in / groups, k, k]` (PyTorch layout), optional `bias` `[out]`;
 * PyTorch's default init (uniform ±1/√fan_in). `apply` takes and returns NHWC. Grouped convolutions run one
 * convolution per group.
 */
export class Conv2d extends Module<Required<Conv2dConfig>> {
  /** `'clipcap.Conv2d'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.Conv2d';
  /** `[out, in / groups, k, k]`. */
  readonly weight: tf.Variable;
  /** `[out]`, or null. */
  readonly bias: tf.Variable | null;

  /**
   * @throws {ClipConfigError} for a size that is not a positive integer, a negative padding or channel counts
   *   not divisible by `groups`
   */
  constructor(config: Conv2dConfig, options: ModuleOptions = {}) {
    const full: Required<Conv2dConfig> = {
      inChannels: config.inChannels,
      outChannels: config.outChannels,
      kernelSize: config.kernelSize,
      stride: config.stride ?? 1,
      padding: config.padding ?? 0,
      groups: config.groups ?? 1,
      bias: config.bias ?? false,
    };
    for (const key of ['inChannels', 'outChannels', 'kernelSize', 'stride', 'groups'] as const) {
      checkPositiveInteger(`Conv2d.${key}`, full[key]);
    }
    if (!Number.isInteger(full.padding) || full.padding < 0) {
      throw new ClipConfigError('Conv2d.padding', `must be a non-negative integer, got ${full.padding}`);
    }
    if (full.inChannels % full.groups !== 0 || full.outChannels % full.groups !== 0) {
      throw new ClipConfigError(
        'Conv2d.groups',
        `${full.groups} does not divide inChannels ${full.inChannels} and outChannels ${full.outChannels}`,
      );
    }
    super(full, options);
    const fanIn = (full.inChannels / full.groups) * full.kernelSize * full.kernelSize;
    const bound = 1 / Math.sqrt(fanIn);
    const k = full.kernelSize;
    this.weight = this.addParameter(
      'weight',
      [full.outChannels, full.inChannels / full.groups, k, k],
      uniformInit(bound),
    );
    this.bias = full.bias ? this.addParameter('bias', [full.outChannels], uniformInit(bound)) : null;
  }

  /** `x` `[B, H, W, in]` → `[B, H', W', out]`. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    this.assertUsable();
    const { stride, padding, groups, kernelSize, inChannels, outChannels } = this.config;
    return tf.tidy(() => {
      let y: tf.Tensor4D;
      if (kernelSize === 1 && stride === 1 && padding === 0 && groups === 1) {
        // a 1×1 convolution is a matrix product over the pixels
        const [b, h, w] = x.shape;
        const flat = tf.matMul(
          tf.reshape(x, [b * h * w, inChannels]),
          tf.reshape(this.weight, [outChannels, inChannels]),
          false,
          true,
        );
        y = tf.reshape(flat, [b, h, w, outChannels]);
      } else {
        const filter = tf.transpose(this.weight, [2, 3, 1, 0]) as tf.Tensor4D; // [k, k, in/g, out]
        const pad = padding === 0 ? 'valid' : padding;
        if (groups === 1) y = tf.conv2d(x, filter, stride, pad) as tf.Tensor4D;
        else {
          const xs = tf.split(x, groups, 3);
          const fs = tf.split(filter, groups, 3);
          y = tf.concat(
            xs.map((xi, i) => tf.conv2d(xi as tf.Tensor4D, fs[i] as tf.Tensor4D, stride, pad) as tf.Tensor4D),
            3,
          );
        }
      }
      return this.bias === null ? y : (tf.add(y, this.bias) as tf.Tensor4D);
    });
  }
}

/** Configuration of {@link BatchNorm2d} (PyTorch `nn.BatchNorm2d` arguments). */
export interface BatchNorm2dConfig {
  /** Channels. */
  numFeatures: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of the new batch statistics in the running averages (default 0.1). */
  momentum?: number;
}

/**
 * Batch normalisation over the channels of NHWC tensors, with PyTorch's names: trainable `weight` (1) and
 * `bias` (0); buffers `running_mean` (0), `running_var` (1), `num_batches_tracked` (0), which are in the
 * state dict but not trainable (`variable.trainable` is false, so gradients and optimisers skip them).
 *
 * Evaluation mode normalises with the running statistics. Training mode normalises with the batch's
 * statistics (biased variance) and updates the running ones as PyTorch does (`momentum`, unbiased variance,
 * `num_batches_tracked + 1`): the only `apply` in this package with a side effect.
 */
export class BatchNorm2d extends Module<Required<BatchNorm2dConfig>> {
  /** `'clipcap.BatchNorm2d'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.BatchNorm2d';
  /** Scale `[C]`. */
  readonly weight: tf.Variable;
  /** Shift `[C]`. */
  readonly bias: tf.Variable;
  /** Running mean `[C]` (buffer). */
  readonly runningMean: tf.Variable;
  /** Running (unbiased) variance `[C]` (buffer). */
  readonly runningVar: tf.Variable;
  /** Number of training batches seen, a float32 scalar here (int64 in PyTorch; buffer). */
  readonly numBatchesTracked: tf.Variable;

  /** @throws {ClipConfigError} for a channel count that is not a positive integer or a bad eps / momentum */
  constructor(config: BatchNorm2dConfig, options: ModuleOptions = {}) {
    checkPositiveInteger('BatchNorm2d.numFeatures', config.numFeatures);
    const full = { numFeatures: config.numFeatures, eps: config.eps ?? 1e-5, momentum: config.momentum ?? 0.1 };
    if (!(full.eps > 0)) throw new ClipConfigError('BatchNorm2d.eps', `must be > 0, got ${full.eps}`);
    if (!(full.momentum >= 0 && full.momentum <= 1)) {
      throw new ClipConfigError('BatchNorm2d.momentum', `must be in [0, 1], got ${full.momentum}`);
    }
    super(full, options);
    const c = full.numFeatures;
    this.weight = this.addParameter('weight', [c], constantInit(1));
    this.bias = this.addParameter('bias', [c], constantInit(0));
    this.runningMean = this.addParameter('running_mean', [c], constantInit(0));
    this.runningVar = this.addParameter('running_var', [c], constantInit(1));
    this.numBatchesTracked = this.addParameter('num_batches_tracked', [], constantInit(0));
    for (const buffer of [this.runningMean, this.runningVar, this.numBatchesTracked]) buffer.trainable = false;
  }

  /** `x` `[B, H, W, C]` normalised per channel (see the class comment for the two modes). */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    this.assertUsable();
    const { eps, momentum } = this.config;
    if (!this.training) {
      return tf.tidy(() => {
        const scale = tf.mul(this.weight, tf.rsqrt(tf.add(this.runningVar, eps)));
        const shift = tf.sub(this.bias, tf.mul(this.runningMean, scale));
        return tf.add(tf.mul(x, scale), shift);
      });
    }
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      const n = x.size / x.shape[3];
      tf.tidy(() => {
        this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - momentum), tf.mul(mean, momentum)));
        const unbiased = tf.mul(variance, n > 1 ? n / (n - 1) : 1);
        this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - momentum), tf.mul(unbiased, momentum)));
        this.numBatchesTracked.assign(tf.add(this.numBatchesTracked, 1));
      });
      const scale = tf.mul(this.weight, tf.rsqrt(tf.add(variance, eps)));
      return tf.add(tf.mul(tf.sub(x, mean), scale), this.bias);
    });
  }
}

/** PyTorch `nn.AvgPool2d(k)` (kernel = stride = k, no padding, floor) on NHWC. */
export function avgPool(x: tf.Tensor4D, k: number): tf.Tensor4D {
  return k === 1 ? x : tf.avgPool(x, k, k, 'valid');
}

/**
 * PyTorch `nn.AvgPool2d(kernel, stride, padding)` with its default `count_include_pad=True` (the zeros of the
 * padding count in every average) on NHWC.
 */
export function avgPoolPadded(x: tf.Tensor4D, kernel: number, stride: number, padding: number): tf.Tensor4D {
  return tf.tidy(() => {
    const padded =
      padding === 0
        ? x
        : tf.pad(x, [
            [0, 0],
            [padding, padding],
            [padding, padding],
            [0, 0],
          ]);
    return tf.avgPool(padded, kernel, stride, 'valid');
  });
}

/** PyTorch `nn.MaxPool2d(kernel, stride, padding)` (padding never wins the maximum) on NHWC. */
export function maxPoolPadded(x: tf.Tensor4D, kernel: number, stride: number, padding: number): tf.Tensor4D {
  return tf.tidy(() => {
    const padded =
      padding === 0
        ? x
        : tf.pad(
            x,
            [
              [0, 0],
              [padding, padding],
              [padding, padding],
              [0, 0],
            ],
            -Infinity,
          );
    return tf.maxPool(padded, kernel, stride, 'valid');
  });
}

/** `[B, C, H, W]` (PyTorch's image layout) → `[B, H, W, C]`. */
export function nchwToNhwc(images: tf.Tensor4D): tf.Tensor4D {
  return tf.transpose(images, [0, 2, 3, 1]);
}

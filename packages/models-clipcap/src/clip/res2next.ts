/**
 * Res2NeXt (Gao et al., "Res2Net: A New Multi-scale Backbone Architecture", TPAMI 2019), the image encoder
 * of the seed CLIP+GPT system, with the state-dict names of the authors' code
 * (Res2Net/Res2Net-PretrainedModels `res2next.py`, classes `Bottle2neckX` and `Res2NeXt`): `conv1`, `bn1`,
 * `layer1…4.N.{conv1,bn1,convs.i,bns.i,conv3,bn3,downsample.0,downsample.1}`, `fc`.
 *
 * The authors' class fixes the stem at 64 channels; `width` here is that number (64 for Res2NeXt-50), and every
 * stage scales with it exactly as the original scales with 64, so a small width is the same architecture.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, ModuleList, normalInit, type ModuleOptions } from '@caption/core';
import { BatchNorm2d, Conv2d, avgPoolPadded, maxPoolPadded, nchwToNhwc } from './conv';
import { ClipConfigError, ClipInputError, checkPositiveInteger } from './errors';
import { DownsampleBranch } from './modified-resnet';

/** Configuration of {@link Bottle2neckX}. */
export interface Bottle2neckXConfig {
  /** Input channels. */
  inplanes: number;
  /** Stage planes; the output has `4 · planes` channels. */
  planes: number;
  /** `baseWidth`: each group is `D = floor(planes · baseWidth / 64)` channels wide. */
  baseWidth: number;
  /** `cardinality` C: groups of the 3×3 convolutions. */
  cardinality: number;
  /** Stride of the 3×3 convolutions (and of the pool of the last split in a stage's first block). */
  stride: number;
  /** `scale` s: the 1×1 output is split into s parts of D·C channels. */
  scale: number;
  /** `'stage'` (first block of a stage: splits are not chained, the last one is average-pooled) or `'normal'`. */
  stype: 'stage' | 'normal';
  /** With a downsample branch (stride ≠ 1 or a channel change), of the given stride. */
  downsample: boolean;
}

/**
 * The Res2NeXt bottleneck (`Bottle2neckX`): 1×1 conv to s·D·C channels, split into s parts; part i (< s−1)
 * goes through its grouped 3×3 conv (`convs.i`, `bns.i`, ReLU), after adding the previous part's output in
 * `'normal'` blocks; the last part passes through (average-pooled 3×3 in `'stage'` blocks); concatenated,
 * 1×1 conv to 4·planes, `bn3`, plus the identity or downsample, ReLU.
 */
export class Bottle2neckX extends Module<Bottle2neckXConfig> {
  /** `'clipcap.Bottle2neckX'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.Bottle2neckX';
  /** 1×1 convolution to `scale · D · C` channels. */
  readonly conv1: Conv2d;
  /** Its BatchNorm. */
  readonly bn1: BatchNorm2d;
  /** The grouped 3×3 convolutions (`max(1, scale − 1)` of them). */
  readonly convs: ModuleList<Conv2d>;
  /** Their BatchNorms. */
  readonly bns: ModuleList<BatchNorm2d>;
  /** 1×1 convolution to `4 · planes`. */
  readonly conv3: Conv2d;
  /** Its BatchNorm. */
  readonly bn3: BatchNorm2d;
  /** The downsample branch, or null. */
  readonly downsample: DownsampleBranch | null;
  /** `D · C`: channels of one split. */
  readonly splitWidth: number;

  /** @throws {ClipConfigError} when the group width `D` is 0 */
  constructor(config: Bottle2neckXConfig, options: ModuleOptions = {}) {
    const d = Math.floor(config.planes * (config.baseWidth / 64));
    if (d < 1) {
      throw new ClipConfigError(
        'vision.baseWidth',
        `planes ${config.planes} · baseWidth ${config.baseWidth} / 64 gives a group width of 0`,
      );
    }
    super({ ...config }, options);
    const c = config.cardinality;
    const rng = { rng: this.rng };
    this.splitWidth = d * c;
    const wide = d * c * config.scale;
    this.conv1 = this.addModule(
      'conv1',
      new Conv2d({ inChannels: config.inplanes, outChannels: wide, kernelSize: 1 }, rng),
    );
    this.bn1 = this.addModule('bn1', new BatchNorm2d({ numFeatures: wide }, rng));
    const nums = config.scale === 1 ? 1 : config.scale - 1;
    const conv = () =>
      new Conv2d(
        { inChannels: d * c, outChannels: d * c, kernelSize: 3, stride: config.stride, padding: 1, groups: c },
        rng,
      );
    this.convs = this.addModule('convs', new ModuleList(Array.from({ length: nums }, conv), rng));
    this.bns = this.addModule(
      'bns',
      new ModuleList(
        Array.from({ length: nums }, () => new BatchNorm2d({ numFeatures: d * c }, rng)),
        rng,
      ),
    );
    this.conv3 = this.addModule(
      'conv3',
      new Conv2d({ inChannels: wide, outChannels: config.planes * 4, kernelSize: 1 }, rng),
    );
    this.bn3 = this.addModule('bn3', new BatchNorm2d({ numFeatures: config.planes * 4 }, rng));
    this.downsample = config.downsample
      ? this.addModule(
          'downsample',
          new DownsampleBranch(
            { inChannels: config.inplanes, outChannels: config.planes * 4, stride: config.stride },
            rng,
          ),
        )
      : null;
  }

  /** NHWC `x` → NHWC output. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    this.assertUsable();
    const { scale, stype, stride } = this.config;
    return tf.tidy(() => {
      const out = tf.relu(this.bn1.apply(this.conv1.apply(x)));
      const spx = scale === 1 ? [out] : tf.split(out, scale, 3);
      const parts: tf.Tensor4D[] = [];
      let sp: tf.Tensor4D | null = null;
      const convs = this.convs.toArray();
      const bns = this.bns.toArray();
      convs.forEach((conv, i) => {
        const input: tf.Tensor4D =
          i === 0 || stype === 'stage' || sp === null ? (spx[i] as tf.Tensor4D) : tf.add(sp, spx[i] as tf.Tensor4D);
        sp = tf.relu((bns[i] as BatchNorm2d).apply(conv.apply(input)));
        parts.push(sp);
      });
      if (scale !== 1) {
        const last = spx[convs.length] as tf.Tensor4D;
        parts.push(stype === 'normal' ? last : avgPoolPadded(last, 3, stride, 1));
      }
      const merged = parts.length === 1 ? (parts[0] as tf.Tensor4D) : tf.concat(parts, 3);
      const y = this.bn3.apply(this.conv3.apply(merged));
      const residual = this.downsample === null ? x : this.downsample.apply(x);
      return tf.relu(tf.add(y, residual)) as tf.Tensor4D;
    });
  }
}

/** Configuration of {@link Res2NeXt}. */
export interface Res2NeXtConfig {
  /** Blocks per stage: `[3, 4, 6, 3]` for Res2NeXt-50. */
  layers: [number, number, number, number];
  /** `baseWidth` (4 for Res2NeXt-50). */
  baseWidth: number;
  /** `cardinality` (8 for Res2NeXt-50). */
  cardinality: number;
  /** `scale` (4 for Res2NeXt-50). */
  scale: number;
  /** Stem channels; stage i has `width · 2^i` planes (64 in the authors' class, where it is fixed). */
  width: number;
  /** Output size of `fc` (the original's `num_classes`; CLIP's linear projection); null: no `fc`, the pooled `[B, 32·width]`. */
  numClasses: number | null;
}

/** Res2NeXt-50's configuration (`res2next50()`), without the classifier. */
export const RES2NEXT50: Readonly<Res2NeXtConfig> = {
  layers: [3, 4, 6, 3],
  baseWidth: 4,
  cardinality: 8,
  scale: 4,
  width: 64,
  numClasses: null,
};

/**
 * Res2NeXt: `[B, 3, H, W]` images (PyTorch layout) → 7×7/2 conv stem, BatchNorm, ReLU, 3×3/2 max pool, four
 * stages of {@link Bottle2neckX}, global average pool, optional `fc`. Init as the original: convolutions
 * N(0, √(2/(k²·out))), BatchNorm 1/0, `fc` PyTorch's default.
 */
export class Res2NeXt extends Module<Res2NeXtConfig> {
  /** `'clipcap.Res2NeXt'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.Res2NeXt';
  /** The 7×7 stem convolution. */
  readonly conv1: Conv2d;
  /** Its BatchNorm. */
  readonly bn1: BatchNorm2d;
  /** `layer1` … `layer4`. */
  readonly stages: Array<ModuleList<Bottle2neckX>>;
  /** The classifier / projection, or null. */
  readonly fc: Linear | null;

  /** @throws {ClipConfigError} for sizes that are not positive integers */
  constructor(config: Res2NeXtConfig, options: ModuleOptions = {}) {
    if (!Array.isArray(config.layers) || config.layers.length !== 4) {
      throw new ClipConfigError('vision.layers', `must be 4 block counts, got ${JSON.stringify(config.layers)}`);
    }
    config.layers.forEach((n, i) => checkPositiveInteger(`vision.layers[${i}]`, n));
    for (const key of ['baseWidth', 'cardinality', 'scale', 'width'] as const) {
      checkPositiveInteger(`vision.${key}`, config[key]);
    }
    if (config.numClasses !== null) checkPositiveInteger('vision.numClasses', config.numClasses);
    super({ ...config, layers: [...config.layers] }, options);
    const rng = { rng: this.rng };
    const w = config.width;
    this.conv1 = this.addModule(
      'conv1',
      new Conv2d({ inChannels: 3, outChannels: w, kernelSize: 7, stride: 2, padding: 3 }, rng),
    );
    this.bn1 = this.addModule('bn1', new BatchNorm2d({ numFeatures: w }, rng));
    let inplanes = w;
    this.stages = config.layers.map((blocks, i) => {
      const planes = w * 2 ** i;
      const stride = i === 0 ? 1 : 2;
      const list = Array.from({ length: blocks }, (_, j) => {
        const first = j === 0;
        const block = new Bottle2neckX(
          {
            inplanes,
            planes,
            baseWidth: config.baseWidth,
            cardinality: config.cardinality,
            stride: first ? stride : 1,
            scale: config.scale,
            stype: first ? 'stage' : 'normal',
            downsample: first && (stride !== 1 || inplanes !== planes * 4),
          },
          rng,
        );
        inplanes = planes * 4;
        return block;
      });
      return this.addModule(`layer${i + 1}`, new ModuleList(list, rng));
    });
    this.fc =
      config.numClasses === null
        ? null
        : this.addModule('fc', new Linear({ inFeatures: w * 32, outFeatures: config.numClasses }, rng));
    tf.tidy(() => {
      for (const [, m] of this.namedModules()) {
        if (m instanceof Conv2d) {
          const [out, , k] = m.weight.shape as [number, number, number, number];
          m.weight.assign(
            tf.tensor(normalInit(Math.sqrt(2 / (k * k * out)))(m.weight.shape, this.rng), m.weight.shape),
          );
        }
      }
    });
  }

  /** Size of the output features: `numClasses`, or `32 · width` without `fc`. */
  get outputDim(): number {
    return this.config.numClasses ?? this.config.width * 32;
  }

  /** `images` `[B, 3, H, W]` → `[B, outputDim]`. */
  apply(images: tf.Tensor4D): tf.Tensor2D {
    this.assertUsable();
    if (images.rank !== 4 || images.shape[1] !== 3) {
      throw new ClipInputError(
        'Res2NeXt.apply',
        'images',
        `must be [B, 3, H, W] (PyTorch layout), got [${images.shape.join(', ')}]`,
      );
    }
    return tf.tidy(() => {
      let x = nchwToNhwc(images);
      x = maxPoolPadded(tf.relu(this.bn1.apply(this.conv1.apply(x))), 3, 2, 1);
      for (const stage of this.stages) for (const block of stage) x = block.apply(x);
      const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D;
      return this.fc === null ? pooled : (this.fc.apply(pooled) as tf.Tensor2D);
    });
  }
}

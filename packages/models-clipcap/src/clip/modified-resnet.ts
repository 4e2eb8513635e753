/**
 * OpenAI CLIP's `ModifiedResNet` (`clip/model.py`) with its state-dict names: a 3-convolution stem with an
 * average pool, bottlenecks whose strided paths start with an average pool (anti-aliasing), and an attention
 * pool (`attnpool`: the mean token queries all positions) instead of a global average.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, ModuleList, normalInit, type ModuleOptions } from '@caption/core';
import { BatchNorm2d, Conv2d, avgPool, nchwToNhwc } from './conv';
import { ClipConfigError, ClipInputError, checkPositiveInteger } from './errors';
import { scaledDotProductAttention } from './transformer';

/** Configuration of {@link ClipBottleneck}. */
export interface ClipBottleneckConfig {
  /** Input channels. */
  inplanes: number;
  /** Inner channels; the output has `4 · planes`. */
  planes: number;
  /** Stride (an average pool after `conv2`, and before the downsample's convolution). */
  stride: number;
}

/**
 * CLIP's `Bottleneck`: `conv1` 1×1, `bn1`, ReLU, `conv2` 3×3, `bn2`, ReLU, avgpool(stride), `conv3` 1×1, `bn3`,
 * plus the identity or `downsample` (`downsample.0` 1×1 conv after an avgpool, `downsample.1` BatchNorm), ReLU.
 */
export class ClipBottleneck extends Module<ClipBottleneckConfig> {
  /** `'clipcap.ClipBottleneck'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.ClipBottleneck';
  private readonly convs: Conv2d[];
  private readonly bns: BatchNorm2d[];
  /** The downsample path (`0`: conv, `1`: BatchNorm), or null. */
  readonly downsample: DownsampleBranch | null;

  /** Creates the layers in PyTorch's order. */
  constructor(config: ClipBottleneckConfig, options: ModuleOptions = {}) {
    super({ ...config }, options);
    const { inplanes, planes, stride } = config;
    const rng = { rng: this.rng };
    const conv1 = this.addModule(
      'conv1',
      new Conv2d({ inChannels: inplanes, outChannels: planes, kernelSize: 1 }, rng),
    );
    const bn1 = this.addModule('bn1', new BatchNorm2d({ numFeatures: planes }, rng));
    const conv2 = this.addModule(
      'conv2',
      new Conv2d({ inChannels: planes, outChannels: planes, kernelSize: 3, padding: 1 }, rng),
    );
    const bn2 = this.addModule('bn2', new BatchNorm2d({ numFeatures: planes }, rng));
    const conv3 = this.addModule(
      'conv3',
      new Conv2d({ inChannels: planes, outChannels: planes * 4, kernelSize: 1 }, rng),
    );
    const bn3 = this.addModule('bn3', new BatchNorm2d({ numFeatures: planes * 4 }, rng));
    this.convs = [conv1, conv2, conv3];
    this.bns = [bn1, bn2, bn3];
    this.downsample =
      stride > 1 || inplanes !== planes * 4
        ? this.addModule(
            'downsample',
            new DownsampleBranch({ inChannels: inplanes, outChannels: planes * 4, stride: 1 }, rng),
          )
        : null;
  }

  /** NHWC `x` → NHWC output (spatial size divided by the stride). */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    this.assertUsable();
    const [conv1, conv2, conv3] = this.convs as [Conv2d, Conv2d, Conv2d];
    const [bn1, bn2, bn3] = this.bns as [BatchNorm2d, BatchNorm2d, BatchNorm2d];
    const { stride } = this.config;
    return tf.tidy(() => {
      let out = tf.relu(bn1.apply(conv1.apply(x)));
      out = tf.relu(bn2.apply(conv2.apply(out)));
      out = avgPool(out, stride);
      out = bn3.apply(conv3.apply(out));
      const identity = this.downsample === null ? x : this.downsample.apply(avgPool(x, stride));
      return tf.relu(tf.add(out, identity)) as tf.Tensor4D;
    });
  }
}

/** Configuration of {@link DownsampleBranch}. */
export interface DownsampleBranchConfig {
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** Stride of the 1×1 convolution (CLIP: 1, after its average pool; torchvision-style ResNets: the block's). */
  stride: number;
}

/** A residual downsample: `0` = 1×1 convolution (no bias), `1` = BatchNorm (PyTorch `nn.Sequential` names). */
export class DownsampleBranch extends Module<DownsampleBranchConfig> {
  /** `'clipcap.DownsampleBranch'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.DownsampleBranch';
  /** The 1×1 convolution. */
  readonly conv: Conv2d;
  /** Its BatchNorm. */
  readonly bn: BatchNorm2d;

  /** Creates `0` (conv) and `1` (BatchNorm). */
  constructor(config: DownsampleBranchConfig, options: ModuleOptions = {}) {
    super({ ...config }, options);
    const rng = { rng: this.rng };
    this.conv = this.addModule(
      '0',
      new Conv2d(
        { inChannels: config.inChannels, outChannels: config.outChannels, kernelSize: 1, stride: config.stride },
        rng,
      ),
    );
    this.bn = this.addModule('1', new BatchNorm2d({ numFeatures: config.outChannels }, rng));
  }

  /** `bn(conv(x))` on NHWC. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    this.assertUsable();
    return tf.tidy(() => this.bn.apply(this.conv.apply(x)));
  }
}

/** Configuration of {@link AttentionPool2d}. */
export interface AttentionPool2dConfig {
  /** Side of the feature map (`inputResolution / 32`). */
  spacialDim: number;
  /** Channels of the feature map (`width · 32`). */
  embedDim: number;
  /** Heads (OpenAI: `width · 32 / 64`). */
  heads: number;
  /** Output size of `c_proj` (null: `embedDim`). */
  outputDim: number | null;
}

/**
 * CLIP's `AttentionPool2d`: tokens = [mean over positions; every position] + `positional_embedding`; the mean
 * token alone queries all tokens through `q_proj`/`k_proj`/`v_proj` (with biases), heads concatenated, `c_proj`.
 */
export class AttentionPool2d extends Module<AttentionPool2dConfig> {
  /** `'clipcap.AttentionPool2d'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.AttentionPool2d';
  /** `[spacialDim² + 1, embedDim]`, N(0, 1/embedDim). */
  readonly positionalEmbedding: tf.Variable;
  /** Key projection. */
  readonly kProj: Linear;
  /** Query projection. */
  readonly qProj: Linear;
  /** Value projection. */
  readonly vProj: Linear;
  /** Output projection. */
  readonly cProj: Linear;

  /** @throws {ClipConfigError} when `heads` does not divide `embedDim` */
  constructor(config: AttentionPool2dConfig, options: ModuleOptions = {}) {
    checkPositiveInteger('attnpool.heads', config.heads);
    if (config.embedDim % config.heads !== 0) {
      throw new ClipConfigError(
        'vision.heads',
        `${config.heads} does not divide the attention-pool width ${config.embedDim}`,
      );
    }
    super({ ...config }, options);
    const e = config.embedDim;
    const rng = { rng: this.rng };
    this.positionalEmbedding = this.addParameter(
      'positional_embedding',
      [config.spacialDim ** 2 + 1, e],
      normalInit(e ** -0.5),
    );
    this.kProj = this.addModule('k_proj', new Linear({ inFeatures: e, outFeatures: e }, rng));
    this.qProj = this.addModule('q_proj', new Linear({ inFeatures: e, outFeatures: e }, rng));
    this.vProj = this.addModule('v_proj', new Linear({ inFeatures: e, outFeatures: e }, rng));
    this.cProj = this.addModule('c_proj', new Linear({ inFeatures: e, outFeatures: config.outputDim ?? e }, rng));
  }

  /** NHWC feature map `[B, s, s, embedDim]` → `[B, outputDim]`. */
  apply(x: tf.Tensor4D): tf.Tensor2D {
    this.assertUsable();
    const { embedDim: e, heads } = this.config;
    return tf.tidy(() => {
      const [b, h, w] = x.shape;
      const positions = tf.reshape(x, [b, h * w, e]);
      const tokens = tf.add(
        tf.concat([tf.mean(positions, 1, true), positions], 1),
        this.positionalEmbedding,
      ) as tf.Tensor3D;
      const query = tf.slice(tokens, [0, 0, 0], [b, 1, e]);
      const q = this.qProj.apply(query) as tf.Tensor3D;
      const k = this.kProj.apply(tokens) as tf.Tensor3D;
      const v = this.vProj.apply(tokens) as tf.Tensor3D;
      const pooled = tf.reshape(scaledDotProductAttention(q, k, v, heads), [b, e]);
      return this.cProj.apply(pooled) as tf.Tensor2D;
    });
  }
}

/** Configuration of {@link ModifiedResNet} (OpenAI's constructor arguments). */
export interface ModifiedResNetConfig {
  /** Bottlenecks per stage, e.g. `[3, 4, 6, 3]` for RN50. */
  layers: [number, number, number, number];
  /** Output size of the attention pool's `c_proj` (the joint embedding); null: `width · 32`. */
  outputDim: number | null;
  /** Attention-pool heads (OpenAI: `width · 32 / 64`). */
  heads: number;
  /** Input images are `inputResolution × inputResolution`; a multiple of 32. */
  inputResolution: number;
  /** Stem width (64 for RN50); stage `i` has `width · 2^i` inner and `4×` that many output channels. */
  width: number;
}

/**
 * ModifiedResNet image encoder: `[B, 3, R, R]` images (PyTorch layout) → `[B, outputDim]`. Init: PyTorch
 * defaults, with OpenAI's `initialize_parameters` for the attention pool (N(0, (32·width)^−½)) and zero
 * `bn3.weight` in every bottleneck (each residual branch starts switched off).
 */
export class ModifiedResNet extends Module<ModifiedResNetConfig> {
  /** `'clipcap.ModifiedResNet'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'clipcap.ModifiedResNet';
  private readonly stem: Array<[Conv2d, BatchNorm2d]>;
  /** `layer1` … `layer4`. */
  readonly stages: Array<ModuleList<ClipBottleneck>>;
  /** The attention pool. */
  readonly attnpool: AttentionPool2d;

  /** @throws {ClipConfigError} for sizes that are not positive integers or a resolution that is not a multiple of 32 */
  constructor(config: ModifiedResNetConfig, options: ModuleOptions = {}) {
    if (!Array.isArray(config.layers) || config.layers.length !== 4) {
      throw new ClipConfigError('vision.layers', `must be 4 block counts, got ${JSON.stringify(config.layers)}`);
    }
    config.layers.forEach((n, i) => checkPositiveInteger(`vision.layers[${i}]`, n));
    checkPositiveInteger('vision.width', config.width);
    checkPositiveInteger('vision.inputResolution', config.inputResolution);
    if (config.inputResolution % 32 !== 0) {
      throw new ClipConfigError('vision.inputResolution', `must be a multiple of 32, got ${config.inputResolution}`);
    }
    if (config.width % 2 !== 0) throw new ClipConfigError('vision.width', `must be even, got ${config.width}`);
    super({ ...config, layers: [...config.layers] }, options);
    const rng = { rng: this.rng };
    const w = config.width;
    const half = w / 2;
    this.stem = [
      [
        this.addModule(
          'conv1',
          new Conv2d({ inChannels: 3, outChannels: half, kernelSize: 3, stride: 2, padding: 1 }, rng),
        ),
        this.addModule('bn1', new BatchNorm2d({ numFeatures: half }, rng)),
      ],
      [
        this.addModule('conv2', new Conv2d({ inChannels: half, outChannels: half, kernelSize: 3, padding: 1 }, rng)),
        this.addModule('bn2', new BatchNorm2d({ numFeatures: half }, rng)),
      ],
      [
        this.addModule('conv3', new Conv2d({ inChannels: half, outChannels: w, kernelSize: 3, padding: 1 }, rng)),
        this.addModule('bn3', new BatchNorm2d({ numFeatures: w }, rng)),
      ],
    ];
    let inplanes = w;
    this.stages = config.layers.map((blocks, i) => {
      const planes = w * 2 ** i;
      const list = Array.from({ length: blocks }, (_, j) => {
        const block = new ClipBottleneck({ inplanes, planes, stride: j === 0 && i > 0 ? 2 : 1 }, rng);
        inplanes = planes * 4;
        return block;
      });
      return this.addModule(`layer${i + 1}`, new ModuleList(list, rng));
    });
    const embedDim = w * 32;
    this.attnpool = this.addModule(
      'attnpool',
      new AttentionPool2d(
        { spacialDim: config.inputResolution / 32, embedDim, heads: config.heads, outputDim: config.outputDim },
        rng,
      ),
    );
    tf.tidy(() => {
      const std = embedDim ** -0.5;
      for (const proj of [this.attnpool.qProj, this.attnpool.kProj, this.attnpool.vProj, this.attnpool.cProj]) {
        proj.weight.assign(tf.tensor(normalInit(std)(proj.weight.shape, this.rng), proj.weight.shape));
      }
      for (const [name, v] of this.namedParameters())
        if (/^layer\d\.\d+\.bn3\.weight$/.test(name)) v.assign(tf.zerosLike(v));
    });
  }

  /** Size of the output features. */
  get outputDim(): number {
    return this.config.outputDim ?? this.config.width * 32;
  }

  /** `images` `[B, 3, R, R]` → features `[B, outputDim]`. */
  apply(images: tf.Tensor4D): tf.Tensor2D {
    this.assertUsable();
    const r = this.config.inputResolution;
    if (images.shape[1] !== 3 || images.shape[2] !== r || images.shape[3] !== r) {
      throw new ClipInputError(
        'ModifiedResNet.apply',
        'images',
        `must be [B, 3, ${r}, ${r}] (PyTorch layout), got [${images.shape.join(', ')}]`,
      );
    }
    return tf.tidy(() => {
      let x = nchwToNhwc(images);
      for (const [conv, bn] of this.stem) x = tf.relu(bn.apply(conv.apply(x)));
      x = avgPool(x, 2);
      for (const stage of this.stages) for (const block of stage) x = block.apply(x);
      return this.attnpool.apply(x);
    });
  }
}

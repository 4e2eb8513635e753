/** `AoAModel`: AoANet (Huang et al., ICCV 2019) as husthuaan/AoANet builds it, on TensorFlow.js. */
import * as tf from '@tensorflow/tfjs-core';
import {
  Activation,
  type CaptionModel,
  type DecoderState,
  type DecoderStepOutput,
  type DifferentiableSampleOptions,
  type DifferentiableSamples,
  Dropout,
  Embedding,
  Linear,
  Module,
  type ModuleJSON,
  type ModuleOptions,
  sampleWithLogprobs,
  type SamplingSteps,
  Sequential,
} from '@caption/core';
import {
  type AoAModelConfig,
  configFromReferenceOptions,
  type ResolvedAoAModelConfig,
  resolveAoAModelConfig,
} from './config';
import { AoADecoderCore, type AoADecoderState, type DecoderMemory } from './decoder-core';
import { AoAConfigError, AoAInputError } from './errors';
import { AoARefiner } from './refiner';
import { type StepProduct } from './step-product';
import { tidyKeep } from './tidy';
import { type ForwardOptions, samplingStepsOf, teacherForcedPass } from './training-passes';

/**
 * Image features of a batch, one row per image (or per caption: rows are then treated as images).
 * Region features are zero-padded to a common count K; the mask says which are real.
 */
export interface AoAFeatures {
  /** `[B, K, attFeatSize (+5 with useBox)]` region features (bottom-up `att`, with box features when `useBox`). */
  att: tf.Tensor;
  /**
   * `[B, K]` float 1/0, 1 = region, valid regions first (as the data loader pads). Absent or null: every
   * region is valid (the reference's data loader passes `None` when all images have the same count).
   */
  mask?: tf.Tensor | null;
  /** `[B, fcFeatSize]` global features; only read when `meanFeats` is false. */
  fc?: tf.Tensor | null;
}

/** What {@link AoAModel.encode} computes once per image (the reference's `_prepare_feature`). */
export interface EncodedImages {
  /** `[B, d]`: masked mean of the refined regions (`meanFeats`), or the fc embedding. */
  meanFeats: tf.Tensor;
  /** `[B, K', d]` refined regions (after `clip_att` cut the region axis to K' = the largest valid count). */
  regions: tf.Tensor;
  /**
   * `[B, K', 2·scale·d]` `ctx2att(regions)` (first half values, second half keys), or `[B, K', attHidSize]` (additive
   * attention).
   */
  projected: tf.Tensor;
  /** `[B, K']` mask, or null when every image has all K' regions. */
  mask: tf.Tensor | null;
}

/** Options of {@link AoAModel.selfCriticalSample}: core's sampling options and the step product. */
export interface SelfCriticalSampleOptions extends DifferentiableSampleOptions {
  /** How the per-step weights are multiplied (default `tallGradientProduct`). */
  stepProduct?: StepProduct;
}

/** The JSON form of an {@link AoAModel}: class name and resolved config (weights are saved separately). */
export type AoAModelJSON = ModuleJSON<ResolvedAoAModelConfig>;

/**
 * AoANet: refined region features, an LSTM decoder attending over them with attention on attention.
 *
 * ```
 * image side, once per image:
 *   A⁰ = Dropout(ReLU(W_a r + b_a)) ⊙ mask            att_embed (padded regions exact zeros)
 *   A  = Refiner(A⁰, mask)                            6 × [x + AoA(MHA(LN x))], LN   (refine)
 *   ā  = Σ_i m_i A_i / Σ_i m_i                        mean_feats
 *   [V | K] = W_c A + b_c                             ctx2att
 * word side, per step:
 *   w_t = Dropout(ReLU(E[y_{t−1}]))                   embed
 *   out_t, state = DecoderCore(w_t, (ā, K, V, mask), state)
 *   log p(y_t) = log_softmax(W_o out_t + b_o)         logit
 * ```
 *
 * Weights carry the reference's state-dict names (`embed.0.weight`, `att_embed.0.*`, `logit.*`,
 * `ctx2att.*`, `refiner.layers.<i>.*`, `refiner.norm.*`, `core.*`), so `loadStateDict` takes a PyTorch
 * checkpoint converted to safetensors as it is. `vocabSize` (the {@link CaptionModel} field) is the
 * number of output classes, `config.vocabSize + 1` (index 0 = BOS = EOS = pad).
 *
 * The image side runs once per image and is repeated to the image's captions afterwards; the reference
 * repeats the features per caption first (5× the work). In eval mode the results are equal; in training
 * mode the captions of one image share the image side's dropout masks.
 *
 * @example
 * ```ts
 * const model = AoAModel.fromReferenceOptions({ vocabSize: 9487 });   // train.sh's AoANet
 * model.loadStateDict(weights);                                       // PyTorch names
 * const logprobs = model.forward({ att, mask }, labels);             // [N, L+1, 9488], teacher forcing
 * model.eval();
 * const captions = beamSearch(model, { att, mask }, { beamSize: 3, maxLength: model.config.maxLength });
 * ```
 */
export class AoAModel extends Module<ResolvedAoAModelConfig> implements CaptionModel<AoAFeatures> {
  /** `'aoa.AoAModel'`: the name core's `moduleFromJSON` finds this class under (registered by the package entry). */
  static override readonly className = 'aoa.AoAModel';
  /** Output classes: the words plus index 0 (the reference's `vocab_size + 1`). */
  readonly vocabSize: number;
  /** Word embedding (`embed`: Embedding, ReLU, Dropout). */
  readonly embed: Sequential;
  /** Fc embedding (`fc_embed`), only without `meanFeats`. */
  readonly fcEmbed: Sequential | null;
  /** Region embedding (`att_embed`: Linear, ReLU, Dropout). */
  readonly attEmbed: Sequential;
  /** Output layer (`logit`). */
  readonly logit: Linear;
  /** Key/value projection of the refined regions (`ctx2att`). */
  readonly ctx2att: Linear;
  /** The refiner (`refiner`), or null without `refine`. */
  readonly refiner: AoARefiner | null;
  /** The decoder step (`core`). */
  readonly core: AoADecoderCore;

  /**
   * Resolves the config ({@link resolveAoAModelConfig}: the reference's defaults, every value checked) and
   * creates `embed` (`vocabSize + 1` rows of `inputEncodingSize`), `fc_embed` (without `meanFeats`),
   * `att_embed` (`attFeatSize`, + 5 with `useBox`, → `rnnSize`), `logit`, `ctx2att`, the `refiner` (with
   * `refine`) and the decoder `core`, all initialised from `options.rng` (PyTorch's default inits).
   *
   * @throws {AoAConfigError} naming the first bad option or combination
   */
  constructor(config: AoAModelConfig, options: ModuleOptions = {}) {
    const c = resolveAoAModelConfig(config);
    super(c, options);
    const rng = { rng: this.rng };
    const d = c.rnnSize;
    this.vocabSize = c.vocabSize + 1;
    const embedBlock = (first: Module & { apply(x: tf.Tensor): tf.Tensor }) =>
      new Sequential([first, new Activation({ fn: 'relu' }, rng), new Dropout({ rate: c.dropProbLm }, rng)], rng);
    this.embed = this.addModule(
      'embed',
      embedBlock(new Embedding({ numEmbeddings: this.vocabSize, embeddingDim: c.inputEncodingSize }, rng)),
    );
    this.fcEmbed = c.meanFeats
      ? null
      : this.addModule('fc_embed', embedBlock(new Linear({ inFeatures: c.fcFeatSize, outFeatures: d }, rng)));
    const regionSize = c.attFeatSize + (c.useBox ? 5 : 0);
    this.attEmbed = this.addModule(
      'att_embed',
      embedBlock(new Linear({ inFeatures: regionSize, outFeatures: d }, rng)),
    );
    this.logit = this.addModule('logit', new Linear({ inFeatures: d, outFeatures: this.vocabSize }, rng));
    const projected = c.useMultiHead === 2 ? 2 * c.multiHeadScale * d : c.attHidSize;
    this.ctx2att = this.addModule('ctx2att', new Linear({ inFeatures: d, outFeatures: projected }, rng));
    this.refiner = c.refine
      ? this.addModule(
          'refiner',
          new AoARefiner(
            {
              modelDim: d,
              numHeads: c.numHeads,
              scale: c.multiHeadScale,
              refineAoa: c.refineAoa,
              useFf: c.useFf,
              dropoutAoa: c.dropoutAoa,
            },
            rng,
          ),
        )
      : null;
    this.core = this.addModule(
      'core',
      new AoADecoderCore(
        {
          inputEncodingSize: c.inputEncodingSize,
          rnnSize: d,
          numHeads: c.numHeads,
          multiHeadScale: c.multiHeadScale,
          useMultiHead: c.useMultiHead,
          attHidSize: c.attHidSize,
          decoderType: c.decoderType,
          dropProbLm: c.dropProbLm,
          ctxDrop: c.ctxDrop,
          outRes: c.outRes,
        },
        rng,
      ),
    );
  }

  /**
   * A model from reference options (camelCased `opts.py` names, flags 0/1 or booleans), every model option
   * not given at `train.sh`'s value; training-only options are ignored, unknown names are errors. See
   * {@link configFromReferenceOptions}.
   *
   * @example
   * ```ts
   * const model = AoAModel.fromReferenceOptions({ vocabSize: 9487 });                 // 85,562,640 parameters
   * const small = AoAModel.fromReferenceOptions({ vocabSize: 40, rnnSize: 32, inputEncodingSize: 32, numHeads: 4 });
   * ```
   */
  static fromReferenceOptions(options: Readonly<Record<string, unknown>>, moduleOptions?: ModuleOptions): AoAModel {
    return new AoAModel(configFromReferenceOptions(options), moduleOptions);
  }

  /** A model (fresh weights) from {@link AoAModel.toJSON}'s output (checks the class name). */
  static fromJSON(
    json: {
      /** Must be `'aoa.AoAModel'`. */
      className: string;
      /** The model's config (resolved or not; it is resolved again). */
      config: AoAModelConfig;
    },
    options?: ModuleOptions,
  ): AoAModel {
    if (json.className !== 'aoa.AoAModel')
      throw new AoAConfigError('className', `expected 'aoa.AoAModel', got ${JSON.stringify(json.className)}`);
    return new AoAModel(json.config, options);
  }

  /**
   * The image side (the reference's `_prepare_feature`), once per row of `features`: `clip_att`
   * (regions cut to the largest valid count), region embedding with exact zeros on padded regions,
   * refiner, mean feature and `ctx2att`. Runs under `tf.tidy`; differentiable. `product` is how the
   * refiner's AoA gates multiply by their weights ({@link AoAModel.forward} passes its step product).
   */
  encode(features: AoAFeatures, product?: StepProduct): EncodedImages {
    this.assertUsable();
    const where = 'AoAModel.encode';
    const c = this.config;
    const { att } = features;
    const regionSize = c.attFeatSize + (c.useBox ? 5 : 0);
    if (att.rank !== 3 || att.shape[2] !== regionSize) {
      throw new AoAInputError(
        where,
        'features.att',
        `has shape [${att.shape.join(', ')}], expected ` +
          `[B, K, ${regionSize}]${c.useBox ? ' (attFeatSize + 5 box features)' : ''}`,
      );
    }
    const [images, regions] = att.shape as [number, number, number];
    const keep = clipRegions(where, features.mask ?? null, images, regions);
    if (!c.meanFeats) {
      const fc = features.fc;
      if (fc === undefined || fc === null || fc.rank !== 2 || fc.shape[0] !== images || fc.shape[1] !== c.fcFeatSize) {
        throw new AoAInputError(
          where,
          'features.fc',
          `must be [${images}, ${c.fcFeatSize}] when meanFeats ` +
            `is off, got ${fc ? `[${fc.shape.join(', ')}]` : String(fc)}`,
        );
      }
    }
    return tidyKeep(() => {
      const clipped = keep.count === regions ? att : tf.slice(att, [0, 0, 0], [images, keep.count, regionSize]);
      const mask = keep.mask === null ? null : tf.tensor2d(keep.mask, [images, keep.count], 'float32');
      let embedded = this.attEmbed.apply(clipped);
      if (mask !== null) embedded = tf.mul(embedded, tf.expandDims(mask, 2));
      const refined = this.refiner === null ? embedded : this.refiner.apply(embedded, mask, product);
      let meanFeats: tf.Tensor;
      if (this.fcEmbed !== null) meanFeats = this.fcEmbed.apply(features.fc as tf.Tensor);
      else if (mask === null) meanFeats = tf.mean(refined, 1);
      else meanFeats = tf.div(tf.sum(tf.mul(refined, tf.expandDims(mask, 2)), 1), tf.sum(mask, 1, true));
      return { meanFeats, regions: refined, projected: this.ctx2att.apply(refined), mask };
    });
  }

  /** The decoder's view of encoded images: keys/values split from `ctx2att` (or the additive attention's). */
  memoryOf(encoded: EncodedImages): DecoderMemory {
    if (this.config.useMultiHead !== 2) {
      return { meanFeats: encoded.meanFeats, keys: encoded.projected, values: encoded.regions, mask: encoded.mask };
    }
    return tidyKeep(() => {
      const [values, keys] = tf.split(encoded.projected, 2, 2) as [tf.Tensor, tf.Tensor];
      return { meanFeats: encoded.meanFeats, keys, values, mask: encoded.mask };
    });
  }

  /**
   * Teacher-forced log-probabilities, as the reference's `AttModel._forward`: `labels` `[N, T]` int32
   * (column 0 = 0 = BOS, then the words, then zeros) give `[N, T − 1, vocabSize]` log-probs of the next
   * token at each step (`[B, S, T]` labels, as `@caption/data-coco`'s loader gives them, are read as
   * `[B·S, T]`). `features` has one row per image and N must be a multiple of it (the image's
   * captions are consecutive rows); features with N rows work too. As the reference, the loop stops at
   * the first step i ≥ 1 whose input column `labels[:, i]` is 0 in every row, and the remaining steps are
   * exact zeros (the losses mask them out). With `scheduledSampling` in training mode, each row's input at
   * t ≥ 1 is, with the given probability, drawn from the model's previous distribution. With
   * `output: 'logits'` the same steps hold the logits instead (for core's fused label-smoothed loss).
   *
   * @example
   * ```ts
   * const logprobs = model.forward({ att, mask }, labels);   // labels [50, 18] for 10 images × 5 captions
   * const loss = labelSmoothingLoss(logprobs, labels.slice([0, 1]), masks.slice([0, 1]), 0.2);
   * ```
   */
  forward(features: AoAFeatures, labels: tf.Tensor, options: ForwardOptions = {}): tf.Tensor3D {
    this.assertUsable();
    return teacherForcedPass(this, features, labels, options);
  }

  /**
   * {@link CaptionModel.samplingSteps}, which core's `sampleWithLogprobs` (self-critical training) uses
   * instead of `prepare` / `step`: the image side once per image and each per-step weight's gradient
   * formed once (see {@link samplingStepsOf}).
   */
  samplingSteps(features: AoAFeatures, samplesPerImage: number): SamplingSteps {
    this.assertUsable();
    return samplingStepsOf(this, features, samplesPerImage);
  }

  /**
   * Core's `sampleWithLogprobs` on this model, with `maxLength` defaulting to `config.maxLength` and a
   * choice of step product: sampled (or greedy) captions with each word's differentiable log-prob, as the
   * reference's self-critical training draws them. Call it inside the differentiated function.
   *
   * @example
   * ```ts
   * const { loss, grads } = computeGradients(model, () => {
   *   const s = model.selfCriticalSample({ att, mask }, { rng, samplesPerImage: 5 });
   *   return selfCriticalLoss(s.logprobs, tf.tensor2d(s.tokens, [s.rows, s.maxLength], 'int32'), advantages);
   * });
   * ```
   */
  selfCriticalSample(features: AoAFeatures, options: SelfCriticalSampleOptions = {}): DifferentiableSamples {
    const { stepProduct, ...sampling } = options;
    const model: CaptionModel<AoAFeatures> = {
      vocabSize: this.vocabSize,
      prepare: (f) => this.prepare(f),
      step: (state, tokens) => this.step(state, tokens),
      samplingSteps: (f, n) => samplingStepsOf(this, f, n, stepProduct),
    };
    return sampleWithLogprobs(model, features, { maxLength: this.config.maxLength, ...sampling });
  }

  /**
   * {@link CaptionModel.prepare}: the image side of each row of `features`, plus zero initial states.
   * Context tensors: `[meanFeats, keys, values]` and the mask when some image has padded regions.
   */
  prepare(features: AoAFeatures): DecoderState {
    return tf.tidy(() => {
      const memory = this.memoryOf(this.encode(features));
      const rows = memory.meanFeats.shape[0] as number;
      const context = [memory.meanFeats, memory.keys, memory.values, ...(memory.mask === null ? [] : [memory.mask])];
      return { context, recurrent: stateTensors(this.core.initialState(rows)) };
    });
  }

  /** {@link CaptionModel.step}: log-probabilities `[rows, vocabSize]` of the next token and the next state. */
  step(state: DecoderState, tokens: tf.Tensor1D): DecoderStepOutput {
    this.assertUsable();
    const [meanFeats, keys, values, mask] = state.context as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
    const [hidden, cell, context, contextCell] = state.recurrent as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
      tf.Tensor | undefined,
    ];
    return tf.tidy(() => {
      const memory: DecoderMemory = { meanFeats, keys, values, mask: mask ?? null };
      const next = this.core.apply(this.embed.apply(tokens), memory, {
        hidden,
        cell,
        context,
        contextCell: contextCell ?? null,
      });
      return {
        logprobs: tf.logSoftmax(this.logit.apply(next.output)) as tf.Tensor2D,
        recurrent: stateTensors(next.state),
      };
    });
  }

  /** `{ className: 'aoa.AoAModel', config }` (weights excluded; save them with {@link Module.stateDict}). */
  override toJSON(): AoAModelJSON {
    return { className: this.className, config: { ...this.config } };
  }
}

function stateTensors(state: AoADecoderState): tf.Tensor[] {
  return [state.hidden, state.cell, state.context, ...(state.contextCell === null ? [] : [state.contextCell])];
}

/**
 * `clip_att` and the mask checks: the number of regions to keep (the largest valid count) and the mask
 * cut to it, or null when every image has all of them. Reads the mask (small) from the device.
 */
function clipRegions(
  where: string,
  mask: tf.Tensor | null,
  images: number,
  regions: number,
): { count: number; mask: Float32Array | null } {
  if (mask === null) return { count: regions, mask: null };
  if (mask.rank !== 2 || mask.shape[0] !== images || mask.shape[1] !== regions) {
    throw new AoAInputError(
      where,
      'features.mask',
      `has shape [${mask.shape.join(', ')}], expected [${images}, ${regions}]`,
    );
  }
  const values = mask.dataSync();
  let longest = 0;
  for (let b = 0; b < images; b++) {
    let count = 0;
    for (let k = 0; k < regions; k++) {
      const v = values[b * regions + k] as number;
      if (v !== 0 && v !== 1)
        throw new AoAInputError(where, 'features.mask', `holds ${v} at image ${b}, region ${k}; expected 1/0`);
      if (v === 1) {
        if (count !== k)
          throw new AoAInputError(
            where,
            'features.mask',
            `of image ${b} has a valid region ${k} after padding; valid regions must come first`,
          );
        count += 1;
      }
    }
    if (count === 0) throw new AoAInputError(where, 'features.mask', `of image ${b} has no valid region`);
    longest = Math.max(longest, count);
  }
  let full = true;
  const clipped = new Float32Array(images * longest);
  for (let b = 0; b < images; b++) {
    for (let k = 0; k < longest; k++) {
      const v = values[b * regions + k] as number;
      clipped[b * longest + k] = v;
      if (v === 0) full = false;
    }
  }
  return { count: longest, mask: full ? null : clipped };
}

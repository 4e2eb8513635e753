/** `AoAModel`: AoANet (Huang et al., ICCV 2019) as husthuaan/AoANet builds it, on TensorFlow.js. */
import * as tf from '@tensorflow/tfjs-core';
import {
  Activation,
  type CaptionModel,
  type DecoderState,
  type DecoderStepOutput,
  Dropout,
  Embedding,
  Linear,
  Module,
  type ModuleJSON,
  type ModuleOptions,
  type Random,
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
import { type StepProduct, tallGradientLookup, tallGradientProduct } from './step-product';
import { tidyKeep } from './tidy';

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
  /** `[B, K', 2·scale·d]` `ctx2att(regions)` (first half values, second half keys), or `[B, K', attHidSize]` (additive attention). */
  projected: tf.Tensor;
  /** `[B, K']` mask, or null when every image has all K' regions. */
  mask: tf.Tensor | null;
}

/** Scheduled sampling in {@link AoAModel.forward} (training mode only, as the reference). */
export interface ScheduledSampling {
  /** Probability that a row's input at step t ≥ 1 is drawn from the model's previous distribution (`ss_prob`). */
  probability: number;
  /** The source of the draws (its state advances; save it for exact resumes). */
  rng: Random;
}

/** Options of {@link AoAModel.forward}. */
export interface ForwardOptions {
  /** Scheduled sampling (off when absent or probability 0, and in eval mode). */
  scheduledSampling?: ScheduledSampling;
  /**
   * How the decoder multiplies its per-step weights when teacher forcing (see {@link StepProduct});
   * default {@link tallGradientProduct} (one weight gradient over all steps).
   */
  stepProduct?: StepProduct;
  /**
   * `'logprobs'` (default): `log_softmax` outputs, as the reference. `'logits'`: the logit layer's
   * outputs before `log_softmax` (stopped steps still exact zeros), for core's fused
   * `labelSmoothingLoss(logits, target, mask, ε, { input: 'logits' })`, which computes the log-softmax
   * and the loss in one op (~0.25 s less per train.sh-size XE step on wasm).
   */
  output?: 'logprobs' | 'logits';
}

/** Options of {@link AoAModel.selfCriticalSample}. */
export interface SelfCriticalSampleOptions {
  /** `'sample'` (default): draw from the model's distribution; `'greedy'`: the most likely word (first on ties). */
  method?: 'sample' | 'greedy';
  /** Source of the draws (required for `'sample'`); its state advances. */
  rng?: Random;
  /** Captions per image (the reference's `seq_per_img` samples; default 1). */
  samplesPerImage?: number;
  /** Steps at most (default `config.maxLength`, the reference's 20). */
  maxLength?: number;
  /** Words are drawn from `exp(logprobs / temperature)` (default 1). */
  temperature?: number;
  /** How the per-step weights are multiplied (default {@link tallGradientProduct}). */
  stepProduct?: StepProduct;
}

/** Sampled captions with differentiable log-probs ({@link AoAModel.selfCriticalSample}). */
export interface DifferentiableSamples {
  /** Number of captions (images × samples per image). */
  rows: number;
  /** Columns of `tokens` and `logprobs`. */
  maxLength: number;
  /** `[rows, maxLength]` row-major token ids, 0 after each caption's end token. */
  tokens: Int32Array;
  /** `[rows, maxLength]` log-prob of each drawn word (differentiable), 0 after the loop stopped. */
  logprobs: tf.Tensor2D;
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
        `has shape [${att.shape.join(', ')}], expected [B, K, ${regionSize}]${c.useBox ? ' (attFeatSize + 5 box features)' : ''}`,
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
          `must be [${images}, ${c.fcFeatSize}] when meanFeats is off, got ${fc ? `[${fc.shape.join(', ')}]` : String(fc)}`,
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
    const where = 'AoAModel.forward';
    const width = labels.shape[labels.rank - 1] as number;
    if (labels.dtype !== 'int32' || (labels.rank !== 2 && labels.rank !== 3) || width < 2) {
      throw new AoAInputError(
        where,
        'labels',
        `must be int32 [N, T ≥ 2] or [B, S, T ≥ 2], got ${labels.dtype} [${labels.shape.join(', ')}]`,
      );
    }
    const rows = labels.size / width;
    if (labels.rank === 3) {
      const flat = tf.reshape(labels, [rows, width]);
      try {
        return this.forward(features, flat, options);
      } finally {
        flat.dispose();
      }
    }
    const images = features.att.shape[0] as number;
    if (images < 1 || rows % images !== 0) {
      throw new AoAInputError(
        where,
        'labels',
        `has ${rows} rows, not a multiple of the ${images} feature rows (captions per image must be equal)`,
      );
    }
    const labelValues = labels.dataSync() as Int32Array;
    const steps = teacherForcedSteps(labelValues, rows, width);
    const sampling = options.scheduledSampling;
    const ssProbability = this.training && sampling !== undefined ? sampling.probability : 0;
    if (!(ssProbability >= 0 && ssProbability <= 1)) {
      throw new AoAInputError(
        where,
        'options.scheduledSampling.probability',
        `must be in [0, 1], got ${String(ssProbability)}`,
      );
    }
    const output = options.output ?? 'logprobs';
    if (output !== 'logprobs' && output !== 'logits')
      throw new AoAInputError(where, 'options.output', `must be 'logprobs' or 'logits', got ${String(output)}`);
    const product = options.stepProduct ?? tallGradientProduct;
    return tf.tidy(() => {
      const memory = repeatMemory(this.memoryOf(this.encode(features, product)), rows / images);
      if (ssProbability === 0) {
        // All inputs are known: embed them in one call, unroll the recurrence, then the logits in one product.
        const words = this.embed.apply(tf.slice(labels, [0, 0], [rows, steps]));
        const hidden = this.core.unroll(words, memory, product);
        const logits = this.logits(hidden, product(this.logit.weight));
        return padSteps(output === 'logits' ? logits : tf.logSoftmax(logits), width - 1) as tf.Tensor3D;
      }
      const rng = (sampling as ScheduledSampling).rng;
      const step = this.core.stepper(memory, product);
      const logitProduct = product(this.logit.weight);
      const lookup = tallGradientLookup(this.wordTable());
      let state: AoADecoderState | null = null;
      const outputs: tf.Tensor[] = [];
      let previous: tf.Tensor | null = null;
      for (let t = 0; t < steps; t++) {
        const tokens = labelValues.filter((_, i) => i % width === t);
        const input =
          previous === null ? tf.tensor1d(tokens, 'int32') : scheduledInputs(tokens, previous, ssProbability, rng);
        const next = step(this.embedWith(input, lookup), state);
        state = next.state;
        const logits = this.logits(next.output, logitProduct);
        previous = tf.logSoftmax(logits);
        outputs.push(output === 'logits' ? logits : previous);
      }
      return padSteps(tf.stack(outputs, 1), width - 1) as tf.Tensor3D;
    });
  }

  /** The word embedding table `E` (`embed.0.weight`). */
  private wordTable(): tf.Variable {
    return (this.embed.get(0) as unknown as Embedding).weight;
  }

  /** `Dropout(ReLU(E[ids]))` (the `embed` block) with the table lookup done by `lookup` (see {@link tallGradientLookup}). */
  private embedWith(ids: tf.Tensor, lookup: (ids: tf.Tensor) => tf.Tensor): tf.Tensor {
    const [, relu, dropout] = this.embed.toArray() as [
      unknown,
      { apply(x: tf.Tensor): tf.Tensor },
      { apply(x: tf.Tensor): tf.Tensor },
    ];
    return dropout.apply(relu.apply(lookup(ids)));
  }

  /** `logit(x)` for `x` `[..., d]`, with `x·Wᵀ` computed by `times` (a {@link StepProduct} of the logit weight). */
  private logits(x: tf.Tensor, times: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
    const bias = this.logit.bias;
    const flat = x.rank === 2 ? x : tf.reshape(x, [-1, this.config.rnnSize]);
    const projected = bias === null ? times(flat) : tf.add(times(flat), bias);
    return x.rank === 2 ? projected : tf.reshape(projected, [...x.shape.slice(0, -1), this.vocabSize]);
  }

  /**
   * Sampled captions with differentiable log-probabilities, in one pass as the reference's self-critical
   * training samples them (`AttModel._sample` under autograd): the image side once per image, then per
   * step the next word of every row is drawn from `exp(logprobs / temperature)` (`tf.multinomial` on the
   * logits; or taken greedily, the first maximum), a row is finished after its end token and gets 0 afterwards, and the loop stops when
   * every row is finished. `logprobs` `[rows, maxLength]` holds each step's log-prob of the drawn word
   * (gathered before finished rows are zeroed, as the reference; 0 after the loop stopped): feed it to
   * core's `selfCriticalLoss` with `tokens`, whose mask covers each caption and its end token. Rows
   * `i·n … i·n+n−1` belong to image i. Call it inside the differentiated function; draws come from
   * `rng` through `tf.multinomial` seeds, so a run is reproducible on a given backend.
   *
   * @example
   * ```ts
   * const { loss, grads } = computeGradients(model, () => {
   *   const s = model.selfCriticalSample({ att, mask }, { rng, samplesPerImage: 5 });
   *   const advantages = greedyBaselineAdvantages(ciderOf(s.tokens), ciderOfGreedy, 5);
   *   return selfCriticalLoss(s.logprobs, tf.tensor2d(s.tokens, [s.rows, s.maxLength], 'int32'), tf.tensor1d(advantages));
   * });
   * ```
   */
  selfCriticalSample(features: AoAFeatures, options: SelfCriticalSampleOptions = {}): DifferentiableSamples {
    this.assertUsable();
    const where = 'AoAModel.selfCriticalSample';
    const method = options.method ?? 'sample';
    const perImage = options.samplesPerImage ?? 1;
    const maxLength = options.maxLength ?? this.config.maxLength;
    const temperature = options.temperature ?? 1;
    if (method !== 'sample' && method !== 'greedy')
      throw new AoAInputError(where, 'options.method', `must be 'sample' or 'greedy', got ${String(method)}`);
    if (method === 'sample' && options.rng === undefined)
      throw new AoAInputError(where, 'options.rng', 'is required for sampling');
    if (!Number.isInteger(perImage) || perImage < 1)
      throw new AoAInputError(where, 'options.samplesPerImage', `must be a positive integer, got ${perImage}`);
    if (!Number.isInteger(maxLength) || maxLength < 1)
      throw new AoAInputError(where, 'options.maxLength', `must be a positive integer, got ${maxLength}`);
    if (!(temperature > 0))
      throw new AoAInputError(where, 'options.temperature', `must be positive, got ${temperature}`);
    const product = options.stepProduct ?? tallGradientProduct;
    const classes = this.vocabSize;
    return tidyKeep(() => {
      const memory = repeatMemory(this.memoryOf(this.encode(features, product)), perImage);
      const rows = memory.meanFeats.shape[0] as number;
      const step = this.core.stepper(memory, product);
      const logitProduct = product(this.logit.weight);
      const lookup = tallGradientLookup(this.wordTable());
      const tokens = new Int32Array(rows * maxLength);
      const unfinished = new Uint8Array(rows).fill(1);
      const picked: tf.Tensor[] = [];
      let input = new Int32Array(rows);
      let state: AoADecoderState | null = null;
      for (let t = 0; t < maxLength; t++) {
        const next = step(this.embedWith(tf.tensor1d(input, 'int32'), lookup), state);
        state = next.state;
        // log p(w) = logit_w − logsumexp(logits): the full log_softmax is neither kept nor differentiated
        const logits = this.logits(next.output, logitProduct);
        const chosen =
          method === 'greedy'
            ? firstArgMax(logits.dataSync() as Float32Array, rows, classes)
            : tf.tidy(
                () =>
                  tf
                    .multinomial(
                      tf.div(logits, temperature) as tf.Tensor2D,
                      1,
                      (options.rng as Random).nextSeed(),
                      false,
                    )
                    .dataSync() as Int32Array,
              );
        const flatIndex = tf.tensor1d(
          Int32Array.from(chosen, (token, r) => r * classes + token),
          'int32',
        );
        picked.push(tf.sub(tf.gather(tf.reshape(logits, [rows * classes]), flatIndex), tf.logSumExp(logits, 1)));
        let open = 0;
        for (let r = 0; r < rows; r++) {
          const token = unfinished[r] === 1 ? (chosen[r] as number) : 0;
          if (token === 0) unfinished[r] = 0;
          tokens[r * maxLength + t] = token;
          open += unfinished[r] as number;
        }
        input = Int32Array.from({ length: rows }, (_, r) => tokens[r * maxLength + t] as number);
        if (open === 0) break;
      }
      const logprobs = tf.stack(picked, 1);
      const padded =
        picked.length === maxLength ? logprobs : tf.concat([logprobs, tf.zeros([rows, maxLength - picked.length])], 1);
      return { rows, maxLength, tokens, logprobs: padded as tf.Tensor2D };
    });
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

/** Per row of a `[rows, classes]` array, the index of its first maximum (`torch.max` on ties). */
function firstArgMax(values: Float32Array, rows: number, classes: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let v = 1; v < classes; v++)
      if ((values[r * classes + v] as number) > (values[r * classes + best] as number)) best = v;
    out[r] = best;
  }
  return out;
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

/** Steps the reference's teacher-forcing loop runs: up to the first i ≥ 1 whose column is all zero. */
function teacherForcedSteps(labels: Int32Array, rows: number, width: number): number {
  for (let i = 1; i < width - 1; i++) {
    let any = false;
    for (let r = 0; r < rows && !any; r++) any = labels[r * width + i] !== 0;
    if (!any) return i;
  }
  return width - 1;
}

/** `t` `[B, ...]` with each row repeated `times` times in place (rows 0,0,…,1,1,…), differentiable. */
function repeatRows(t: tf.Tensor, times: number): tf.Tensor {
  if (times === 1) return t;
  const [rows, ...rest] = t.shape as number[];
  return tf.reshape(tf.broadcastTo(tf.expandDims(t, 1), [rows as number, times, ...rest]), [
    (rows as number) * times,
    ...rest,
  ]);
}

/** The memory of images for their `times` captions each: the mean feature repeated, keys and values shared. */
function repeatMemory(memory: DecoderMemory, times: number): DecoderMemory {
  return { ...memory, meanFeats: repeatRows(memory.meanFeats, times) };
}

/** `[N, S, V]` padded with exact zeros to `[N, total, V]` (the steps after the loop stopped). */
function padSteps(logprobs: tf.Tensor, total: number): tf.Tensor {
  const [rows, steps, classes] = logprobs.shape as [number, number, number];
  if (steps === total) return logprobs;
  return tf.concat([logprobs, tf.zeros([rows, total - steps, classes])], 1);
}

/**
 * The inputs of one scheduled-sampling step: each row keeps its ground-truth token, or with probability
 * `p` takes a token drawn from `exp(previous)` (the previous step's log-probs, not differentiated).
 */
function scheduledInputs(tokens: Int32Array, previous: tf.Tensor, p: number, rng: Random): tf.Tensor1D {
  const sampled: number[] = [];
  for (let r = 0; r < tokens.length; r++) if (rng.next() < p) sampled.push(r);
  if (sampled.length === 0) return tf.tensor1d(tokens, 'int32');
  const rowsToSample = tf.gather(previous, tf.tensor1d(sampled, 'int32'));
  const draws = tf.multinomial(rowsToSample as tf.Tensor2D, 1, rng.nextSeed(), false).dataSync();
  const out = Int32Array.from(tokens);
  sampled.forEach((r, i) => {
    out[r] = draws[i] as number;
  });
  return tf.tensor1d(out, 'int32');
}

/**
 * The configuration of {@link AoAModel}: the model options of husthuaan/AoANet (`opts.py`, camelCased),
 * normalised, with `train.sh`'s values as defaults, and the conversion from a reference option dict.
 */
import { AoAConfigError } from './errors';

/**
 * What maps `[v̂_t; h_t]` (attended regions and LSTM state) to the decoder's context vector
 * (`decoder_type`): `'AoA'` a linear layer + GLU (attention on attention), `'LSTM'` a second LSTM cell,
 * `'base'` a linear layer + ReLU.
 */
export type DecoderType = 'AoA' | 'LSTM' | 'base';

/**
 * Architecture options of {@link AoAModel} (the reference's names in camelCase; flags as booleans).
 * Every option except `vocabSize` defaults to the value of AoANet's `train.sh` (or `opts.py` where
 * `train.sh` does not set it), so `{ vocabSize: 9487 }` is the published model (85,562,640 parameters).
 */
export interface AoAModelConfig {
  /** Number of words, without index 0 (BOS = EOS = pad); the model has `vocabSize + 1` output classes. */
  vocabSize: number;
  /** Word embedding size (`input_encoding_size`; train.sh 1024). */
  inputEncodingSize?: number;
  /** Width `d` of the region embeddings, the refiner and the LSTM (`rnn_size`; train.sh 1024). */
  rnnSize?: number;
  /** Size of each region feature as read from disk, before the 5 box features of `useBox` (2048). */
  attFeatSize?: number;
  /** Size of the global (fc) feature; used only when `meanFeats` is false (2048). */
  fcFeatSize?: number;
  /** Hidden size of the additive attention; used only when `useMultiHead` is not 2 (512). */
  attHidSize?: number;
  /** Dropout of the embeddings, the fed-back context (`ctxDrop`) and before the logits (`drop_prob_lm`; 0.5). */
  dropProbLm?: number;
  /** Refine the region features with the 6-layer AoA refiner (`refine`; true). */
  refine?: boolean;
  /** The refiner's self-attention carries an AoA gate; otherwise an output linear layer (`refine_aoa`; true). */
  refineAoa?: boolean;
  /** Add a position-wise feed-forward sub-layer (d → 2048 → d) to each refiner layer (`use_ff`; train.sh 0). */
  useFf?: boolean;
  /** Dropout on the refiner's AoA input `[v̂; q]` (`dropout_aoa`; train.sh 0.3). */
  dropoutAoa?: number;
  /** See {@link DecoderType} (`decoder_type`; `'AoA'`). */
  decoderType?: DecoderType;
  /**
   * Decoder attention (`use_multi_head`): 2 = multi-head scaled dot product (train.sh); any other value =
   * single-head additive attention (the reference's value 1 is an unimplemented TODO that behaves as 0).
   */
  useMultiHead?: number;
  /** Attention heads (`num_heads`; train.sh 8). */
  numHeads?: number;
  /** Width of queries, keys and values as a multiple of `rnnSize` (`multi_head_scale`; 1). */
  multiHeadScale?: number;
  /** The LSTM's image input is the masked mean of the refined regions; otherwise an fc embedding (`mean_feats`; true). */
  meanFeats?: boolean;
  /** Dropout (p = `dropProbLm`) on the context vector fed back to the LSTM (`ctx_drop`; train.sh 1). */
  ctxDrop?: boolean;
  /** Add the LSTM state to the decoder output (`out_res`, read with `getattr`; false). */
  outRes?: boolean;
  /**
   * Regions carry 5 box features (x1/w, y1/h, x2/w, y2/h, area) after the `attFeatSize` appearance
   * features, so the region embedding takes `attFeatSize + 5` inputs (`use_box`; false). The features
   * themselves are made by the data loader (`@caption/data-coco`'s `CaptionLoader` with the same option).
   */
  useBox?: boolean;
  /** The data loader L2-normalises each region feature (`norm_att_feat`; false). Recorded, not applied by the model. */
  normAttFeat?: boolean;
  /** The data loader L2-normalises the 5 box features (`norm_box_feat`; false). Recorded, not applied by the model. */
  normBoxFeat?: boolean;
  /** Decoding length in tokens, end token included (`max_length`; 20). */
  maxLength?: number;
}

/** {@link AoAModelConfig} with every default filled in. */
export type ResolvedAoAModelConfig = Required<AoAModelConfig>;

/** `train.sh`'s model options (first stage; the SCST stage uses the same architecture), other options at `opts.py` defaults. */
export const TRAIN_SH_MODEL_OPTIONS: Readonly<Omit<ResolvedAoAModelConfig, 'vocabSize'>> = Object.freeze({
  inputEncodingSize: 1024,
  rnnSize: 1024,
  attFeatSize: 2048,
  fcFeatSize: 2048,
  attHidSize: 512,
  dropProbLm: 0.5,
  refine: true,
  refineAoa: true,
  useFf: false,
  dropoutAoa: 0.3,
  decoderType: 'AoA',
  useMultiHead: 2,
  numHeads: 8,
  multiHeadScale: 1,
  meanFeats: true,
  ctxDrop: true,
  outRes: false,
  useBox: false,
  normAttFeat: false,
  normBoxFeat: false,
  maxLength: 20,
});

const DECODER_TYPES: readonly DecoderType[] = ['AoA', 'LSTM', 'base'];

function positiveInteger(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new AoAConfigError(option, `must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function rate(option: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new AoAConfigError(option, `must be a probability in [0, 1), got ${JSON.stringify(value)}`);
  }
  return value;
}

function flag(option: string, value: unknown): boolean {
  if (value === true || value === 1) return true;
  if (value === false || value === 0) return false;
  throw new AoAConfigError(option, `must be true/false or 1/0, got ${JSON.stringify(value)}`);
}

/**
 * Fills in the defaults of a config and checks every value and the combinations the reference cannot
 * build. Throws {@link AoAConfigError} naming the option.
 */
export function resolveAoAModelConfig(config: AoAModelConfig): ResolvedAoAModelConfig {
  if (typeof config !== 'object' || config === null)
    throw new AoAConfigError('config', `must be an object, got ${String(config)}`);
  const known = new Set<string>(['vocabSize', ...Object.keys(TRAIN_SH_MODEL_OPTIONS)]);
  for (const key of Object.keys(config)) {
    if (!known.has(key)) throw new AoAConfigError(key, `is not an AoAModel option (known: ${[...known].join(', ')})`);
  }
  const merged = { ...TRAIN_SH_MODEL_OPTIONS, ...definedEntries(config) } as Record<string, unknown>;
  const decoderType = merged.decoderType;
  if (!DECODER_TYPES.includes(decoderType as DecoderType)) {
    throw new AoAConfigError(
      'decoderType',
      `must be one of ${DECODER_TYPES.join(', ')}, got ${JSON.stringify(decoderType)}`,
    );
  }
  const useMultiHead = merged.useMultiHead;
  if (typeof useMultiHead !== 'number' || !Number.isInteger(useMultiHead) || useMultiHead < 0) {
    throw new AoAConfigError(
      'useMultiHead',
      `must be a non-negative integer (2 = multi-head), got ${JSON.stringify(useMultiHead)}`,
    );
  }
  const c: ResolvedAoAModelConfig = {
    vocabSize: positiveInteger('vocabSize', merged.vocabSize),
    inputEncodingSize: positiveInteger('inputEncodingSize', merged.inputEncodingSize),
    rnnSize: positiveInteger('rnnSize', merged.rnnSize),
    attFeatSize: positiveInteger('attFeatSize', merged.attFeatSize),
    fcFeatSize: positiveInteger('fcFeatSize', merged.fcFeatSize),
    attHidSize: positiveInteger('attHidSize', merged.attHidSize),
    dropProbLm: rate('dropProbLm', merged.dropProbLm),
    refine: flag('refine', merged.refine),
    refineAoa: flag('refineAoa', merged.refineAoa),
    useFf: flag('useFf', merged.useFf),
    dropoutAoa: rate('dropoutAoa', merged.dropoutAoa),
    decoderType: decoderType as DecoderType,
    useMultiHead,
    numHeads: positiveInteger('numHeads', merged.numHeads),
    multiHeadScale: positiveInteger('multiHeadScale', merged.multiHeadScale),
    meanFeats: flag('meanFeats', merged.meanFeats),
    ctxDrop: flag('ctxDrop', merged.ctxDrop),
    outRes: flag('outRes', merged.outRes),
    useBox: flag('useBox', merged.useBox),
    normAttFeat: flag('normAttFeat', merged.normAttFeat),
    normBoxFeat: flag('normBoxFeat', merged.normBoxFeat),
    maxLength: positiveInteger('maxLength', merged.maxLength),
  };
  if ((c.rnnSize * c.multiHeadScale) % c.numHeads !== 0) {
    throw new AoAConfigError(
      'numHeads',
      `rnnSize · multiHeadScale = ${c.rnnSize * c.multiHeadScale} is not divisible by ${c.numHeads} heads`,
    );
  }
  if (c.useMultiHead !== 2 && c.multiHeadScale !== 1) {
    throw new AoAConfigError(
      'multiHeadScale',
      `must be 1 with the additive attention (useMultiHead ${c.useMultiHead}): its output has rnnSize columns, ` +
        'the context layer expects rnnSize · multiHeadScale (the reference fails with a shape error)',
    );
  }
  return c;
}

function definedEntries(config: AoAModelConfig): Partial<AoAModelConfig> {
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as Partial<AoAModelConfig>;
}

/** Reference options (opts.py / eval.py / train.py, camelCased) that do not change the model; accepted and ignored. */
const NON_MODEL_OPTIONS: readonly string[] = [
  'inputJson',
  'inputFcDir',
  'inputAttDir',
  'inputBoxDir',
  'inputLabelH5',
  'startFrom',
  'cachedTokens',
  'numLayers',
  'rnnType',
  'useWarmup',
  'accSteps',
  'maxEpochs',
  'batchSize',
  'gradClip',
  'selfCriticalAfter',
  'seqPerImg',
  'beamSize',
  'lengthPenalty',
  'blockTrigrams',
  'removeBadEndings',
  'optim',
  'learningRate',
  'learningRateDecayStart',
  'learningRateDecayEvery',
  'learningRateDecayRate',
  'optimAlpha',
  'optimBeta',
  'optimEpsilon',
  'weightDecay',
  'labelSmoothing',
  'noamopt',
  'noamoptWarmup',
  'noamoptFactor',
  'reduceOnPlateau',
  'scheduledSamplingStart',
  'scheduledSamplingIncreaseEvery',
  'scheduledSamplingIncreaseProb',
  'scheduledSamplingMaxProb',
  'valImagesUse',
  'saveCheckpointEvery',
  'saveHistoryCkpt',
  'checkpointPath',
  'languageEval',
  'lossesLogEvery',
  'loadBestScore',
  'id',
  'trainOnly',
  'ciderRewardWeight',
  'bleuRewardWeight',
  'numImages',
  'dumpImages',
  'dumpJson',
  'dumpPath',
  'sampleMethod',
  'groupSize',
  'diversityLambda',
  'temperature',
  'decodingConstraint',
  'imageFolder',
  'imageRoot',
  'split',
  'cocoJson',
  'verboseBeam',
  'verboseLoss',
  'useFc',
  'useAtt',
  'vocab',
  'seqLength',
];

/** Reference options that map one to one onto {@link AoAModelConfig} fields. */
const MODEL_OPTIONS: readonly (keyof AoAModelConfig)[] = [
  'vocabSize',
  'inputEncodingSize',
  'rnnSize',
  'attFeatSize',
  'fcFeatSize',
  'attHidSize',
  'dropProbLm',
  'refine',
  'refineAoa',
  'useFf',
  'dropoutAoa',
  'decoderType',
  'useMultiHead',
  'numHeads',
  'multiHeadScale',
  'meanFeats',
  'ctxDrop',
  'outRes',
  'useBox',
  'normAttFeat',
  'normBoxFeat',
  'maxLength',
];

/**
 * The {@link AoAModelConfig} of a reference option dict (camelCased `opts.py` names, flags as 0/1 or
 * booleans), every model option not given at `train.sh`'s value. Options of the reference that do not
 * change the model (learning rate, paths, `numLayers`, which `AoAModel` overrides with 2, ...) are
 * accepted and ignored; an unknown name is an error, so a typo cannot silently fall back to a default.
 *
 * Not supported, with an error: `captionModel` other than `'aoa'`, `useBn` ≠ 0 (BatchNorm in the region
 * embedding) and `logitLayers` ≠ 1 (which the reference itself cannot build under Python 3).
 * A `maxLength` of 0 falls back to `seqLength`, as `AttModel` does.
 */
export function configFromReferenceOptions(options: Readonly<Record<string, unknown>>): ResolvedAoAModelConfig {
  const model: Record<string, unknown> = {};
  const ignored = new Set(NON_MODEL_OPTIONS);
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if ((MODEL_OPTIONS as readonly string[]).includes(key)) model[key] = value;
    else if (key === 'captionModel') {
      if (value !== 'aoa')
        throw new AoAConfigError('captionModel', `must be 'aoa' for AoAModel, got ${JSON.stringify(value)}`);
    } else if (key === 'useBn') {
      if (value !== 0 && value !== false)
        throw new AoAConfigError('useBn', 'BatchNorm in the region embedding is not supported (use 0)');
    } else if (key === 'logitLayers') {
      if (value !== 1)
        throw new AoAConfigError(
          'logitLayers',
          'only 1 is supported (the reference fails for other values: `reduce` is not imported)',
        );
    } else if (!ignored.has(key)) {
      throw new AoAConfigError(
        key,
        'is not an option of the AoANet reference (opts.py names in camelCase, e.g. rnnSize, numHeads)',
      );
    }
  }
  if (model.maxLength === 0 && typeof options.seqLength === 'number') model.maxLength = options.seqLength;
  for (const key of [
    'refine',
    'refineAoa',
    'useFf',
    'meanFeats',
    'ctxDrop',
    'outRes',
    'useBox',
    'normAttFeat',
    'normBoxFeat',
  ]) {
    if (key in model) model[key] = flag(key, model[key]);
  }
  if (!('vocabSize' in model))
    throw new AoAConfigError('vocabSize', 'is required (it comes from the vocabulary, not from train.sh)');
  return resolveAoAModelConfig(model as unknown as AoAModelConfig);
}

/**
 * A reference option dict with snake_case keys (as in `infos_<id>.pkl` or the fixtures' JSON) with its keys
 * camelCased (`multi_head_scale` → `multiHeadScale`), for {@link configFromReferenceOptions}.
 */
export function camelCaseOptions(options: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(options).map(([k, v]) => [k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), v]),
  );
}

/**
 * The options of {@link AoAModel}, defined once: {@link AOA_MODEL_OPTIONS} is the zod schema of husthuaan/AoANet's
 * model options (`opts.py`, camelCased; the reference's name is the snake_case of the key). It gives the config
 * types, `train.sh`'s values as defaults, the validation (messages name both spellings), the conversion from a
 * reference option dict, and the examples' command-line and YAML options. Adding an option is a line here plus
 * its use in the model.
 */
import { z } from 'zod';
import { AoAConfigError } from './errors';

/** What the examples' command line reads besides the type and default of an option. */
export interface AoAOptionMeta {
  /** One line for `--help`. */
  description: string;
  /** `opts.py`'s default where `train.sh` passes another value (the examples' command line defaults to `opts.py`). */
  optsPy?: number;
}

/** A positive integer, `train.sh`'s value by default. */
const count = (trainSh: number, meta: AoAOptionMeta) =>
  z
    .number()
    .int()
    .min(1)
    .default(trainSh)
    .meta({ ...meta });
/** A dropout probability in [0, 1). */
const rate = (trainSh: number, meta: AoAOptionMeta) =>
  z
    .number()
    .min(0)
    .lt(1)
    .default(trainSh)
    .meta({ ...meta });
/** A switch: a boolean, or 0/1 as the reference writes it. */
const flag = (trainSh: boolean, meta: AoAOptionMeta) =>
  z
    .union([z.boolean(), z.literal(0), z.literal(1)])
    .transform((v) => v === true || v === 1)
    .default(trainSh)
    .meta({ ...meta });

/**
 * The model options, each with `train.sh`'s value as default (or `opts.py`'s where `train.sh` does not set
 * it), so `{ vocabSize: 9487 }` is the published model (85,562,640 parameters).
 */
export const AOA_MODEL_OPTIONS = z.strictObject({
  vocabSize: z.number().int().min(1).meta({
    description: 'number of words, without index 0 (BOS = EOS = pad); the model has vocabSize + 1 classes',
  }),
  inputEncodingSize: count(1024, { description: 'word embedding size', optsPy: 512 }),
  rnnSize: count(1024, { description: 'width d of the region embeddings, the refiner and the LSTM', optsPy: 512 }),
  attFeatSize: count(2048, { description: 'size of a region feature on disk, before the 5 box features of useBox' }),
  fcFeatSize: count(2048, { description: 'size of the global (fc) feature; read only without meanFeats' }),
  attHidSize: count(512, { description: 'hidden size of the additive attention (useMultiHead other than 2)' }),
  dropProbLm: rate(0.5, { description: 'dropout of the embeddings, the fed-back context and before the logits' }),
  refine: flag(true, { description: 'refine the regions with the 6-layer AoA refiner' }),
  refineAoa: flag(true, { description: "the refiner's self-attention has an AoA gate (else an output layer)" }),
  useFf: flag(false, { description: 'a feed-forward sub-layer (d → 2048 → d) in each refiner layer', optsPy: 1 }),
  dropoutAoa: rate(0.3, { description: "dropout on the refiner's AoA input [v̂; q]" }),
  decoderType: z
    .enum(['AoA', 'LSTM', 'base'])
    .default('AoA')
    .meta({ description: 'what maps [attended; h] to the context: AoA (linear + GLU), LSTM, base (linear + ReLU)' }),
  useMultiHead: z.number().int().min(0).default(2).meta({
    // the reference's value 1 is an unimplemented TODO that behaves as 0
    description: 'decoder attention: 2 = multi-head scaled dot product, other values = additive',
  }),
  numHeads: count(8, { description: 'attention heads' }),
  multiHeadScale: count(1, { description: 'width of queries, keys and values = multiHeadScale × rnnSize' }),
  meanFeats: flag(true, { description: "the LSTM's image input is the masked mean of the refined regions" }),
  ctxDrop: flag(true, { description: 'dropout (dropProbLm) on the context fed back to the LSTM', optsPy: 0 }),
  outRes: flag(false, { description: 'add the LSTM state to the decoder output' }),
  useBox: flag(false, { description: 'regions carry 5 box features after the attFeatSize appearance features' }),
  normAttFeat: flag(false, { description: 'the data loader L2-normalises each region feature (not the model)' }),
  normBoxFeat: flag(false, { description: 'the data loader L2-normalises the box features (not the model)' }),
  maxLength: count(20, { description: 'decoding length in tokens, end token included' }),
});

/** Architecture options of {@link AoAModel} (see {@link AOA_MODEL_OPTIONS}); flags may be booleans or 0/1. */
export type AoAModelConfig = z.input<typeof AOA_MODEL_OPTIONS>;

/** {@link AoAModelConfig} with every default filled in and flags as booleans. */
export type ResolvedAoAModelConfig = z.output<typeof AOA_MODEL_OPTIONS>;

/**
 * What maps `[v̂_t; h_t]` (attended regions and LSTM state) to the decoder's context vector
 * (`decoder_type`): `'AoA'` a linear layer + GLU (attention on attention), `'LSTM'` a second LSTM cell,
 * `'base'` a linear layer + ReLU.
 */
export type DecoderType = ResolvedAoAModelConfig['decoderType'];

/** `rnnSize` → `rnn_size`: the reference's name of an option. */
export function referenceOptionName(option: string): string {
  return option.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const OPTION_NAMES: readonly string[] = Object.keys(AOA_MODEL_OPTIONS.shape);

/** `train.sh`'s model options (first stage; the SCST stage uses the same architecture), the others at `opts.py`'s. */
export const TRAIN_SH_MODEL_OPTIONS: Readonly<Omit<ResolvedAoAModelConfig, 'vocabSize'>> = Object.freeze(
  (({ vocabSize: _, ...rest }) => rest)(AOA_MODEL_OPTIONS.parse({ vocabSize: 1 })),
);

/**
 * Fills in the defaults of a config and checks every value and the combinations the reference cannot
 * build. Throws {@link AoAConfigError} naming the option (camelCase and the reference's name).
 */
export function resolveAoAModelConfig(config: AoAModelConfig): ResolvedAoAModelConfig {
  if (typeof config !== 'object' || config === null)
    throw new AoAConfigError('config', `must be an object, got ${String(config)}`);
  for (const key of Object.keys(config)) {
    if (!OPTION_NAMES.includes(key))
      throw new AoAConfigError(key, `is not an AoAModel option (known: ${OPTION_NAMES.join(', ')})`);
  }
  const given = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
  const parsed = AOA_MODEL_OPTIONS.safeParse(given);
  if (!parsed.success) {
    const option = String(parsed.error.issues[0]?.path[0] ?? 'config');
    const expected = describeOption(option);
    throw new AoAConfigError(
      option,
      `(${referenceOptionName(option)}) must be ${expected}, got ${JSON.stringify((given as Record<string, unknown>)[option])}`,
    );
  }
  const c = parsed.data;
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

/** What an option accepts, in words, from its JSON schema. */
function describeOption(option: string): string {
  const field = AOA_MODEL_OPTIONS.shape[option as keyof typeof AOA_MODEL_OPTIONS.shape];
  if (field === undefined) return 'valid';
  const s = z.toJSONSchema(field, { io: 'input' }) as Record<string, unknown>;
  if (Array.isArray(s.enum)) return `one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  if (Array.isArray(s.anyOf)) return 'true/false or 1/0';
  const range = [
    typeof s.minimum === 'number' ? `≥ ${s.minimum}` : '',
    typeof s.exclusiveMaximum === 'number' ? `< ${s.exclusiveMaximum}` : '',
  ].filter((r) => r !== '');
  return `${s.type === 'integer' ? 'an integer' : 'a number'}${range.length > 0 ? ` ${range.join(' and ')}` : ''}`;
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
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (OPTION_NAMES.includes(key)) model[key] = value;
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
    } else if (!NON_MODEL_OPTIONS.includes(key)) {
      throw new AoAConfigError(
        key,
        'is not an option of the AoANet reference (opts.py names in camelCase, e.g. rnnSize, numHeads)',
      );
    }
  }
  if (model.maxLength === 0 && typeof options.seqLength === 'number') model.maxLength = options.seqLength;
  if (!('vocabSize' in model))
    throw new AoAConfigError('vocabSize', 'is required (it comes from the vocabulary, not from train.sh)');
  return resolveAoAModelConfig(model as AoAModelConfig);
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

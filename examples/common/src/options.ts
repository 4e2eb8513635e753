/**
 * The options of the examples' `train` and `eval` commands: the reference's `opts.py` (AoANet /
 * ImageCaptioning.pytorch) in camelCase, with `opts.py`'s defaults, plus a few of ours (marked `[ours]`
 * in `--help`). AoANet's `train.sh` values are in `examples/aoanet/configs/`.
 */
import { AOA_MODEL_OPTIONS, TRAIN_SH_MODEL_OPTIONS } from '@caption/models-aoa';
import {
  booleanOption,
  enumOption,
  flagOption,
  intOption,
  numberOption,
  OptionParser,
  type OptionValues,
  pathOption,
  schemaOptions,
  stringOption,
  withReference,
} from './option-parser';

/** Data options shared by `train` and `eval`. */
const DATA_OPTIONS = {
  inputJson: pathOption('data/cocotalk.json', 'cocotalk.json: vocabulary and images with splits'),
  inputLabelH5: pathOption('data/cocotalk_label.h5', 'cocotalk_label.h5: the caption labels'),
  inputFcDir: pathOption(null, 'folder of <id>.npy fc features (unset: the mean of the att features)'),
  inputAttDir: pathOption(null, 'folder of <id>.npz att features (key feat)'),
  inputBoxDir: pathOption(null, 'folder of <id>.npy boxes [K, 4] (x1 y1 x2 y2 pixels), for useBox'),
  referenceJson: withReference(
    pathOption(
      null,
      'raw reference captions for language evaluation: COCO captions_*.json ' +
        'or a Karpathy dataset_*.json (unset: the label rows)',
    ),
    null,
  ),
  useBox: flagOption(0, 'append 5 box features to each region and sort regions by area'),
  normAttFeat: flagOption(0, 'L2-normalise each region feature'),
  normBoxFeat: flagOption(0, 'L2-normalise the 5 box features'),
  trainOnly: flagOption(0, 'leave restval images out of train'),
  preloadFeatures: withReference(
    flagOption(0, 'read every feature file of the used splits into memory first (small data sets)'),
    null,
  ),
  backend: withReference(
    enumOption(['auto', 'node-gpu', 'node', 'wasm', 'cpu'], 'auto', 'TensorFlow.js backend'),
    null,
  ),
  seed: withReference(intOption(42, 'seed of initialisation, data order, dropout and sampling', { min: 0 }), null),
  progress: withReference(
    enumOption(
      ['auto', 'bar', 'lines', 'silent'],
      'auto',
      'progress output (auto: a bar on a terminal, lines otherwise)',
    ),
    null,
  ),
  meteorData: withReference(
    pathOption(
      null,
      'METEOR 1.5 data (meteor-1.5.jar or its resource folder); unset: ' +
        'CAPTION_METEOR_DATA or a pycocoevalcap installation, else no METEOR',
    ),
    null,
  ),
  meteorParaphrase: withReference(
    pathOption(null, 'METEOR paraphrase table (paraphrase-en.gz), or "none" for the exact/stem/synonym stages only'),
    null,
  ),
} as const;

/** Decoding options shared by validation (during `train`) and `eval`. */
const DECODING_OPTIONS = {
  sampleMethod: enumOption(
    ['greedy', 'sample'],
    'greedy',
    'how captions are decoded (greedy, or sampling with temperature)',
  ),
  temperature: numberOption(1, 'sampling temperature', { min: 0, exclusiveMin: true }),
  maxLength: intOption(20, 'maximum caption length when decoding', { min: 1 }),
  lengthPenalty: stringOption('', 'beam search length penalty: "", wu_<alpha> or avg_<alpha>'),
  decodingConstraint: flagOption(0, 'forbid repeating the previous word'),
  blockTrigrams: flagOption(0, 'forbid repeating a trigram'),
  removeBadEndings: flagOption(0, 'forbid ending a caption on a word such as "a", "with", "of"'),
} as const;

/** Options of `train`. */
export const TRAIN_OPTIONS = {
  ...DATA_OPTIONS,
  cachedTokens: pathOption(
    'coco-train-idxs',
    'CIDEr-D document frequencies (prepro-ngrams pickle; .p appended when missing)',
  ),
  startFrom: pathOption(
    null,
    'initialise from this run (its best checkpoint, else latest): weights, and the optimiser when the sizes match',
  ),
  checkpointPath: pathOption('save', 'folder of this run: checkpoints, histories, validation results'),
  id: stringOption('', 'name of the run (stored with the configuration in its checkpoints)'),
  resume: withReference(booleanOption(false, 'continue this run from its latest checkpoint'), null),

  // model
  captionModel: enumOption(['show_tell', 'aoa'], 'show_tell', 'the model'),
  rnnSize: intOption(512, 'LSTM hidden size (AoANet: the model width d)', { min: 1 }),
  numLayers: intOption(1, 'LSTM layers', { min: 1 }),
  rnnType: enumOption(['lstm'], 'lstm', 'recurrent cell (Show-Tell)'),
  inputEncodingSize: intOption(512, 'word (and image) embedding size', { min: 1 }),
  attHidSize: intOption(512, 'hidden size of additive attention', { min: 1 }),
  fcFeatSize: intOption(2048, 'fc feature size', { min: 1 }),
  attFeatSize: intOption(2048, 'att feature size (before the 5 box features of useBox)', { min: 1 }),
  dropProbLm: numberOption(0.5, 'dropout of the language model', { min: 0, max: 1 }),
  logitLayers: intOption(1, 'layers of the output projection', { min: 1, max: 1 }),
  useBn: intOption(0, 'BatchNorm in the att embedding (not supported: 0)', { min: 0, max: 0 }),
  // AoANet's own options, from its schema (the size options above are shared with Show-Tell)
  ...schemaOptions(AOA_MODEL_OPTIONS, TRAIN_SH_MODEL_OPTIONS, {
    omit: [
      'vocabSize',
      'inputEncodingSize',
      'rnnSize',
      'attFeatSize',
      'fcFeatSize',
      'attHidSize',
      'dropProbLm',
      'useBox',
      'normAttFeat',
      'normBoxFeat',
      'maxLength',
    ],
    prefix: 'AoANet: ',
  }),

  // optimisation
  maxEpochs: intOption(-1, 'epochs to train (-1: until stopped)', { min: -1 }),
  batchSize: intOption(16, 'images per batch', { min: 1 }),
  seqPerImg: intOption(5, 'captions per image per batch (and samples per image in self-critical training)', { min: 1 }),
  gradClip: numberOption(0.1, 'clip gradients by value to [-gradClip, gradClip] (0: off)', { min: 0 }),
  optim: enumOption(['adam', 'adamw'], 'adam', 'optimiser'),
  learningRate: numberOption(4e-4, 'learning rate', { min: 0, exclusiveMin: true }),
  learningRateDecayStart: intOption(-1, 'epoch after which step decay starts (-1: off)', { min: -1 }),
  learningRateDecayEvery: intOption(3, 'epochs between decays', { min: 1 }),
  learningRateDecayRate: numberOption(0.8, 'decay factor', { min: 0, exclusiveMin: true, max: 1 }),
  optimAlpha: numberOption(0.9, 'Adam beta1', { min: 0, max: 1 }),
  optimBeta: numberOption(0.999, 'Adam beta2', { min: 0, max: 1 }),
  optimEpsilon: numberOption(1e-8, 'Adam epsilon', { min: 0, exclusiveMin: true }),
  weightDecay: numberOption(0, 'weight decay', { min: 0 }),
  labelSmoothing: numberOption(0, 'label smoothing of the cross-entropy (0: plain cross-entropy)', { min: 0, max: 1 }),
  reduceOnPlateau: flagOption(
    0,
    'halve the learning rate when the validation CIDEr has not improved for 3 validations',
  ),
  scheduledSamplingStart: intOption(-1, 'epoch after which scheduled sampling starts (-1: off)', { min: -1 }),
  scheduledSamplingIncreaseEvery: intOption(5, 'epochs between increases of the sampling probability', { min: 1 }),
  scheduledSamplingIncreaseProb: numberOption(0.05, 'increase of the sampling probability', { min: 0, max: 1 }),
  scheduledSamplingMaxProb: numberOption(0.25, 'maximum sampling probability', { min: 0, max: 1 }),
  selfCriticalAfter: intOption(-1, 'epoch from which self-critical training replaces cross-entropy (-1: never)', {
    min: -1,
  }),
  ciderRewardWeight: numberOption(1, 'weight of CIDEr-D in the self-critical reward', { min: 0 }),
  bleuRewardWeight: numberOption(0, 'weight of BLEU in the reward (not supported: 0)', { min: 0, max: 0 }),
  scBaseline: withReference(
    enumOption(
      ['greedy', 'mean'],
      'greedy',
      'self-critical baseline: the greedy caption (AoANet) or the mean of the other samples',
    ),
    null,
  ),

  // validation and checkpoints
  valImagesUse: intOption(3200, 'validation images (-1: all)', { min: -1 }),
  languageEval: flagOption(0, 'validate with the caption metrics (else the validation loss)'),
  saveCheckpointEvery: intOption(2500, 'also save every this many steps', { min: 1 }),
  lossesLogEvery: intOption(25, 'steps per progress line (without a bar)', { min: 1 }),
  loadBestScore: flagOption(1, 'with startFrom, keep the previous best score'),
  beamSize: intOption(1, 'beam size of validation decoding', { min: 1 }),
  ...DECODING_OPTIONS,
} as const;

/** Options of `eval`. */
export const EVAL_OPTIONS = {
  ...DATA_OPTIONS,
  modelPath: withReference(
    pathOption(null, 'a run folder (its best checkpoint, else latest) or a checkpoint folder'),
    'model',
  ),
  split: enumOption(['train', 'val', 'test'], 'test', 'split to caption'),
  numImages: intOption(-1, 'images to caption (-1: all of the split)', { min: -1 }),
  batchSize: intOption(50, "images per decoding batch (eval.py's default 0 means the training batch size)", { min: 1 }),
  beamSize: intOption(2, 'beam size (1: greedy or sampling)', { min: 1 }),
  languageEval: flagOption(1, "score the captions with the caption metrics (eval.py's default is 0)"),
  dumpPath: withReference(pathOption(null, 'folder for the results (default: <modelPath>/eval-<split>)'), null),
  ...DECODING_OPTIONS,
} as const;

/** Parsed `train` options. */
export type TrainOptions = OptionValues<typeof TRAIN_OPTIONS>;
/** Parsed `eval` options. */
export type EvalOptions = OptionValues<typeof EVAL_OPTIONS>;

/** The parser of `train`'s options. */
export const trainOptionParser = new OptionParser('train', TRAIN_OPTIONS);
/** The parser of `eval`'s options. */
export const evalOptionParser = new OptionParser('eval', EVAL_OPTIONS);

/**
 * The options of the example's commands, as typed tables of `@caption/example-common`'s `OptionParser` (flags in
 * camelCase or kebab-case, a JSON/YAML `--config`, typed errors naming the option). Where ClipCap's `train.py` has
 * the option, its name is accepted too (`--prefix_length`, `--bs`, `--lr`). The defaults are the sizes measured to
 * fit the demo's time budget on 2 CPU cores (README, "Measured").
 */
import {
  booleanOption,
  enumOption,
  flagOption,
  intOption,
  numberOption,
  OptionParser,
  type OptionValues,
  pathOption,
  stringOption,
  withReference,
} from '@caption/example-common';

const ours = <T>(def: Parameters<typeof withReference<T>>[0]) => withReference(def, null);

/** Options every command has. */
const COMMON_OPTIONS = {
  dataDir: ours(
    stringOption(
      'out/shapes',
      'the shapes data set folder (dataset_shapes.json, dataset_shapes_zh.json, images/); relative paths are taken from the folder npm was started in',
    ),
  ),
  backend: ours(enumOption(['auto', 'wasm', 'cpu', 'node', 'node-gpu'], 'auto', 'TensorFlow.js backend')),
  progress: ours(
    enumOption(
      ['auto', 'bar', 'lines', 'silent'],
      'auto',
      'progress output (auto: a bar on a terminal, lines otherwise)',
    ),
  ),
} as const;

/** Options of a training run (CLIP or captioner). */
const RUN_OPTIONS = {
  ...COMMON_OPTIONS,
  language: ours(enumOption(['en', 'zh'], 'en', 'caption language (GPT-2 BPE for en, jieba words for zh)')),
  seed: ours(intOption(42, 'seed of initialisation, data order, caption choice and dropout', { min: 0 })),
  checkpointPath: ours(pathOption(null, 'the run folder (checkpoints, history.json, ...); required')),
  resume: ours(booleanOption(true, 'continue the run in checkpointPath when there is one')),
  weightDecay: ours(numberOption(0.01, 'AdamW decoupled weight decay (the seed system: 0.01)', { min: 0 })),
  learningRate: withReference(
    numberOption(3e-4, 'AdamW learning rate (the seed system: 3e-4)', { min: 0, exclusiveMin: true }),
    'lr',
  ),
  warmupSteps: withReference(
    intOption(20, 'linear learning-rate warm-up steps, then constant', { min: 0 }),
    'warmup_steps',
  ),
  batchSize: withReference(intOption(64, 'pairs per batch', { min: 2 }), 'bs'),
} as const;

/** `pretrain`: CLIP with a GPT-2 text encoder (the seed system's), contrastively, from images. */
export const PRETRAIN_OPTIONS = {
  ...RUN_OPTIONS,
  epochs: withReference(
    intOption(8, 'passes over the training images (one random caption each per pass)', { min: 1 }),
    'epochs',
  ),
  vocabulary: ours(
    enumOption(
      ['train', 'full'],
      'train',
      "English BPE ids: 'train' (the tokens of the training captions) or 'full' (GPT-2's 50,257)",
    ),
  ),
  embedDim: ours(intOption(64, "size of the joint embedding (and of the captioners' prefix input)", { min: 1 })),
  projectionHidden: ours(
    intOption(128, "hidden size of the MLP projection heads (the seed system's); 0: OpenAI's linear projections", {
      min: 0,
    }),
  ),
  visionType: ours(
    enumOption(
      ['vit', 'res2next', 'resnet'],
      'vit',
      'image tower (CLIP ViT, Res2NeXt as the seed system, CLIP ModifiedResNet)',
    ),
  ),
  imageSize: ours(intOption(64, 'image side the tower takes (the shapes images are 64×64)', { min: 16 })),
  visionWidth: ours(intOption(64, 'ViT width; stem width of the ResNets', { min: 4 })),
  visionLayers: ours(intOption(2, 'ViT blocks; blocks per stage of the ResNets', { min: 1 })),
  visionHeads: ours(intOption(2, 'ViT / attention-pool heads', { min: 1 })),
  patchSize: ours(intOption(8, 'ViT patch side', { min: 1 })),
  textWidth: ours(intOption(64, "GPT-2 text tower n_embd (also the captioners' GPT-2)", { min: 8 })),
  textLayers: ours(intOption(2, 'GPT-2 n_layer', { min: 1 })),
  textHeads: ours(intOption(2, 'GPT-2 n_head', { min: 1 })),
  textPositions: ours(intOption(40, "GPT-2 n_positions (a captioner's prefix and caption must fit)", { min: 8 })),
  dropout: ours(numberOption(0.1, 'GPT-2 dropout (embd, attn, resid pdrop)', { min: 0, max: 0.9 })),
} as const;

/** `train`: a ClipCap captioner on a CLIP run's image embeddings, its GPT-2 from CLIP's text tower or random. */
export const TRAIN_OPTIONS = {
  ...RUN_OPTIONS,
  clipRun: ours(pathOption(null, 'the CLIP run (pretrain): its image embeddings, tokenizer and text tower; required')),
  init: ours(
    enumOption(
      ['clip', 'random'],
      'clip',
      "the GPT-2's initial weights: CLIP's text tower (the seed system) or random",
    ),
  ),
  trainFraction: ours(
    numberOption(1, 'fraction of the training captions used (seeded by trainSubsetSeed)', {
      min: 0,
      exclusiveMin: true,
      max: 1,
    }),
  ),
  trainSubsetSeed: ours(
    intOption(1, 'seed of the caption subset when trainFraction < 1 (the same for every init)', { min: 0 }),
  ),
  epochs: withReference(intOption(2, 'epochs of batchesPerEpoch batches', { min: 1 }), 'epochs'),
  batchesPerEpoch: ours(
    intOption(0, 'batches per epoch (0: one pass over all training captions, also when trainFraction < 1)', { min: 0 }),
  ),
  prefixLength: withReference(intOption(4, 'prefix positions P', { min: 1 }), 'prefix_length'),
  mappingType: withReference(enumOption(['mlp', 'transformer'], 'mlp', 'mapping network'), 'mapping_type'),
  clipLength: withReference(
    intOption(4, 'TransformerMapper: positions of the projected CLIP embedding', { min: 1 }),
    'prefix_length_clip',
  ),
  numLayers: withReference(intOption(2, 'TransformerMapper layers', { min: 1 }), 'num_layers'),
  onlyPrefix: withReference(flagOption(0, 'train the mapper only (the GPT-2 frozen)'), 'only_prefix'),
  normalizePrefix: withReference(flagOption(0, 'L2-normalise the CLIP embedding first'), 'normalize_prefix'),
  maxLength: ours(intOption(30, 'validation: tokens generated at most (end-of-text included)', { min: 1 })),
  valImages: ours(
    intOption(250, 'validation: images of the val split captioned after each epoch (0: none)', { min: 0 }),
  ),
} as const;

/** `eval`: captions the test split with one or more captioners (and their ensemble), scores them, times them. */
export const EVAL_OPTIONS = {
  ...COMMON_OPTIONS,
  runs: ours(stringOption('', 'captioner run folders, comma-separated (several: each, then their ensemble)')),
  split: ours(enumOption(['val', 'test'], 'test', 'split captioned')),
  beamSize: withReference(
    intOption(1, '1: greedy (ClipCap generate2); more: ClipCap generate_beam', { min: 1 }),
    'beam_size',
  ),
  maxLength: withReference(
    intOption(30, 'tokens generated at most (end-of-text included)', { min: 1 }),
    'entry_length',
  ),
  batchSize: ours(intOption(100, 'images captioned at once', { min: 1 })),
  zhTokenize: ours(enumOption(['jieba', 'char'], 'jieba', 'how Chinese captions are tokenized for the metrics')),
  meteorData: ours(
    pathOption(
      null,
      'METEOR 1.5 data (English: meteor-1.5.jar or its resource folder); unset: CAPTION_METEOR_DATA or a pycocoevalcap installation, else no METEOR',
    ),
  ),
  dumpPath: ours(
    pathOption(null, 'folder of results.json, scores.json, per-image.json (default: <first run>/eval-<split>)'),
  ),
} as const;

/** `pipeline`: data, both CLIPs, the captioners, retrieval, evaluation, ensemble, report; cached and resumable. */
export const PIPELINE_OPTIONS = {
  ...COMMON_OPTIONS,
  outDir: ours(
    stringOption(
      'out/clipcap',
      'where the runs, results.json and report.html go (relative: from the folder npm was started in)',
    ),
  ),
  seed: ours(
    intOption(42, 'seed of the CLIPs and of the first captioner; the ensemble adds seed+1, seed+2', { min: 0 }),
  ),
  ensembleSize: ours(intOption(3, 'English captioners trained with different seeds and ensembled', { min: 1 })),
  languages: ours(stringOption('en,zh', 'caption languages (en, zh)')),
  jobs: ours(intOption(2, "training processes at once (the machine's cores)", { min: 1 })),
  fresh: ours(booleanOption(false, 'retrain every run from scratch')),
  clipConfig: ours(pathOption(null, 'a config file of pretrain options for both CLIPs')),
  trainConfig: ours(pathOption(null, 'a config file of train options for every captioner')),
  meteorData: EVAL_OPTIONS.meteorData,
  zhTokenize: EVAL_OPTIONS.zhTokenize,
  beamSize: EVAL_OPTIONS.beamSize,
  train: ours(intOption(3000, 'shapes images in train (when the data set is generated here)', { min: 2 })),
  val: ours(intOption(250, 'shapes images in val (when generated here)', { min: 1 })),
  test: ours(intOption(500, 'shapes images in test (when generated here)', { min: 2 })),
} as const;

/** `ablation`: the seed system's claim, tested: captioners from CLIP's text tower vs random, on 10 % and 100 %. */
export const ABLATION_OPTIONS = {
  ...COMMON_OPTIONS,
  outDir: PIPELINE_OPTIONS.outDir,
  language: RUN_OPTIONS.language,
  seeds: ours(stringOption('42', 'captioner seeds, comma-separated (each seed: every fraction × init)')),
  fractions: ours(stringOption('0.1,1', 'fractions of the training captions, comma-separated')),
  jobs: PIPELINE_OPTIONS.jobs,
  trainConfig: PIPELINE_OPTIONS.trainConfig,
  meteorData: EVAL_OPTIONS.meteorData,
  zhTokenize: EVAL_OPTIONS.zhTokenize,
} as const;

/** Parsed `pretrain` options. */
export type PretrainOptions = OptionValues<typeof PRETRAIN_OPTIONS>;
/** Parsed `train` options. */
export type TrainOptions = OptionValues<typeof TRAIN_OPTIONS>;
/** Parsed `eval` options. */
export type EvalOptions = OptionValues<typeof EVAL_OPTIONS>;
/** Parsed `pipeline` options. */
export type PipelineOptions = OptionValues<typeof PIPELINE_OPTIONS>;
/** Parsed `ablation` options. */
export type AblationOptions = OptionValues<typeof ABLATION_OPTIONS>;

/** `pretrain`'s parser. */
export const pretrainOptionParser = new OptionParser('pretrain', PRETRAIN_OPTIONS);
/** `train`'s parser. */
export const trainOptionParser = new OptionParser('train', TRAIN_OPTIONS);
/** `eval`'s parser. */
export const evalOptionParser = new OptionParser('eval', EVAL_OPTIONS);
/** `pipeline`'s parser. */
export const pipelineOptionParser = new OptionParser('pipeline', PIPELINE_OPTIONS);
/** `ablation`'s parser. */
export const ablationOptionParser = new OptionParser('ablation', ABLATION_OPTIONS);

/**
 * The Show-and-Tell tutorial's training, end to end from image files: a frozen backbone and a trainable linear
 * embedding (`img_embed`) feed the LSTM as its first input (ImageCaptioning.pytorch's `ShowTellModel` as the
 * decoder), cross-entropy per word, Adam, `Epoch [e/E], Step [i/n], Loss: …, Perplexity: …` every `logStep`
 * steps (and every step in `train-log.tsv`), and `encoder-N` / `decoder-N` after each epoch. Runs on core's
 * `trainLoop`, so a stopped run (Ctrl-C, SIGTERM) saves and `--resume` continues it.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Adam,
  initBackend,
  Random,
  sequenceCrossEntropy,
  trainLoop,
  type BackendKind,
  writeFileAtomic,
} from '@caption/core';
import { type KarpathyDataset, readKarpathyDataset, Vocabulary } from '@caption/data-coco';
import { teacherForcedLogprobs } from '@caption/example-common';
import * as tf from '@tensorflow/tfjs-core';
import { ShowTellModel } from '../show-tell-model';
import { type BackboneSpec, type FeatureStatistics, loadImageBackbone, standardizedBackbone } from './backbone';
import { saveEpochCheckpoint } from './checkpoints';
import { endToEndVocabulary, ImageCaptionBatches, trainFeatureStatistics, type TransformOptions } from './data';
import { EndToEndError } from './errors';

/** Options of {@link runEndToEndTraining} (the tutorial's `train.py` / `build_vocab.py` names in camelCase). */
export interface EndToEndTrainOptions {
  /** Karpathy split file with the captions (and image paths). */
  inputJson: string;
  /** Folder the image paths are relative to (`--image_dir`). */
  imagesRoot: string;
  /** Run folder: vocabulary, checkpoints, logs (`--model_path`). */
  modelPath: string;
  /** The frozen network. */
  backbone: BackboneSpec;
  /** Resize, crop, flip, normalisation. */
  transforms: TransformOptions;
  /** Keep words seen at least this often (`--threshold`, 4). */
  threshold: number;
  /** Words per caption kept for training (longer ones are clipped). */
  maxLength: number;
  /** `--embed_size` (256). */
  embedSize: number;
  /** `--hidden_size` (512). */
  hiddenSize: number;
  /** `--num_layers` (1). */
  numLayers: number;
  /** Dropout before the output layer (ShowTellModel's `drop_prob_lm`; the tutorial has none: 0). */
  dropProbLm: number;
  /** `--num_epochs` (5). */
  numEpochs: number;
  /** `--batch_size` (128). */
  batchSize: number;
  /** `--learning_rate` (0.001). */
  learningRate: number;
  /** `--log_step` (10). */
  logStep: number;
  /** Seed of the weights, the order and the transforms. */
  seed: number;
  /** Continue the run in `modelPath` where it stopped. */
  resume: boolean;
  /** tfjs backend. */
  backend: BackendKind;
  /** Where the tutorial's log lines go (default stdout). */
  log?: (line: string) => void;
}

/** What a run did. */
export interface EndToEndTrainResult {
  /** Epochs completed. */
  epochs: number;
  /** Steps completed. */
  steps: number;
  /** Why the loop ended. */
  reason: string;
  /** Words in the vocabulary (UNK included). */
  vocabularySize: number;
  /** The run folder. */
  modelPath: string;
  /** Seconds of this process's training. */
  seconds: number;
}

function vocabularyFor(options: EndToEndTrainOptions, dataset: KarpathyDataset): Vocabulary {
  const path = join(options.modelPath, 'vocab.json');
  if (options.resume && existsSync(path)) return new Vocabulary(JSON.parse(readFileSync(path, 'utf8')) as string[]);
  const vocabulary = endToEndVocabulary(dataset, options.threshold);
  writeFileAtomic(path, `${JSON.stringify(vocabulary.words)}\n`);
  return vocabulary;
}

/** The feature statistics of the run (computed once, kept in the run folder so that a resumed run uses the same). */
async function statisticsFor(
  options: EndToEndTrainOptions,
  train: Parameters<typeof trainFeatureStatistics>[0],
  backbone: Parameters<typeof trainFeatureStatistics>[2],
): Promise<FeatureStatistics> {
  const path = join(options.modelPath, 'feature-statistics.json');
  if (options.resume && existsSync(path)) {
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { mean: number[]; std: number[] };
    return { mean: Float32Array.from(saved.mean), std: Float32Array.from(saved.std) };
  }
  const stats = await trainFeatureStatistics(train, options.imagesRoot, backbone, options.transforms);
  writeFileAtomic(path, `${JSON.stringify({ mean: Array.from(stats.mean), std: Array.from(stats.std) })}\n`);
  return stats;
}

/**
 * Trains the end-to-end Show-Tell on the train split of `inputJson`.
 *
 * @throws EndToEndError when the crop size does not fit the backbone or the train split is empty
 */
export async function runEndToEndTraining(options: EndToEndTrainOptions): Promise<EndToEndTrainResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  await initBackend(options.backend);
  mkdirSync(options.modelPath, { recursive: true });
  const dataset = await readKarpathyDataset(options.inputJson);
  const train = dataset.images.filter((im) => im.split === 'train');
  if (train.length === 0) throw new EndToEndError(`${options.inputJson}: no images in the train split`);
  const vocabulary = vocabularyFor(options, dataset);
  const { transforms } = options;
  if (transforms.cropSize > transforms.resize)
    throw new EndToEndError(`--crop-size ${transforms.cropSize} is larger than --resize ${transforms.resize}`);
  const raw = await loadImageBackbone(options.backbone, transforms.cropSize);
  if (raw.inputSize !== null && raw.inputSize !== transforms.cropSize)
    throw new EndToEndError(
      `--crop-size ${transforms.cropSize}: the backbone ${JSON.stringify(options.backbone)} takes ${raw.inputSize}×${raw.inputSize} images`,
    );
  const statistics = await statisticsFor(options, train, raw);
  const backbone = standardizedBackbone(raw, statistics);
  const rng = new Random(options.seed);
  const model = new ShowTellModel(
    {
      vocabSize: vocabulary.size,
      inputEncodingSize: options.embedSize,
      rnnSize: options.hiddenSize,
      numLayers: options.numLayers,
      dropProbLm: options.dropProbLm,
      fcFeatSize: backbone.channels,
    },
    { rng },
  );
  const optimizer = new Adam(model, { learningRate: options.learningRate });
  const data = new ImageCaptionBatches(train, options.imagesRoot, vocabulary, backbone, {
    batchSize: options.batchSize,
    maxLength: options.maxLength,
    transforms,
    seed: options.seed,
  });
  const perEpoch = data.batchesPerEpoch;
  log(
    `show-tell end-to-end: ${train.length} train images, ${data.size} captions, vocabulary ${vocabulary.size} (threshold ${options.threshold}), backbone ${JSON.stringify(options.backbone)} → ${backbone.channels} features, ${model.parameterCount()} trainable parameters`,
  );
  const logFile = join(options.modelPath, 'train-log.tsv');
  if (!options.resume || !existsSync(logFile))
    writeFileAtomic(logFile, 'epoch\tstep\tstep_in_epoch\tloss\tperplexity\n');
  const start = performance.now();
  const result = await trainLoop({
    model,
    optimizer,
    data,
    rng,
    maxEpochs: options.numEpochs,
    checkpoints: join(options.modelPath, 'checkpoints'),
    resume: options.resume,
    progress: { mode: 'silent' },
    config: { ...options, log: undefined },
    loss: (batch) => {
      const rows = batch.rows;
      const fc = tf.tensor2d(batch.fc, [rows.rows, batch.featSize]);
      const logprobs = teacherForcedLogprobs(model, { fc, att: null, attMask: null }, rows, 1);
      const target = tf.tensor2d(rows.targets, [rows.rows, rows.steps], 'int32');
      const mask = tf.tensor2d(rows.mask, [rows.rows, rows.steps]);
      return sequenceCrossEntropy(logprobs, target, mask);
    },
    onStep: (info) => {
      const inEpoch = info.step - info.epoch * perEpoch;
      appendFileSync(logFile, `${info.epoch}\t${info.step}\t${inEpoch}\t${info.loss}\t${Math.exp(info.loss)}\n`);
      if ((inEpoch - 1) % options.logStep === 0)
        log(
          `Epoch [${info.epoch}/${options.numEpochs}], Step [${inEpoch - 1}/${perEpoch}], Loss: ${info.loss.toFixed(4)}, Perplexity: ${Math.exp(info.loss).toFixed(4)}`,
        );
    },
    onEpochEnd: ({ epoch }) => {
      saveEpochCheckpoint(
        options.modelPath,
        epoch,
        model,
        { backbone: options.backbone, transforms, statistics },
        vocabulary,
        options.maxLength,
      );
      log(`saved encoder-${epoch} / decoder-${epoch} in ${options.modelPath}`);
    },
  });
  const seconds = (performance.now() - start) / 1000;
  optimizer.dispose();
  model.dispose();
  backbone.dispose();
  return {
    epochs: result.epoch,
    steps: result.step,
    reason: result.reason,
    vocabularySize: vocabulary.size,
    modelPath: options.modelPath,
    seconds,
  };
}

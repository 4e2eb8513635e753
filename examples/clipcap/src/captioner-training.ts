/**
 * `train`: a ClipCap captioner on a CLIP run's image embeddings (computed once by `pretrain`): the embedding → the
 * mapping network → a prefix of P GPT-2 embeddings → the caption, trained with the cross-entropy of the caption
 * tokens (AdamW, lr 3e-4, weight decay 0.01). The GPT-2 is a copy of CLIP's GPT-2 text tower (`init: clip`, the seed
 * system's idea) or random (`init: random`, same configuration); the mapper's initial weights depend on the seed
 * only, so both inits start from the same mapper. `trainFraction` < 1 trains on a seeded subset of the caption
 * pairs (the same for every init and seed) for the same number of steps. After each epoch the first `valImages`
 * val images are captioned (greedy) and scored (CIDEr-D: the best checkpoint).
 *
 * The run folder: checkpoints, `history.json`, `captioner.json` (configuration, CLIP run and checkpoint, options).
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, CheckpointStore, initBackend, Random, trainLoop, type ProgressMode } from '@caption/core';
import { ExampleDataError, ExampleOptionsError } from '@caption/example-common';
import { deriveSeed, shuffled } from '@caption/example-shapes';
import {
  CAPTION_PADDING,
  ClipCapModel,
  type ClipCapConfig,
  ClipModel,
  copyGPT2,
  type GPT2Config,
  GPT2LMHeadModel,
  type GPT2Model,
} from '@caption/models-clipcap';
import { ShuffledBatches } from './batches';
import {
  captionTokenizerFromSpec,
  type CaptionTokenizer,
  type CaptionTokenizerSpec,
  encodeCaptionRows,
} from './caption-tokenizer';
import { clipRunFiles, type ClipRunModel, readImageEmbeddings } from './clip-pretraining';
import { readShapesCaptions } from './data';
import { captionEmbeddings, captionModelOf, scoreCaptions } from './evaluation';
import type { TrainOptions } from './options';
import {
  HistoryComponent,
  loadBestWeights,
  readRunJson,
  resolvePath,
  warmupLearningRate,
  writeHistoryFile,
  writeJson,
} from './run-files';

/** `captioner.json`: what rebuilds a trained captioner. */
export interface CaptionerRunModel {
  config: ClipCapConfig;
  options: TrainOptions;
  /** The CLIP run folder (absolute) and the checkpoint its GPT-2 and embeddings come from. */
  clipRun: string;
  clipCheckpoint: string;
}

/** The CLIP run a captioner run builds on: its model file, tokenizer and embeddings. */
export async function openClipRun(clipRun: string): Promise<{
  model: ClipRunModel;
  tokenizer: CaptionTokenizer;
  embeddings: ReturnType<typeof readImageEmbeddings>;
}> {
  const files = clipRunFiles(clipRun);
  const model = readRunJson<ClipRunModel>(files.model, '`pretrain` (when it finishes)');
  const tokenizer = await captionTokenizerFromSpec(readRunJson<CaptionTokenizerSpec>(files.tokenizer, '`pretrain`'));
  return { model, tokenizer, embeddings: readImageEmbeddings(clipRun) };
}

/** The ClipCap configuration of `train` options over a CLIP run. */
export function captionerConfig(o: TrainOptions, clip: ClipRunModel): ClipCapConfig {
  const text = clip.config.text;
  if (text.type !== 'gpt2') throw new ExampleOptionsError('clipRun', `the CLIP run's text tower is not a GPT-2`);
  return {
    gpt: text.gpt2,
    prefixSize: clip.config.embedDim,
    prefixLength: o.prefixLength,
    mappingType: o.mappingType,
    clipLength: o.clipLength,
    numLayers: o.numLayers,
    onlyPrefix: o.onlyPrefix === 1,
    normalizePrefix: o.normalizePrefix === 1,
  };
}

/** A captioner of `config` whose GPT-2 is `gpt` (the GPT-2 is made first, from its own seed stream). */
function buildCaptioner(config: ClipCapConfig, gpt: GPT2LMHeadModel, seed: number): ClipCapModel {
  return new ClipCapModel(config, { gpt, rng: new Random(deriveSeed(seed, 0, 0x3a99)) });
}

/** Rebuilds a trained captioner from its run folder (best checkpoint), in eval mode. */
export function loadCaptioner(runDir: string): { model: ClipCapModel; run: CaptionerRunModel } {
  const run = readRunJson<CaptionerRunModel>(join(runDir, 'captioner.json'), '`train` (when it finishes)');
  const model = buildCaptioner(run.config, new GPT2LMHeadModel(run.config.gpt as GPT2Config), run.options.seed);
  loadBestWeights(model, runDir);
  return { model: model.eval(), run };
}

/**
 * Trains (or resumes) a captioner run.
 *
 * @throws ExampleOptionsError for a missing `clipRun` / `checkpointPath` or a language other than the CLIP run's
 * @throws ExampleDataError when the CLIP run's embeddings are not those of the data set's images
 */
export async function runCaptionerTraining(
  o: TrainOptions,
  io: { log: (line: string) => void } = { log: (l) => void process.stderr.write(`${l}\n`) },
): Promise<{ runDir: string; bestScore: number | null } | null> {
  if (o.checkpointPath === null)
    throw new ExampleOptionsError('checkpointPath', 'train: --checkpoint-path is required');
  if (o.clipRun === null)
    throw new ExampleOptionsError('clipRun', 'train: --clip-run (a pretrain run folder) is required');
  const runDir = resolvePath(o.checkpointPath);
  const clipRun = resolvePath(o.clipRun);
  const backend = await initBackend(o.backend, { log: io.log });
  const started = performance.now();
  const clip = await openClipRun(clipRun);
  if (clip.model.options.language !== o.language) {
    throw new ExampleOptionsError(
      'language',
      `train: language is ${o.language} but the CLIP run ${clipRun} was trained on ${clip.model.options.language} captions`,
    );
  }
  const { tokenizer, embeddings } = clip;
  const data = await readShapesCaptions(resolvePath(o.dataDir), o.language);
  for (const split of ['train', 'val'] as const) {
    const ids = embeddings[split].ids;
    const want = data.splits[split].ids;
    if (ids.length !== want.length || want.some((id, i) => ids[i] !== id)) {
      throw new ExampleDataError(`the CLIP run ${clipRun} does not fit the data in ${o.dataDir}`, [
        `its ${split} embeddings are for ${ids.length} images, the data set's ${split} split has ${want.length} (other ids or order): pretrain again on this data`,
      ]);
    }
  }
  const config = captionerConfig(o, clip.model);
  const width = (config.gpt.nPositions as number) - o.prefixLength;
  if (width < 2)
    throw new ExampleOptionsError(
      'prefixLength',
      `train: prefixLength ${o.prefixLength} leaves ${width} GPT-2 positions for the caption`,
    );

  // the caption pairs (image, caption row) and their subset
  const train = data.splits.train;
  const rows = encodeCaptionRows(tokenizer, train.captions.flat(), width, CAPTION_PADDING);
  const pairs: Array<[number, number]> = [];
  let row = 0;
  train.captions.forEach((caps, img) => caps.forEach(() => pairs.push([img, row++])));
  const used =
    o.trainFraction >= 1
      ? pairs
      : shuffled(new Random(deriveSeed(o.trainSubsetSeed, 0, 0xf4ac)), pairs).slice(
          0,
          Math.max(1, Math.round(o.trainFraction * pairs.length)),
        );
  const batchesPerEpoch = o.batchesPerEpoch > 0 ? o.batchesPerEpoch : Math.ceil(pairs.length / o.batchSize);
  const lengthOf = (r: number): number => {
    const k = rows.subarray(r * width, (r + 1) * width).indexOf(tokenizer.endOfText);
    return k < 0 ? width : k + 1;
  };

  // the GPT-2: a copy of CLIP's text tower, or random; then the mapper
  const gptRng = new Random(deriveSeed(o.seed, 0, 0x6971));
  let gpt: GPT2LMHeadModel;
  if (o.init === 'clip') {
    const clipModel = new ClipModel(clip.model.config);
    loadBestWeights(clipModel, clipRun);
    gpt = copyGPT2(clipModel.transformer as GPT2Model, { rng: gptRng });
    clipModel.dispose();
  } else {
    gpt = new GPT2LMHeadModel(config.gpt, { rng: gptRng });
  }
  const model = buildCaptioner(config, gpt, o.seed);
  io.log(
    `train: ClipCap (${o.language}, ${o.mappingType} mapper, prefix ${o.prefixLength}) on ${clipRun}; GPT-2 from ${o.init === 'clip' ? "CLIP's text tower" : 'random weights'}; ${used.length} of ${pairs.length} caption pairs, ${batchesPerEpoch} batches of ${o.batchSize} per epoch, ${o.epochs} epochs; ${model.parameterCount()} parameters trained`,
  );

  const rng = new Random(o.seed);
  const optimizer = new AdamW(model, { learningRate: o.learningRate, weightDecay: o.weightDecay });
  const source = new ShuffledBatches(used, { batchSize: o.batchSize, seed: o.seed, batchesPerEpoch });
  const history = new HistoryComponent();
  const dim = embeddings.train.dim;
  const val = data.splits.val;
  const valCount = Math.min(o.valImages, val.ids.length);
  const valRefs = Object.fromEntries(
    val.ids.slice(0, valCount).map((id, i) => [String(id), val.captions[i] as string[]]),
  );

  const loop = await trainLoop({
    model,
    optimizer,
    data: source,
    rng,
    loss: ({ items }) => {
      const t = Math.max(...items.map(([, r]) => lengthOf(r)));
      const tokens = new Int32Array(items.length * t);
      const prefix = new Float32Array(items.length * dim);
      items.forEach(([img, r], i) => {
        tokens.set(rows.subarray(r * width, r * width + t), i * t);
        prefix.set(embeddings.train.embeddings.subarray(img * dim, (img + 1) * dim), i * dim);
      });
      return model.loss(tf.tensor2d(prefix, [items.length, dim]), tf.tensor2d(tokens, [items.length, t], 'int32'));
    },
    learningRate: warmupLearningRate(o),
    maxEpochs: o.epochs,
    components: { history },
    checkpoints: runDir,
    resume: o.resume,
    config: { ...o, clipCheckpoint: clip.model.checkpoint },
    progress: { mode: o.progress as ProgressMode },
    onStep: (s) => void history.history.losses.push([s.step, s.loss]),
    onEpochEnd: async ({ epoch, step }) => {
      history.history.seconds = (performance.now() - started) / 1000;
      if (valCount === 0) return {};
      const t0 = performance.now();
      model.eval();
      const { captions } = captionEmbeddings(
        captionModelOf([model], tokenizer),
        tokenizer,
        embeddings.val.embeddings.subarray(0, valCount * dim),
        dim,
        { beamSize: 1, maxLength: o.maxLength, batchSize: 250 },
      );
      const results = val.ids.slice(0, valCount).map((id, i) => ({ image_id: id, caption: captions[i] as string }));
      const scored = await scoreCaptions(results, valRefs, { language: o.language, meteor: null, zhTokenize: 'jieba' });
      history.history.validations.push({
        epoch,
        step,
        phase: 'xe',
        learningRate: o.learningRate,
        scores: scored.corpus,
        loss: null,
        reward: null,
      });
      io.log(
        `validation epoch ${epoch}: CIDEr ${scored.corpus.CIDEr?.toFixed(3)} BLEU-4 ${scored.corpus.Bleu_4?.toFixed(3)} on ${valCount} val images (${((performance.now() - t0) / 1000).toFixed(1)} s); e.g. "${captions[0]}"`,
      );
      return { score: scored.corpus.CIDEr };
    },
  });
  history.history.seconds = (performance.now() - started) / 1000;
  writeHistoryFile(runDir, { history: history.history, backend: backend.description, loop });
  model.dispose();
  optimizer.dispose();
  if (loop.reason === 'stopped') return null;
  const best = new CheckpointStore(runDir).resolve('best') ?? new CheckpointStore(runDir).resolve('latest');
  writeJson(join(runDir, 'captioner.json'), {
    config,
    options: o,
    clipRun,
    clipCheckpoint: clip.model.checkpoint,
  } satisfies CaptionerRunModel);
  io.log(`train: finished; best checkpoint ${best} (validation CIDEr ${loop.bestScore?.toFixed(3)})`);
  return { runDir, bestScore: loop.bestScore };
}

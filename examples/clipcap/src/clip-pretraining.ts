/**
 * `pretrain`: CLIP pre-training as the seed system does it: a small image tower and a GPT-2 text tower whose hidden
 * state at the end-of-text token is the text feature, MLP projection heads, the learned temperature (clamped at
 * 100), the symmetric contrastive loss over each batch, AdamW (lr 3e-4, weight decay 0.01). Each pass over the
 * training images pairs every image with one of its captions, drawn per pass. After each epoch the validation
 * images' retrieval recall is the score (best checkpoint). At the end, from the best checkpoint: every image's CLIP
 * embedding (what the captioners take as input, computed once), and the test split's retrieval recall.
 *
 * The run folder: checkpoints, `tokenizer.json` (the caption tokenizer, shared by the captioners), `clip.json` (the
 * model config), `history.json`, `image-embeddings.safetensors`, `retrieval.json`.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  AdamW,
  initBackend,
  parseSafetensors,
  Random,
  serializeSafetensors,
  trainLoop,
  writeFileAtomic,
  type ProgressMode,
} from '@caption/core';
import { deriveSeed } from '@caption/example-shapes';
import { ClipModel, type ClipModelConfig, type ClipVisionConfig, type GPT2Config } from '@caption/models-clipcap';
import { ExampleOptionsError } from '@caption/example-common';
import { ShuffledBatches } from './batches';
import { buildCaptionTokenizer, type CaptionTokenizer, encodeCaptionRows } from './caption-tokenizer';
import { loadClipImages, readShapesCaptions, SPLITS, type Split, type SplitCaptions } from './data';
import type { PretrainOptions } from './options';
import { meanRecall, retrievalRecall, type RetrievalResult } from './retrieval';
import {
  HistoryComponent,
  loadBestWeights,
  readRunJson,
  resolvePath,
  warmupLearningRate,
  writeHistoryFile,
  writeJson,
} from './run-files';

/** The GPT-2 text tower of a pretrain configuration (also every captioner's GPT-2). */
export function textTowerConfig(o: PretrainOptions, vocabSize: number): GPT2Config {
  return {
    vocabSize,
    nPositions: o.textPositions,
    nEmbd: o.textWidth,
    nLayer: o.textLayers,
    nHead: o.textHeads,
    embdPdrop: o.dropout,
    attnPdrop: o.dropout,
    residPdrop: o.dropout,
  };
}

/** The image tower of a pretrain configuration. */
export function visionTowerConfig(o: PretrainOptions): ClipVisionConfig {
  const layers: [number, number, number, number] = [o.visionLayers, o.visionLayers, o.visionLayers, o.visionLayers];
  switch (o.visionType) {
    case 'vit':
      return {
        type: 'vit',
        inputResolution: o.imageSize,
        patchSize: o.patchSize,
        width: o.visionWidth,
        layers: o.visionLayers,
        heads: o.visionHeads,
      };
    case 'resnet':
      return { type: 'resnet', inputResolution: o.imageSize, layers, width: o.visionWidth, heads: o.visionHeads };
    case 'res2next':
      return {
        type: 'res2next',
        inputResolution: o.imageSize,
        layers,
        baseWidth: 4,
        cardinality: 4,
        scale: 4,
        width: o.visionWidth,
      };
  }
}

/** The CLIP model of a pretrain configuration, for a tokenizer. */
export function clipModelConfig(o: PretrainOptions, tokenizer: CaptionTokenizer): ClipModelConfig {
  return {
    embedDim: o.embedDim,
    vision: visionTowerConfig(o),
    text: { type: 'gpt2', gpt2: textTowerConfig(o, tokenizer.vocabularySize), eot: { tokenId: tokenizer.endOfText } },
    projection: o.projectionHidden === 0 ? 'linear' : { type: 'mlp', hiddenDim: o.projectionHidden },
  };
}

/** A split's captions as rows for the text tower: one row per caption, with the image each belongs to. */
interface CaptionRows {
  ids: Int32Array;
  /** Positions per row. */
  width: number;
  /** Tokens (end-of-text included) per row. */
  lengths: Int32Array;
  /** Image index of each row. */
  image: Int32Array;
  /** First row of each image and its number of rows. */
  first: Int32Array;
  count: Int32Array;
}

function captionRows(tokenizer: CaptionTokenizer, split: SplitCaptions, width: number): CaptionRows {
  const all = split.captions.flat();
  const ids = encodeCaptionRows(tokenizer, all, width, tokenizer.endOfText);
  const lengths = new Int32Array(all.length);
  for (let r = 0; r < all.length; r++)
    lengths[r] = ids.subarray(r * width, (r + 1) * width).indexOf(tokenizer.endOfText) + 1;
  const image = new Int32Array(all.length);
  const first = new Int32Array(split.captions.length);
  const count = new Int32Array(split.captions.length);
  let row = 0;
  split.captions.forEach((caps, i) => {
    first[i] = row;
    count[i] = caps.length;
    for (let k = 0; k < caps.length; k++) image[row++] = i;
  });
  return { ids, width, lengths, image, first, count };
}

/** Rows `rows` of `captions` as an int32 `[rows, T]` tensor, T the longest of them (padding: end-of-text). */
function textBatch(captions: CaptionRows, rows: readonly number[]): tf.Tensor2D {
  const t = Math.max(...rows.map((r) => captions.lengths[r] as number));
  const out = new Int32Array(rows.length * t);
  rows.forEach((r, i) => out.set(captions.ids.subarray(r * captions.width, r * captions.width + t), i * t));
  return tf.tensor2d(out, [rows.length, t], 'int32');
}

/** Images `indices` of `pixels` (`[N, 3, S, S]` flattened) as a tensor. */
function imageBatch(pixels: Float32Array, indices: readonly number[], size: number): tf.Tensor4D {
  const per = 3 * size * size;
  const out = new Float32Array(indices.length * per);
  indices.forEach((idx, i) => out.set(pixels.subarray(idx * per, (idx + 1) * per), i * per));
  return tf.tensor4d(out, [indices.length, 3, size, size]);
}

/** Image embeddings `[N, embedDim]` of all `pixels`, in chunks (eval mode is the caller's). */
export function encodeImages(
  model: ClipModel,
  pixels: Float32Array,
  count: number,
  size: number,
  chunk = 250,
): tf.Tensor2D {
  const parts: tf.Tensor2D[] = [];
  for (let start = 0; start < count; start += chunk) {
    const idx = Array.from({ length: Math.min(chunk, count - start) }, (_, k) => start + k);
    parts.push(tf.tidy(() => model.encodeImage(imageBatch(pixels, idx, size))));
  }
  const out = tf.concat(parts, 0) as tf.Tensor2D;
  tf.dispose(parts);
  return out;
}

function encodeTexts(model: ClipModel, captions: CaptionRows, chunk = 500): tf.Tensor2D {
  const parts: tf.Tensor2D[] = [];
  const n = captions.image.length;
  for (let start = 0; start < n; start += chunk) {
    const rows = Array.from({ length: Math.min(chunk, n - start) }, (_, k) => start + k);
    parts.push(tf.tidy(() => model.encodeText(textBatch(captions, rows))));
  }
  const out = tf.concat(parts, 0) as tf.Tensor2D;
  tf.dispose(parts);
  return out;
}

/** Retrieval recall of a split's images and captions (eval mode is the caller's). */
function splitRecall(model: ClipModel, pixels: Float32Array, captions: CaptionRows, size: number): RetrievalResult {
  const images = encodeImages(model, pixels, captions.first.length, size);
  const texts = encodeTexts(model, captions);
  try {
    return retrievalRecall(images, texts, captions.image);
  } finally {
    tf.dispose([images, texts]);
  }
}

/** What a CLIP run folder holds for the captioners and the evaluation. */
export interface ClipRunFiles {
  /** `clip.json`: the model configuration and the options it was trained with. */
  model: string;
  /** `tokenizer.json`. */
  tokenizer: string;
  /** `image-embeddings.safetensors`: `<split>` `[N, embedDim]` float32 and `<split>.ids` int32. */
  embeddings: string;
  /** `retrieval.json`: test-split recall and chance. */
  retrieval: string;
}

/** The files of a CLIP run folder. */
export function clipRunFiles(runDir: string): ClipRunFiles {
  return {
    model: join(runDir, 'clip.json'),
    tokenizer: join(runDir, 'tokenizer.json'),
    embeddings: join(runDir, 'image-embeddings.safetensors'),
    retrieval: join(runDir, 'retrieval.json'),
  };
}

/** `clip.json`. */
export interface ClipRunModel {
  config: ClipModelConfig;
  options: PretrainOptions;
  /** The checkpoint the embeddings and recall come from (`step-…` folder name). */
  checkpoint: string;
}

/** The image embeddings of a CLIP run, by split. */
export function readImageEmbeddings(
  runDir: string,
): Record<Split, { ids: Int32Array; embeddings: Float32Array; dim: number }> {
  const file = clipRunFiles(runDir).embeddings;
  readRunJson(clipRunFiles(runDir).model, '`pretrain`'); // a clear error when the run is not a finished CLIP run
  const parsed = parseSafetensors(new Uint8Array(readFileSync(file)), file);
  const out = {} as Record<Split, { ids: Int32Array; embeddings: Float32Array; dim: number }>;
  for (const split of SPLITS) {
    const e = parsed.tensors.get(split);
    const ids = parsed.tensors.get(`${split}.ids`);
    if (e === undefined || ids === undefined)
      throw new ExampleOptionsError('clipRun', `${file} has no tensor "${split}"`);
    out[split] = { ids: ids.data as Int32Array, embeddings: e.data as Float32Array, dim: e.shape[1] as number };
  }
  return out;
}

/**
 * Trains (or resumes) a CLIP run, then writes its embeddings and test recall.
 *
 * @returns the test recall (null when the run was stopped before its end)
 */
export async function runPretraining(
  o: PretrainOptions,
  io: { log: (line: string) => void } = { log: (l) => void process.stderr.write(`${l}\n`) },
): Promise<RetrievalResult | null> {
  if (o.checkpointPath === null)
    throw new ExampleOptionsError('checkpointPath', 'pretrain: --checkpoint-path is required');
  if (o.textWidth % o.textHeads !== 0)
    throw new ExampleOptionsError(
      'textHeads',
      `pretrain: textHeads ${o.textHeads} must divide textWidth ${o.textWidth}`,
    );
  const runDir = resolvePath(o.checkpointPath);
  const backend = await initBackend(o.backend, { log: io.log });
  const started = performance.now();
  const data = await readShapesCaptions(resolvePath(o.dataDir), o.language);
  const tokenizer = await buildCaptionTokenizer(o.language, data.splits.train.captions.flat(), o.vocabulary);
  const files = clipRunFiles(runDir);
  const config = clipModelConfig(o, tokenizer);
  io.log(
    `pretrain: CLIP (${o.language}) ${o.visionType} image tower, GPT-2 text tower (${o.textLayers}×${o.textWidth}, ${tokenizer.vocabularySize} tokens: ${tokenizer.name}); ${data.splits.train.ids.length} training images`,
  );
  const size = o.imageSize;
  const pixels = {} as Record<Split, Float32Array>;
  for (const split of SPLITS) pixels[split] = await loadClipImages(data.splits[split].files, size);
  const rows = {} as Record<Split, CaptionRows>;
  for (const split of SPLITS) rows[split] = captionRows(tokenizer, data.splits[split], o.textPositions);
  io.log(`pretrain: images and captions read in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const rng = new Random(o.seed);
  const model = new ClipModel(config, { rng });
  const optimizer = new AdamW(model, { learningRate: o.learningRate, weightDecay: o.weightDecay });
  const train = rows.train;
  const source = new ShuffledBatches(
    Array.from({ length: train.first.length }, (_, i) => i),
    { batchSize: o.batchSize, seed: o.seed },
  );
  const history = new HistoryComponent();
  mkdirSync(runDir, { recursive: true });
  writeJson(files.tokenizer, tokenizer.spec);
  const loop = await trainLoop({
    model,
    optimizer,
    data: source,
    rng,
    loss: ({ items, pass }) => {
      const captionsOf = items.map((img) => {
        const choice = deriveSeed(o.seed, pass, img) % (train.count[img] as number);
        return (train.first[img] as number) + choice;
      });
      return model.loss(imageBatch(pixels.train, items, size), textBatch(train, captionsOf));
    },
    learningRate: warmupLearningRate(o),
    maxEpochs: o.epochs,
    components: { history },
    checkpoints: runDir,
    resume: o.resume,
    config: o,
    progress: { mode: o.progress as ProgressMode },
    onStep: (s) => {
      model.clampLogitScale();
      history.history.losses.push([s.step, s.loss]);
    },
    onEpochEnd: ({ epoch, step }) => {
      const t0 = performance.now();
      model.eval();
      const val = splitRecall(model, pixels.val, rows.val, size);
      const mean = meanRecall(val.recall);
      history.history.validations.push({
        epoch,
        step,
        phase: 'xe',
        learningRate: o.learningRate,
        scores: null,
        loss: null,
        reward: null,
        recall: val.recall,
      } as never);
      history.history.seconds = (performance.now() - started) / 1000;
      io.log(
        `validation epoch ${epoch}: R@1 image→text ${fmt(val.recall.imageToText['R@1'])} text→image ${fmt(val.recall.textToImage['R@1'])} (chance ${fmt(val.chance.imageToText['R@1'])} / ${fmt(val.chance.textToImage['R@1'])}); R@5 ${fmt(val.recall.imageToText['R@5'])} / ${fmt(val.recall.textToImage['R@5'])}; temperature ${Math.exp(model.logitScale.dataSync()[0] as number).toFixed(1)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
      );
      return { score: mean['R@1'] };
    },
  });
  writeHistoryFile(runDir, { history: history.history, backend: backend.description, loop });
  if (loop.reason === 'stopped') {
    model.dispose();
    optimizer.dispose();
    return null;
  }

  // embeddings and recall from the best checkpoint
  const best = loadBestWeights(model, runDir);
  model.eval();
  const tensors: Record<string, { data: Float32Array | Int32Array; shape: number[] }> = {};
  for (const split of SPLITS) {
    const e = encodeImages(model, pixels[split], data.splits[split].ids.length, size);
    tensors[split] = { data: e.dataSync() as Float32Array, shape: e.shape };
    tensors[`${split}.ids`] = { data: Int32Array.from(data.splits[split].ids), shape: [data.splits[split].ids.length] };
    e.dispose();
  }
  writeFileAtomic(files.embeddings, serializeSafetensors(tensors, { checkpoint: best.path }));
  const test = splitRecall(model, pixels.test, rows.test, size);
  writeJson(files.retrieval, { split: 'test', ...test, checkpoint: best.path });
  const checkpoint = best.path.split('/').pop() as string;
  writeJson(files.model, { config, options: o, checkpoint } satisfies ClipRunModel);
  io.log(
    `pretrain: test split (${test.images} images, ${test.captions} captions): R@1 image→text ${fmt(test.recall.imageToText['R@1'])} text→image ${fmt(test.recall.textToImage['R@1'])}, R@5 ${fmt(test.recall.imageToText['R@5'])} / ${fmt(test.recall.textToImage['R@5'])} (chance R@1 ${fmt(test.chance.imageToText['R@1'])} / ${fmt(test.chance.textToImage['R@1'])})`,
  );
  model.dispose();
  optimizer.dispose();
  return test;
}

const fmt = (x: number): string => `${(100 * x).toFixed(1)} %`;

/** Whether a CLIP run folder is finished (its embeddings written from its best checkpoint). */
export function clipRunFinished(runDir: string): boolean {
  const f = clipRunFiles(runDir);
  return existsSync(f.model) && existsSync(f.embeddings) && existsSync(f.retrieval);
}

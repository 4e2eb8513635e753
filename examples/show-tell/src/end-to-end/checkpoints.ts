/**
 * The tutorial's per-epoch checkpoints, `encoder-N` and `decoder-N` (`train.py` saves
 * `encoder-{epoch}-{step}.ckpt` / `decoder-…`; here one pair at the end of each epoch), as safetensors files
 * written atomically. The encoder file holds the trainable embedding (`img_embed.*`, the tutorial's
 * `encoder.linear`) and names the frozen backbone and the transforms; the decoder file holds the LSTM, word
 * embedding and output layer with the model's configuration and the vocabulary.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSafetensors, safetensorsToTensors, tensorsToSafetensors, writeFileAtomic } from '@caption/core';
import { Vocabulary } from '@caption/data-coco';
import { FeatureSizeError } from '@caption/example-image-features';
import * as tf from '@tensorflow/tfjs-core';
import { ShowTellModel, type ShowTellConfig } from '../show-tell-model';
import {
  type BackboneSpec,
  type FeatureStatistics,
  type ImageBackbone,
  loadImageBackbone,
  standardizedBackbone,
} from './backbone';
import type { TransformOptions } from './data';
import { EndToEndError } from './errors';

const ENCODER_PREFIX = 'img_embed.';
const STATS = { mean: 'feature_norm.mean', std: 'feature_norm.std' } as const;

/** The two files of epoch `epoch` in a run folder. */
export function checkpointPaths(runDir: string, epoch: number): { encoder: string; decoder: string } {
  return {
    encoder: join(runDir, `encoder-${epoch}.safetensors`),
    decoder: join(runDir, `decoder-${epoch}.safetensors`),
  };
}

/** The last epoch with both files in `runDir`, or null. */
export function lastEpoch(runDir: string): number | null {
  if (!existsSync(runDir)) return null;
  const epochs = readdirSync(runDir)
    .map((f) => /^decoder-(\d+)\.safetensors$/.exec(f)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .filter((n) => existsSync(checkpointPaths(runDir, n).encoder));
  return epochs.length === 0 ? null : Math.max(...epochs);
}

/** Everything the encoder file records besides its weights. */
export interface EncoderInfo {
  /** The frozen network. */
  backbone: BackboneSpec;
  /** The transforms it was trained with (evaluation resizes to `cropSize`). */
  transforms: TransformOptions;
  /** The standardisation of the backbone's features. */
  statistics: FeatureStatistics;
}

/** Writes `encoder-N` and `decoder-N` (each atomically). */
export function saveEpochCheckpoint(
  runDir: string,
  epoch: number,
  model: ShowTellModel,
  info: EncoderInfo,
  vocabulary: Vocabulary,
  maxLength: number,
): void {
  const encoder = new Map<string, tf.Tensor>();
  const decoder = new Map<string, tf.Tensor>();
  for (const [name, t] of model.stateDict()) (name.startsWith(ENCODER_PREFIX) ? encoder : decoder).set(name, t);
  const stats = [tf.tensor1d(info.statistics.mean), tf.tensor1d(info.statistics.std)] as const;
  encoder.set(STATS.mean, stats[0]);
  encoder.set(STATS.std, stats[1]);
  const paths = checkpointPaths(runDir, epoch);
  writeFileAtomic(
    paths.encoder,
    tensorsToSafetensors(encoder, {
      format: 'caption-show-tell-encoder',
      backbone: JSON.stringify(info.backbone),
      transforms: JSON.stringify(info.transforms),
      fcFeatSize: String(model.config.fcFeatSize),
      embedSize: String(model.config.inputEncodingSize),
    }),
  );
  writeFileAtomic(
    paths.decoder,
    tensorsToSafetensors(decoder, {
      format: 'caption-show-tell-decoder',
      config: JSON.stringify(model.config),
      vocabulary: JSON.stringify(vocabulary.words),
      maxLength: String(maxLength),
    }),
  );
  for (const t of stats) t.dispose();
}

/** A captioner loaded from an encoder / decoder pair. */
export interface LoadedCaptioner {
  /** The Show-Tell model (eval mode). */
  model: ShowTellModel;
  /** The frozen backbone named by the encoder file. */
  backbone: ImageBackbone;
  /** The vocabulary of the decoder file. */
  vocabulary: Vocabulary;
  /** The transforms of the encoder file. */
  transforms: TransformOptions;
}

async function readMeta(path: string, format: string) {
  if (!existsSync(path)) throw new EndToEndError(`checkpoint ${path}: no such file`);
  const file = parseSafetensors(new Uint8Array(await readFile(path)), path);
  if (file.metadata.format !== format)
    throw new EndToEndError(`checkpoint ${path}: metadata "format" is ${file.metadata.format}, expected ${format}`);
  return file;
}

/**
 * Loads `encoder` + `decoder` (paths), builds the backbone the encoder names, and checks that its feature
 * size is the one the model was trained on.
 *
 * @throws EndToEndError for a missing or foreign checkpoint file
 * @throws FeatureSizeError when the backbone's feature size differs from the model's `fcFeatSize`
 */
export async function loadCaptioner(paths: { encoder: string; decoder: string }): Promise<LoadedCaptioner> {
  const enc = await readMeta(paths.encoder, 'caption-show-tell-encoder');
  const dec = await readMeta(paths.decoder, 'caption-show-tell-decoder');
  const config = JSON.parse(dec.metadata.config ?? '{}') as ShowTellConfig;
  const info = {
    backbone: JSON.parse(enc.metadata.backbone ?? 'null') as BackboneSpec,
    transforms: JSON.parse(enc.metadata.transforms ?? 'null') as TransformOptions,
  };
  const raw = await loadImageBackbone(info.backbone, info.transforms.cropSize);
  if (raw.channels !== config.fcFeatSize) {
    raw.dispose();
    throw new FeatureSizeError(
      config.fcFeatSize,
      raw.channels,
      `${paths.decoder} was trained on fcFeatSize ${config.fcFeatSize} features; backbone ${JSON.stringify(info.backbone)}`,
    );
  }
  const mean = enc.tensors.get(STATS.mean)?.data;
  const std = enc.tensors.get(STATS.std)?.data;
  if (!(mean instanceof Float32Array) || !(std instanceof Float32Array)) {
    raw.dispose();
    throw new EndToEndError(`checkpoint ${paths.encoder}: no float32 ${STATS.mean} / ${STATS.std}`);
  }
  const backbone = standardizedBackbone(raw, { mean, std });
  enc.tensors.delete(STATS.mean);
  enc.tensors.delete(STATS.std);
  const model = new ShowTellModel(config).eval();
  const tensors = new Map([...safetensorsToTensors(enc, paths.encoder), ...safetensorsToTensors(dec, paths.decoder)]);
  model.loadStateDict(tensors);
  for (const t of tensors.values()) t.dispose();
  const vocabulary = new Vocabulary(JSON.parse(dec.metadata.vocabulary ?? '[]') as string[]);
  return { model, backbone, vocabulary, transforms: info.transforms };
}

/** The pair of `--epoch N` (default: the last saved) in `runDir`. */
export function resolveCheckpoint(runDir: string, epoch?: number): { encoder: string; decoder: string } {
  const n = epoch ?? lastEpoch(runDir);
  if (n === null) throw new EndToEndError(`run folder ${runDir}: no encoder-N / decoder-N checkpoints`);
  return checkpointPaths(runDir, n);
}

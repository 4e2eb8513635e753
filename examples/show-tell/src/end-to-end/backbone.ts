/**
 * The frozen image backbone of the end-to-end Show-Tell (the tutorial's `EncoderCNN` without its trainable
 * linear layer, which is the Show-Tell model's `img_embed`): images `[B, H, W, 3]` → one feature vector per
 * image. Either a TensorFlow.js model folder cut at a named layer and averaged over its positions (the
 * tutorial's ResNet minus `fc`: its global average pool), or the shapes example's region CNN
 * (`region-cnn.safetensors`): its convolutional trunk on the whole image, the `[s/8, s/8, C]` map flattened
 * (positions kept: the shapes captions are about where things are).
 */
import { readFile } from 'node:fs/promises';
import { parseSafetensors } from '@caption/core';
import { type Backbone, loadBackbone } from '@caption/example-image-features';
import { RegionCnn, type RegionCnnConfig } from '@caption/example-shapes';
import * as tf from '@tensorflow/tfjs-core';
import { EndToEndError } from './errors';

/** Where a backbone comes from; stored in every encoder checkpoint. */
export type BackboneSpec = { kind: 'tfjs-model'; folder: string; layer: string } | { kind: 'shapes-cnn'; path: string };

/** A frozen image network: normalised images in, feature vectors out. */
export interface ImageBackbone {
  /** Where it came from. */
  readonly spec: BackboneSpec;
  /** Size D of the feature vectors (the Show-Tell model's `fcFeatSize`). */
  readonly channels: number;
  /** The input side the network requires (the shapes CNN: the side its flattened map was sized for), or null. */
  readonly inputSize: number | null;
  /** `[B, H, W, 3]` → `[B, D]` (call under `tf.tidy`; no gradient flows into the backbone). */
  features(images: tf.Tensor4D): tf.Tensor2D;
  /** Frees the weights. */
  dispose(): void;
}

/** `--backbone` on the command line: `shapes-cnn:<file>` or `tfjs:<folder>#<layer>`. */
export function parseBackboneSpec(value: string): BackboneSpec {
  if (value.startsWith('shapes-cnn:')) return { kind: 'shapes-cnn', path: value.slice('shapes-cnn:'.length) };
  const m = /^tfjs:(.+)#([^#]+)$/.exec(value);
  if (m !== null) return { kind: 'tfjs-model', folder: m[1] as string, layer: m[2] as string };
  throw new EndToEndError(
    `--backbone ${value}: expected shapes-cnn:<region-cnn.safetensors> or tfjs:<model folder>#<layer>`,
  );
}

async function shapesCnn(
  spec: Extract<BackboneSpec, { kind: 'shapes-cnn' }>,
  probeSide: number,
): Promise<ImageBackbone> {
  if (probeSide % 8 !== 0)
    throw new EndToEndError(
      `backbone ${spec.path}: the region CNN's trunk needs an image side divisible by 8, got ${probeSide}`,
    );
  let file;
  try {
    file = parseSafetensors(new Uint8Array(await readFile(spec.path)), spec.path);
  } catch (cause) {
    throw new EndToEndError(`backbone ${spec.path}: cannot read the region CNN (${(cause as Error).message})`, {
      cause,
    });
  }
  const configText = file.metadata.config;
  if (configText === undefined) throw new EndToEndError(`backbone ${spec.path}: no "config" in the metadata`);
  const cnn = new RegionCnn(JSON.parse(configText) as RegionCnnConfig);
  for (const w of cnn.namedWeights()) {
    const entry = file.tensors.get(w.name);
    if (entry === undefined || entry.shape.join() !== w.variable.shape.join()) {
      cnn.dispose();
      throw new EndToEndError(`backbone ${spec.path}: weight ${w.name} is missing or has another shape`);
    }
    w.variable.assign(tf.tensor(entry.data as Float32Array, entry.shape));
  }
  const cells = (probeSide / 8) ** 2;
  return {
    spec,
    channels: cells * (cnn.config.channels[2] as number),
    inputSize: probeSide,
    features: (images) => tf.reshape(cnn.featureMap(images), [images.shape[0], -1]) as tf.Tensor2D,
    dispose: () => cnn.dispose(),
  };
}

async function tfjsModel(spec: Extract<BackboneSpec, { kind: 'tfjs-model' }>, probeSide: number) {
  const model: Backbone = await loadBackbone(spec.folder, spec.layer);
  const channels =
    model.declaredChannels ?? tf.tidy(() => model.run(tf.zeros([1, probeSide, probeSide, 3]) as tf.Tensor4D).shape[3]);
  const backbone: ImageBackbone = {
    spec,
    channels,
    inputSize: null,
    features: (images) => tf.mean(model.run(images), [1, 2]) as tf.Tensor2D,
    dispose: () => model.dispose(),
  };
  return backbone;
}

/**
 * Loads a backbone.
 *
 * @param probeSide the image side the backbone will see (the crop size): a graph model's output channels are
 *   learnt on it, and the flattened map of the shapes CNN has `(side / 8)²` cells
 * @throws EndToEndError for an unreadable shapes CNN; the image-features errors for a bad model folder or layer
 */
export async function loadImageBackbone(spec: BackboneSpec, probeSide: number): Promise<ImageBackbone> {
  return spec.kind === 'shapes-cnn' ? shapesCnn(spec, probeSide) : tfjsModel(spec, probeSide);
}

/**
 * Per-feature statistics of the backbone's output over the training images: the features are standardised with
 * them (`(f − mean) / std`) before the trainable embedding. It stands where the tutorial's `BatchNorm1d` stands,
 * with the statistics fixed before training (BN's running averages converge to them): without it, what all
 * images share dominates the raw activations, the embedding grows along it, and the LSTM's saturated gates pass
 * on almost nothing of the image (measured: 17 distinct captions for 500 test images).
 */
export interface FeatureStatistics {
  /** `[D]` means. */
  mean: Float32Array;
  /** `[D]` standard deviations (floored at 1e-3). */
  std: Float32Array;
}

/** Mean and std of each feature over the rows of `features` (`[n, D]` row-major). */
export function featureStatistics(features: Float32Array, d: number): FeatureStatistics {
  const n = features.length / d;
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let r = 0; r < n; r++)
    for (let k = 0; k < d; k++) {
      const v = features[r * d + k] as number;
      mean[k] = (mean[k] as number) + v;
      sq[k] = (sq[k] as number) + v * v;
    }
  const m = Float32Array.from(mean, (s) => s / n);
  const std = Float32Array.from(sq, (s, k) => Math.max(1e-3, Math.sqrt(Math.max(0, s / n - (m[k] as number) ** 2))));
  return { mean: m, std };
}

/** The backbone with its features standardised by `stats`. */
export function standardizedBackbone(backbone: ImageBackbone, stats: FeatureStatistics): ImageBackbone {
  const mean = tf.tensor1d(stats.mean);
  const std = tf.tensor1d(stats.std);
  return {
    ...backbone,
    features: (images) => tf.div(tf.sub(backbone.features(images), mean), std) as tf.Tensor2D,
    dispose: () => {
      mean.dispose();
      std.dispose();
      backbone.dispose();
    },
  };
}

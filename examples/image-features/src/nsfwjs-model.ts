/**
 * The real pretrained image networks that the npm registry carries: the three models bundled in
 * `nsfwjs` (4.3.0; two Keras layers models and one converted graph model). They are ImageNet-pretrained backbones (MobileNetV2 at 224×224, InceptionV3 at 299×299)
 * whose top was replaced and fine-tuned to classify images into five content classes (drawing, hentai,
 * neutral, porn, sexy); the convolutional trunk was trained further for that task, so its features are
 * ImageNet-derived but not ImageNet's. nsfwjs feeds them pixels / 255 (no mean / std) and its weights are
 * quantised to 8 bits. nsfwjs ships each model as JavaScript modules (the topology as an object, each shard
 * as a base64 string); this writes them out as an ordinary TensorFlow.js model folder.
 */
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '@caption/core';
import { ExtractOptionsError } from './errors';

/** What is known about each bundled model. */
export const NSFWJS_MODELS = {
  mobilenet_v2: { inputSize: 224, featureLayer: 'out_relu', channels: 1280 },
  // a graph model (a TensorFlow Hub MobileNetV2 with width multiplier 1.4, converted): nodes, not layers
  mobilenet_v2_mid: {
    inputSize: 224,
    featureLayer:
      'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/MobilenetV2/Conv_1/Relu6',
    channels: 1792,
  },
  inception_v3: { inputSize: 299, featureLayer: 'mixed10', channels: 2048 },
} as const;

/** A model bundled in nsfwjs. */
export type NsfwjsModelName = keyof typeof NSFWJS_MODELS;

/** nsfwjs's own preprocessing: pixels / 255, no mean subtraction. */
export const NSFWJS_NORMALIZATION = { mean: [0, 0, 0], std: [1, 1, 1] } as const;

interface BundledTopology {
  modelTopology: unknown;
  weightsManifest: Array<{ paths: string[]; weights: unknown[] }>;
}

/**
 * Writes nsfwjs's bundled model `name` as `<folder>/model.json` + its weight shards (atomically), and returns
 * the folder. Nothing is downloaded: the weights are in the installed package.
 *
 * @throws ExtractOptionsError for an unknown name
 */
export async function writeNsfwjsModelFolder(name: string, folder: string): Promise<string> {
  if (!(name in NSFWJS_MODELS))
    throw new ExtractOptionsError(
      'name',
      `unknown nsfwjs model '${name}' (one of ${Object.keys(NSFWJS_MODELS).join(', ')})`,
    );
  const require = createRequire(import.meta.url);
  const root = join(dirname(require.resolve('nsfwjs')), '..', '..');
  const version = (require(join(root, 'package.json')) as { version: string }).version;
  const dir = join(root, 'dist', 'models', name);
  const bundled = require(join(dir, 'model.min.js')) as BundledTopology;
  await mkdir(folder, { recursive: true });
  for (const group of bundled.weightsManifest) {
    for (const path of group.paths) {
      const base64 = require(join(dir, `${path}.min.js`)) as string;
      writeFileAtomic(join(folder, path), new Uint8Array(Buffer.from(base64, 'base64')));
    }
  }
  const modelJson = {
    format: 'layers-model',
    generatedBy: `nsfwjs ${version} (dist/models/${name}), written by @caption/example-image-features`,
    convertedBy: null,
    ...bundled,
  };
  writeFileAtomic(join(folder, 'model.json'), JSON.stringify(modelJson));
  return folder;
}

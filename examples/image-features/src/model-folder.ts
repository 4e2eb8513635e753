/**
 * A TensorFlow.js model folder as the backbone of feature extraction: `model.json` plus its weight shards,
 * either a layers model (Keras topology, `tfjs-layers`) or a graph model (a converted TensorFlow graph,
 * `tfjs-converter`). The user names the layer (layers model) or node (graph model) whose output is read; it
 * must be a spatial map `[batch, height, width, channels]`. Loaded from the file system by a small IO handler
 * (no network, no tfjs-node).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tfc from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ExtractOptionsError, LayerNotFoundError, ModelFolderError } from './errors';

/** The two kinds of TensorFlow.js model folders. */
export type ModelFormat = 'layers-model' | 'graph-model';

/** A loaded model cut at the layer to read. */
export interface Backbone {
  /** The model folder. */
  readonly folder: string;
  /** Layers or graph model. */
  readonly format: ModelFormat;
  /** The layer (or node) read. */
  readonly layer: string;
  /** The model's declared input shape `[height, width, channels]` (null where any size is accepted). */
  readonly inputShape: readonly (number | null)[];
  /** Channels of the layer's output when the model declares them (layers models), else null. */
  readonly declaredChannels: number | null;
  /** `[batch, H, W, 3]` normalised images → the layer's output `[batch, h, w, channels]` (call under `tf.tidy`). */
  run(images: tf.Tensor4D): tf.Tensor4D;
  /** Frees the weights. */
  dispose(): void;
}

interface ModelJson {
  format?: string;
  modelTopology?: Record<string, unknown>;
  weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  [key: string]: unknown;
}

/** What {@link inspectModelFolder} finds without loading weights. */
export interface ModelFolderInfo {
  /** Layers or graph model. */
  format: ModelFormat;
  /** Layer names (layers model) or node names other than constants (graph model), in model order. */
  names: string[];
}

async function readModelJson(folder: string): Promise<ModelJson> {
  const path = join(folder, 'model.json');
  if (!existsSync(folder)) throw new ModelFolderError(folder, 'no such folder');
  if (!existsSync(path))
    throw new ModelFolderError(
      folder,
      'no model.json (a TensorFlow.js model folder holds model.json and the weight shards it lists)',
    );
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new ModelFolderError(folder, `model.json is not valid JSON (${(cause as Error).message})`, { cause });
  }
  if (typeof json !== 'object' || json === null || typeof (json as ModelJson).modelTopology !== 'object')
    throw new ModelFolderError(folder, 'model.json has no "modelTopology" object');
  return json as ModelJson;
}

function formatOf(folder: string, json: ModelJson): ModelFormat {
  if (json.format === 'layers-model' || json.format === 'graph-model') return json.format;
  const topology = json.modelTopology as Record<string, unknown>;
  if (Array.isArray(topology.node)) return 'graph-model';
  if ('model_config' in topology || 'class_name' in topology) return 'layers-model';
  throw new ModelFolderError(
    folder,
    `model.json: unknown format ${JSON.stringify(json.format)} (expected "layers-model" or "graph-model")`,
  );
}

function namesOf(format: ModelFormat, json: ModelJson): string[] {
  const topology = json.modelTopology as Record<string, unknown>;
  if (format === 'graph-model') {
    const nodes = (topology.node ?? []) as Array<{ name: string; op: string }>;
    return nodes.filter((n) => n.op !== 'Const').map((n) => n.name);
  }
  const modelConfig = (topology.model_config ?? topology) as { config?: { layers?: Array<{ name?: string }> } };
  return (modelConfig.config?.layers ?? []).map((l) => l.name ?? '').filter((n) => n !== '');
}

/** The format and the layer / node names of a model folder (reads `model.json` only). */
export async function inspectModelFolder(folder: string): Promise<ModelFolderInfo> {
  const json = await readModelJson(folder);
  const format = formatOf(folder, json);
  return { format, names: namesOf(format, json) };
}

async function artifacts(folder: string, json: ModelJson): Promise<tf.io.ModelArtifacts> {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of json.weightsManifest ?? []) {
    for (const p of group.paths) {
      try {
        buffers.push(new Uint8Array(await readFile(join(folder, p))));
      } catch (cause) {
        throw new ModelFolderError(folder, `cannot read the weight shard ${p} listed in model.json`, { cause });
      }
    }
    specs.push(...group.weights);
  }
  const total = buffers.reduce((n, b) => n + b.length, 0);
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    weightData.set(b, offset);
    offset += b.length;
  }
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    format: json.format as string | undefined,
    weightSpecs: specs,
    weightData: weightData.buffer,
    signature: json.signature as object | undefined,
    userDefinedMetadata: json.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
    modelInitializer: json.modelInitializer as object | undefined,
  };
}

/**
 * Loads a model folder and cuts it at `layer`.
 *
 * @throws ModelFolderError without `model.json`, with unreadable JSON or weight shards, or an unknown format
 * @throws LayerNotFoundError when `layer` does not exist (the message lists the names that do)
 * @throws ExtractOptionsError when the layer's output is not a 4-D map, or the model has several inputs
 */
export async function loadBackbone(folder: string, layer: string): Promise<Backbone> {
  const json = await readModelJson(folder);
  const format = formatOf(folder, json);
  const names = namesOf(format, json);
  if (!names.includes(layer)) throw new LayerNotFoundError(folder, layer, names);
  const handler = tf.io.fromMemory(await artifacts(folder, json));
  if (format === 'layers-model') return layersBackbone(folder, layer, handler);
  return graphBackbone(folder, layer, handler);
}

async function layersBackbone(folder: string, layer: string, handler: tf.io.IOHandler): Promise<Backbone> {
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(handler);
  } catch (cause) {
    throw new ModelFolderError(folder, `cannot load the layers model (${(cause as Error).message})`, { cause });
  }
  if (model.inputs.length !== 1)
    throw new ExtractOptionsError(
      'model',
      `${folder} has ${model.inputs.length} inputs; the extractor feeds one image`,
    );
  const output = model.getLayer(layer).output;
  if (Array.isArray(output) || output.shape.length !== 4)
    throw new ExtractOptionsError(
      'layer',
      `layer '${layer}' of ${folder} outputs ${Array.isArray(output) ? 'several tensors' : `shape [${output.shape.join(', ')}]`}; the extractor reads a spatial map [batch, height, width, channels]`,
    );
  const cut = tfl.model({ inputs: model.inputs, outputs: output });
  const outputName = (cut.outputs[0] as tfl.SymbolicTensor).name;
  const inputShape = (model.inputs[0] as tfl.SymbolicTensor).shape.slice(1);
  return {
    folder,
    format: 'layers-model',
    layer,
    inputShape,
    declaredChannels: output.shape[3] ?? null,
    // execute(), not predict(): predict checks the declared input size, but a convolutional trunk takes any
    run: (images) => cut.execute(images, outputName) as tf.Tensor4D,
    dispose: () => model.dispose(),
  };
}

async function graphBackbone(folder: string, layer: string, handler: tf.io.IOHandler): Promise<Backbone> {
  let model: tfc.GraphModel;
  try {
    model = await tfc.loadGraphModel(handler);
  } catch (cause) {
    throw new ModelFolderError(folder, `cannot load the graph model (${(cause as Error).message})`, { cause });
  }
  if (model.inputs.length !== 1)
    throw new ExtractOptionsError(
      'model',
      `${folder} has ${model.inputs.length} inputs; the extractor feeds one image`,
    );
  const input = model.inputs[0];
  const inputShape = (input?.shape ?? [-1, -1, -1, 3]).slice(1).map((d) => (d < 0 ? null : d));
  return {
    folder,
    format: 'graph-model',
    layer,
    inputShape,
    declaredChannels: null,
    run: (images) => {
      const out = model.execute(images, layer);
      if (Array.isArray(out) || out.rank !== 4)
        throw new ExtractOptionsError(
          'layer',
          `node '${layer}' of ${folder} outputs ${Array.isArray(out) ? 'several tensors' : `shape [${out.shape.join(', ')}]`}; the extractor reads a spatial map [batch, height, width, channels]`,
        );
      return out as tf.Tensor4D;
    },
    dispose: () => model.dispose(),
  };
}

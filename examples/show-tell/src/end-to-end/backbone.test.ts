/** The shapes-CNN backbone: the region CNN's trunk on whole images, flattened. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, serializeSafetensors } from '@caption/core';
import { RegionCnn } from '@caption/example-shapes';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureStatistics, loadImageBackbone, parseBackboneSpec, standardizedBackbone } from './backbone';
import { EndToEndError } from './errors';

let root: string;
beforeAll(async () => {
  await initBackend('wasm', { quiet: true });
  root = await mkdtemp(join(tmpdir(), 'backbone-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('loadImageBackbone', () => {
  it('shapes-cnn: the saved CNN, its trunk map [s/8, s/8, C] flattened, the same values as the CNN computes', async () => {
    const cnn = new RegionCnn({ inputSize: 32, channels: [4, 6, 8], featureDim: 16, seed: 5 });
    const tensors = Object.fromEntries(
      cnn.namedWeights().map((w) => [w.name, { data: w.variable.dataSync() as Float32Array, shape: w.variable.shape }]),
    );
    const path = join(root, 'region-cnn.safetensors');
    await writeFile(path, serializeSafetensors(tensors, { config: JSON.stringify(cnn.config) }));
    const x = tf.randomUniform([2, 64, 64, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
    const direct = tf.tidy(() => tf.reshape(cnn.featureMap(x), [2, -1]).arraySync());
    cnn.dispose(); // its variables have fixed names: one region CNN at a time
    const backbone = await loadImageBackbone(parseBackboneSpec(`shapes-cnn:${path}`), 64);
    expect(backbone.channels).toBe(8 * 8 * 8);
    expect(tf.tidy(() => backbone.features(x).arraySync())).toEqual(direct);
    backbone.dispose();
    x.dispose();
    await expect(loadImageBackbone({ kind: 'shapes-cnn', path }, 60)).rejects.toThrow(/divisible by 8, got 60/);
  });

  it('standardises each feature with statistics over the training rows', () => {
    const stats = featureStatistics(Float32Array.from([1, 10, 3, 30]), 2);
    expect(Array.from(stats.mean)).toEqual([2, 20]);
    expect(Array.from(stats.std)).toEqual([1, 10]);
    const base = {
      spec: { kind: 'shapes-cnn', path: 'x' } as const,
      channels: 2,
      inputSize: null,
      dispose: () => undefined,
    };
    const b = standardizedBackbone({ ...base, features: () => tf.tensor2d([[3, 0]]) }, stats);
    expect(tf.tidy(() => b.features(tf.zeros([1, 8, 8, 3])).arraySync())).toEqual([[1, -2]]);
    b.dispose();
  });

  it('names the accepted forms of --backbone', () => {
    expect(parseBackboneSpec('tfjs:/m/odel#out_relu')).toEqual({
      kind: 'tfjs-model',
      folder: '/m/odel',
      layer: 'out_relu',
    });
    expect(() => parseBackboneSpec('resnet152')).toThrow(EndToEndError);
  });
});

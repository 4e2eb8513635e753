import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../random';
import { Embedding } from './embedding';
import { checkGradients } from './gradient-check';
import { maxAbsDiff } from '@caption/test-support';
import { randomTensor, readyBackend } from './test-helpers';

describe('Embedding', () => {
  beforeAll(readyBackend);

  it('looks up rows for ids of any shape, with PyTorch names and N(0, 1) init', () => {
    const embed = new Embedding({ numEmbeddings: 500, embeddingDim: 8 }, { rng: new Random(1) });
    expect(embed.namedParameters().map(([n, v]) => [n, v.shape])).toEqual([['weight', [500, 8]]]);
    const w = Array.from(embed.weight.dataSync());
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const variance = w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.08);

    const ids = tf.tensor2d(
      [
        [0, 3, 3],
        [499, 1, 0],
      ],
      [2, 3],
      'int32',
    );
    const out = embed.apply(ids);
    expect(out.shape).toEqual([2, 3, 8]);
    const rows = out.dataSync();
    [0, 3, 3, 499, 1, 0].forEach((id, k) => {
      expect(Array.from(rows.slice(k * 8, k * 8 + 8))).toEqual(Array.from(w.slice(id * 8, id * 8 + 8)));
    });
    tf.dispose([ids, out]);
    embed.dispose();
  });

  it('sums the gradient of repeated ids (checked against a dense computation) without leaking', () => {
    const embed = new Embedding({ numEmbeddings: 6, embeddingDim: 3 }, { rng: new Random(2) });
    const ids = tf.tensor2d(
      [
        [1, 4, 1],
        [0, 1, 5],
      ],
      [2, 3],
      'int32',
    );
    const upstream = randomTensor([2, 3, 3], new Random(3));
    const before = tf.memory().numTensors;
    const grad = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(embed.apply(ids), upstream)) as tf.Scalar, [embed.weight]);
      return (grads[embed.weight.name] as tf.Tensor).dataSync().slice();
    });
    expect(tf.memory().numTensors).toBe(before);
    const expected = new Float32Array(18);
    const up = upstream.dataSync();
    [1, 4, 1, 0, 1, 5].forEach((id, k) => {
      for (let d = 0; d < 3; d++) expected[id * 3 + d] = (expected[id * 3 + d] as number) + (up[k * 3 + d] as number);
    });
    expect(maxAbsDiff(grad, expected)).toBeLessThan(1e-6);
    tf.dispose([ids, upstream]);
    embed.dispose();
  });

  it('gradient matches finite differences', () => {
    const embed = new Embedding({ numEmbeddings: 7, embeddingDim: 4 }, { rng: new Random(4) });
    const ids = tf.tensor1d([6, 2, 2, 0], 'int32');
    const report = checkGradients(() => tf.tanh(embed.apply(ids)), embed.namedParameters());
    expect(report.passed, report.summary).toBe(true);
    ids.dispose();
    embed.dispose();
  });

  it('rejects non-integer ids by name', () => {
    const embed = new Embedding({ numEmbeddings: 4, embeddingDim: 2 });
    const ids = tf.tensor1d([1, 2]);
    expect(() => embed.apply(ids)).toThrow(/Embedding.apply: ids must be int32, got float32/);
    ids.dispose();
    embed.dispose();
  });
});

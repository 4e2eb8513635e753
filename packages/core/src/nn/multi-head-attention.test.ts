import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../random';
import { checkGradients } from './gradient-check';
import { MultiHeadAttention } from './multi-head-attention';
import { maxAbsDiff } from '@caption/test-support';
import { randomTensor, readyBackend } from './test-helpers';

/** Float64 loops: heads of softmax(q k^T / sqrt(dk), masked_fill(mask == 0, -1e9)) v, concatenated. */
function referenceAttention(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  mask: number[] | null,
  B: number,
  Tq: number,
  K: number,
  h: number,
  width: number,
): number[] {
  const dk = width / h;
  const out = new Array<number>(B * Tq * width).fill(0);
  for (let b = 0; b < B; b++) {
    for (let head = 0; head < h; head++) {
      for (let t = 0; t < Tq; t++) {
        const scores: number[] = [];
        for (let j = 0; j < K; j++) {
          let s = 0;
          for (let d = 0; d < dk; d++)
            s +=
              (q[(b * Tq + t) * width + head * dk + d] as number) * (k[(b * K + j) * width + head * dk + d] as number);
          s /= Math.sqrt(dk);
          scores.push(mask !== null && mask[b * K + j] === 0 ? -1e9 : s);
        }
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, c) => a + c, 0);
        for (let d = 0; d < dk; d++) {
          let acc = 0;
          for (let j = 0; j < K; j++)
            acc += ((e[j] as number) / z) * (v[(b * K + j) * width + head * dk + d] as number);
          out[(b * Tq + t) * width + head * dk + d] = acc;
        }
      }
    }
  }
  return out;
}

const MASK = [1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0]; // B = 3, K = 4: 4, 2 and 1 valid keys

describe('MultiHeadAttention', () => {
  beforeAll(readyBackend);

  it('names its parameters as AoANet for each configuration', () => {
    const names = (c: ConstructorParameters<typeof MultiHeadAttention>[0]) => {
      const m = new MultiHeadAttention(c);
      const n = m.namedParameters().map(([name, v]) => `${name}:${v.shape.join('x')}`);
      m.dispose();
      return n;
    };
    expect(names({ modelDim: 8, numHeads: 2 })).toEqual([
      'linears.0.weight:8x8',
      'linears.0.bias:8',
      'linears.1.weight:8x8',
      'linears.1.bias:8',
      'linears.2.weight:8x8',
      'linears.2.bias:8',
      'output_layer.weight:8x8',
      'output_layer.bias:8',
    ]);
    expect(
      names({ modelDim: 8, numHeads: 2, projectKeyValue: false, outputLayer: false, queryNorm: 'annotated' }),
    ).toEqual(['norm.a_2:8', 'norm.b_2:8', 'linears.0.weight:8x8', 'linears.0.bias:8']);
    expect(names({ modelDim: 8, numHeads: 4, scale: 2, outputLayer: true })).toContain('output_layer.weight:8x16');
    expect(() => new MultiHeadAttention({ modelDim: 10, numHeads: 4 })).toThrow(/not divisible by numHeads = 4/);
  });

  it('projected multi-query attention with a [B, K] mask matches a float64 loop', () => {
    const att = new MultiHeadAttention({ modelDim: 8, numHeads: 2, outputLayer: false }, { rng: new Random(1) }).eval();
    const rng = new Random(2);
    const [q, k, v] = [randomTensor([3, 2, 8], rng), randomTensor([3, 4, 8], rng), randomTensor([3, 4, 8], rng)];
    const mask = tf.tensor2d(MASK, [3, 4]);
    const y = att.apply(q, k, v, mask);
    expect(y.shape).toEqual([3, 2, 8]);
    const [lq, lk, lv] = [0, 1, 2].map((i) => att.linears.get(i));
    const proj = tf.tidy(() =>
      [lq?.apply(q), lk?.apply(k), lv?.apply(v)].map((t) => (t as tf.Tensor).dataSync().slice() as Float32Array),
    );
    const expected = referenceAttention(
      proj[0] as Float32Array,
      proj[1] as Float32Array,
      proj[2] as Float32Array,
      MASK,
      3,
      2,
      4,
      2,
      8,
    );
    expect(maxAbsDiff(y.dataSync(), expected)).toBeLessThan(1e-5);

    // Masked keys do not influence the output: change them and nothing moves.
    const changed = tf.tidy(() => {
      const noise = tf.mul(randomTensor([3, 4, 8], rng, 5), tf.expandDims(tf.sub(1, mask), 2));
      return att.apply(q, tf.add(k, noise), tf.add(v, noise), mask);
    });
    expect(maxAbsDiff(changed.dataSync(), y.dataSync())).toBeLessThan(1e-6);
    tf.dispose([q, k, v, mask, y, changed]);
    att.dispose();
  });

  it('a 2-D query with unprojected keys/values (decoder form) equals the 3-D form squeezed', () => {
    const att = new MultiHeadAttention({
      modelDim: 8,
      numHeads: 4,
      projectKeyValue: false,
      outputLayer: false,
      queryNorm: 'annotated',
    }).eval();
    const rng = new Random(3);
    const [q, k, v] = [randomTensor([3, 8], rng), randomTensor([3, 4, 8], rng), randomTensor([3, 4, 8], rng)];
    const mask = tf.tensor2d(MASK, [3, 4]);
    const y2 = att.apply(q, k, v, mask);
    const y3 = att.apply(tf.expandDims(q, 1), k, v, tf.reshape(mask, [3, 1, 4]));
    expect(y2.shape).toEqual([3, 8]);
    expect(maxAbsDiff(y2.dataSync(), y3.dataSync())).toBeLessThan(1e-6);
    const qn = tf.tidy(
      () =>
        att.linears
          .get(0)
          .apply(att.norm?.apply(q) as tf.Tensor)
          .dataSync()
          .slice() as Float32Array,
    );
    const expected = referenceAttention(
      qn,
      k.dataSync() as Float32Array,
      v.dataSync() as Float32Array,
      MASK,
      3,
      1,
      4,
      4,
      8,
    );
    expect(maxAbsDiff(y2.dataSync(), expected)).toBeLessThan(1e-5);
    tf.dispose([q, k, v, mask, y2, y3]);
    att.dispose();
  });

  it('gradients (all weights and q, k, v) match finite differences without leaks', () => {
    const att = new MultiHeadAttention(
      { modelDim: 4, numHeads: 2, queryNorm: 'annotated' },
      { rng: new Random(4) },
    ).eval();
    const rng = new Random(5);
    const q = tf.variable(randomTensor([2, 3, 4], rng));
    const k = tf.variable(randomTensor([2, 3, 4], rng));
    const v = tf.variable(randomTensor([2, 3, 4], rng));
    const mask = tf.tensor2d([1, 1, 0, 1, 1, 1], [2, 3]);
    const before = tf.memory().numTensors;
    const report = checkGradients(
      () => att.apply(q, k, v, mask),
      [...att.namedParameters(), ['q', q], ['k', k], ['v', v]],
      {
        maxElementsPerTensor: 12,
      },
    );
    expect(report.passed, report.summary).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([q, k, v, mask]);
    att.dispose();
  });

  it('drops attention probabilities in training mode only, reproducibly', () => {
    const att = new MultiHeadAttention({ modelDim: 4, numHeads: 1, outputLayer: false, dropout: 0.5 });
    const rng = new Random(6);
    const [q, k, v] = [randomTensor([1, 2, 4], rng), randomTensor([1, 5, 4], rng), randomTensor([1, 5, 4], rng)];
    const run = (seed: number) => tf.tidy(() => Array.from(att.useRandom(new Random(seed)).apply(q, k, v).dataSync()));
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
    att.eval();
    expect(run(1)).toEqual(run(2));
    tf.dispose([q, k, v]);
    att.dispose();
  });

  it('names bad mask shapes', () => {
    const att = new MultiHeadAttention({ modelDim: 4, numHeads: 2 });
    const [q, k] = [tf.ones([2, 3, 4]), tf.ones([2, 5, 4])];
    const mask = tf.ones([2, 4]);
    expect(() => att.apply(q, k, k, mask)).toThrow(/mask has shape \[2, 4\]; expected \[2, 5\]/);
    tf.dispose([q, k, mask]);
    att.dispose();
  });
});

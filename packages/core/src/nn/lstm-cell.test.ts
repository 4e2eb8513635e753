import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../random';
import { checkGradients } from './gradient-check';
import { LSTMCell } from './lstm-cell';
import { maxAbsDiff } from '@caption/test-support';
import { randomTensor, readyBackend } from './test-helpers';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

describe('LSTMCell', () => {
  beforeAll(readyBackend);

  it('has PyTorch names, layouts and init bound 1/sqrt(hidden)', () => {
    const cell = new LSTMCell({ inputSize: 5, hiddenSize: 4 }, { rng: new Random(1) });
    expect(cell.namedParameters().map(([n, v]) => [n, v.shape])).toEqual([
      ['weight_ih', [16, 5]],
      ['weight_hh', [16, 4]],
      ['bias_ih', [16]],
      ['bias_hh', [16]],
    ]);
    expect(cell.parameters().every((v) => v.dataSync().every((w) => Math.abs(w) <= 0.5))).toBe(true);
    cell.dispose();
  });

  it('computes the gates in the order i, f, g, o (checked against a float64 loop)', () => {
    const cell = new LSTMCell({ inputSize: 3, hiddenSize: 2 }, { rng: new Random(2) });
    const rng = new Random(3);
    const x = randomTensor([2, 3], rng);
    const h0 = randomTensor([2, 2], rng);
    const c0 = randomTensor([2, 2], rng);
    const { h, c } = cell.apply(x, { h: h0, c: c0 });
    const [wih, whh, bih, bhh] = cell.parameters().map((v) => v.dataSync());
    const xs = x.dataSync();
    const hs = h0.dataSync();
    const cs = c0.dataSync();
    const expH: number[] = [];
    const expC: number[] = [];
    for (let b = 0; b < 2; b++) {
      const gate = (row: number) => {
        let s = (bih?.[row] ?? 0) + (bhh?.[row] ?? 0);
        for (let k = 0; k < 3; k++) s += (xs[b * 3 + k] as number) * (wih?.[row * 3 + k] ?? 0);
        for (let k = 0; k < 2; k++) s += (hs[b * 2 + k] as number) * (whh?.[row * 2 + k] ?? 0);
        return s;
      };
      for (let j = 0; j < 2; j++) {
        const [i, f, g, o] = [gate(j), gate(2 + j), gate(4 + j), gate(6 + j)];
        const cNew = sigmoid(f) * (cs[b * 2 + j] as number) + sigmoid(i) * Math.tanh(g);
        expC.push(cNew);
        expH.push(sigmoid(o) * Math.tanh(cNew));
      }
    }
    expect(maxAbsDiff(h.dataSync(), expH)).toBeLessThan(1e-6);
    expect(maxAbsDiff(c.dataSync(), expC)).toBeLessThan(1e-6);

    // No state given = zero state.
    const zero = cell.zeroState(2);
    const a = cell.apply(x);
    const b = cell.apply(x, zero);
    expect(maxAbsDiff(a.h.dataSync(), b.h.dataSync())).toBeLessThan(1e-7);
    expect(maxAbsDiff(a.c.dataSync(), b.c.dataSync())).toBeLessThan(1e-7);
    tf.dispose([x, h0, c0, h, c, zero.h, zero.c, a.h, a.c, b.h, b.c]);
    cell.dispose();
  });

  it('gradients (weights, x, h, c) match finite differences without leaks', () => {
    const cell = new LSTMCell({ inputSize: 3, hiddenSize: 4 }, { rng: new Random(4) });
    const rng = new Random(5);
    const x = tf.variable(randomTensor([2, 3], rng));
    const h0 = tf.variable(randomTensor([2, 4], rng));
    const c0 = tf.variable(randomTensor([2, 4], rng));
    const before = tf.memory().numTensors;
    const report = checkGradients(() => {
      const s = cell.apply(x, { h: h0, c: c0 });
      return [s.h, s.c];
    }, [...cell.namedParameters(), ['x', x], ['h0', h0], ['c0', c0]]);
    expect(report.passed, report.summary).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, h0, c0]);
    cell.dispose();
  });

  it('names wrong state shapes', () => {
    const cell = new LSTMCell({ inputSize: 3, hiddenSize: 4 });
    const x = tf.ones([2, 3]);
    const bad = { h: tf.ones([2, 3]), c: tf.ones([2, 4]) };
    expect(() => cell.apply(x, bad)).toThrow(/state.h has shape \[2, 3\], expected \[2, 4\]/);
    tf.dispose([x, bad.h, bad.c]);
    cell.dispose();
  });
});

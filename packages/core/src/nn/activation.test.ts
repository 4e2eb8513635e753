import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../random';
import { Activation, activation, GLU, glu, type ActivationName } from './activation';
import { checkGradients } from './gradient-check';
import { maxAbsDiff } from '@caption/test-support';
import { randomTensor, readyBackend } from './test-helpers';

describe('activations and GLU', () => {
  beforeAll(readyBackend);

  it('compute the textbook values', () => {
    const x = tf.tensor1d([-1, 0, 1, 2]);
    const values = (name: ActivationName) => Array.from(activation(name)(x).dataSync());
    // Φ(1) = 0.8413447460685429 (standard normal CDF), so gelu(1) = Φ(1), gelu(-1) = -(1 - Φ(1)).
    expect(
      maxAbsDiff(values('gelu'), [-(1 - 0.8413447460685429), 0, 0.8413447460685429, 2 * 0.9772498680518208]),
    ).toBeLessThan(1e-6);
    const tanhGelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    expect(maxAbsDiff(values('gelu_tanh'), [-1, 0, 1, 2].map(tanhGelu))).toBeLessThan(1e-6);
    // computed as x·σ(2u) (the same function): equal to the tanh form also far from 0
    const wide = [-9, -5, -3.5, -0.25, 0.125, 3.5, 6, 10];
    const wideValues = Array.from(activation('gelu_tanh')(tf.tensor1d(wide)).dataSync());
    expect(maxAbsDiff(wideValues, wide.map(tanhGelu))).toBeLessThan(1e-6);
    expect(values('relu')).toEqual([0, 0, 1, 2]);
    expect(
      maxAbsDiff(
        values('sigmoid'),
        [-1, 0, 1, 2].map((v) => 1 / (1 + Math.exp(-v))),
      ),
    ).toBeLessThan(1e-6);
    expect(() => activation('swish' as ActivationName)).toThrow(/unknown name 'swish'/);
    x.dispose();
  });

  it('GLU is a · sigmoid(b) over the halves of the chosen axis', () => {
    const x = tf.tensor2d([
      [1, 2, 0, -1],
      [3, -4, 2, 0],
    ]);
    const expected = [1 / (1 + Math.exp(0)), 2 / (1 + Math.exp(1)), 3 / (1 + Math.exp(-2)), -4 / (1 + Math.exp(0))];
    expect(maxAbsDiff(new GLU().apply(x).dataSync(), expected)).toBeLessThan(1e-6);
    const byRows = glu(
      tf.tensor2d([
        [1, 2],
        [0, -1],
      ]),
      0,
    ).dataSync();
    expect(maxAbsDiff(byRows, [1 / (1 + Math.exp(0)), 2 / (1 + Math.exp(1))])).toBeLessThan(1e-6);
    expect(() => glu(tf.ones([2, 3]))).toThrow(/must have an even size/);
    x.dispose();
  });

  it('gradients match finite differences', () => {
    const x = tf.variable(randomTensor([3, 6], new Random(1), 2));
    for (const fn of ['tanh', 'sigmoid', 'gelu', 'gelu_tanh'] as const) {
      const act = new Activation({ fn });
      const report = checkGradients(() => act.apply(x), { x });
      expect(report.passed, `${fn}\n${report.summary}`).toBe(true);
    }
    const report = checkGradients(() => glu(x), { x });
    expect(report.passed, report.summary).toBe(true);
    x.dispose();
  });
});

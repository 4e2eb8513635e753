import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../random';
import { ModuleError } from './errors';
import { checkGradients } from './gradient-check';
import { Linear } from './linear';
import { maxAbsDiff } from '@caption/test-support';
import { randomTensor, readyBackend } from './test-helpers';

describe('Linear', () => {
  beforeAll(readyBackend);

  it('has PyTorch names, layout and default init bounds', () => {
    const layer = new Linear({ inFeatures: 16, outFeatures: 5 }, { rng: new Random(1) });
    expect(layer.namedParameters().map(([n, v]) => [n, v.shape])).toEqual([
      ['weight', [5, 16]],
      ['bias', [5]],
    ]);
    const bound = 1 / Math.sqrt(16);
    const w = layer.weight.dataSync();
    expect(Math.max(...w)).toBeLessThanOrEqual(bound);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-bound);
    expect(Math.max(...w)).toBeGreaterThan(0.8 * bound); // really spread over the interval
    expect(new Linear({ inFeatures: 3, outFeatures: 2, bias: false }).namedParameters().map(([n]) => n)).toEqual([
      'weight',
    ]);
    layer.dispose();
  });

  it('computes x Wᵀ + b over the last axis of a rank-3 input (checked against a plain loop)', () => {
    const layer = new Linear({ inFeatures: 3, outFeatures: 2 }, { rng: new Random(2) });
    const x = randomTensor([2, 4, 3], new Random(3));
    const y = layer.apply(x);
    expect(y.shape).toEqual([2, 4, 2]);
    const xs = x.dataSync();
    const w = layer.weight.dataSync();
    const b = layer.bias?.dataSync() ?? new Float32Array(2);
    const expected: number[] = [];
    for (let r = 0; r < 8; r++) {
      for (let o = 0; o < 2; o++) {
        let s = b[o] as number;
        for (let i = 0; i < 3; i++) s += (xs[r * 3 + i] as number) * (w[o * 3 + i] as number);
        expected.push(s);
      }
    }
    expect(maxAbsDiff(y.dataSync(), expected)).toBeLessThan(1e-6);
    tf.dispose([x, y]);
    layer.dispose();
  });

  it('gradients (weight, bias, input) match finite differences, without leaks', () => {
    const layer = new Linear({ inFeatures: 4, outFeatures: 3 }, { rng: new Random(4) });
    const x = tf.variable(randomTensor([5, 4], new Random(5)));
    const before = tf.memory().numTensors;
    const report = checkGradients(() => layer.apply(x), [...layer.namedParameters(), ['x', x]]);
    expect(report.passed, report.summary).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    layer.dispose();
  });

  it('leaves no tensor behind under tidy and rejects a wrong input size by name', () => {
    const layer = new Linear({ inFeatures: 4, outFeatures: 3 });
    const x = tf.ones([2, 4]);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      layer.apply(tf.reshape(x, [1, 2, 4]));
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(() => layer.apply(tf.ones([2, 5]))).toThrow(ModuleError);
    expect(() => layer.apply(tf.ones([2, 5]))).toThrow(
      /Linear\(4→3\)\.apply: x has shape \[2, 5\], expected last dimension 4/,
    );
    expect(() => new Linear({ inFeatures: 0, outFeatures: 3 })).toThrow(/inFeatures must be a positive integer/);
    x.dispose();
    layer.dispose();
  });
});

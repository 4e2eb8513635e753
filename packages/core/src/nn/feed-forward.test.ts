import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../random';
import { PositionwiseFeedForward } from './feed-forward';
import { checkGradients } from './gradient-check';
import { maxAbsDiff } from '@caption/test-support';
import { randomTensor, readyBackend } from './test-helpers';

describe('PositionwiseFeedForward', () => {
  beforeAll(readyBackend);

  it('is w_2(relu(w_1 x)) with the annotated transformer names', () => {
    const ff = new PositionwiseFeedForward({ modelDim: 4, hiddenDim: 6 }, { rng: new Random(1) }).eval();
    expect(ff.namedParameters().map(([n, v]) => `${n}:${v.shape.join('x')}`)).toEqual([
      'w_1.weight:6x4',
      'w_1.bias:6',
      'w_2.weight:4x6',
      'w_2.bias:4',
    ]);
    const x = randomTensor([2, 3, 4], new Random(2));
    const y = ff.apply(x);
    const expected = tf.tidy(() => ff.w2.apply(tf.relu(ff.w1.apply(x))));
    expect(maxAbsDiff(y.dataSync(), expected.dataSync())).toBe(0);
    tf.dispose([x, y, expected]);
    ff.dispose();
  });

  it('gradients match finite differences (gelu, so no kink)', () => {
    const ff = new PositionwiseFeedForward(
      { modelDim: 3, hiddenDim: 5, activation: 'gelu' },
      { rng: new Random(3) },
    ).eval();
    const x = tf.variable(randomTensor([2, 3], new Random(4)));
    const report = checkGradients(() => ff.apply(x), [...ff.namedParameters(), ['x', x]]);
    expect(report.passed, report.summary).toBe(true);
    x.dispose();
    ff.dispose();
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../random';
import { checkGradients } from './gradient-check';
import { randomTensor, readyBackend } from './test-helpers';

/** x² with a deliberately wrong gradient (3x instead of 2x). */
const wrongSquare = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return {
    value: tf.square(x),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.mul(saved[0] as tf.Tensor, 3)),
  };
});

describe('checkGradients', () => {
  beforeAll(readyBackend);

  it('passes a correct gradient and catches a wrong one, naming the tensor', () => {
    const x = tf.variable(randomTensor([3, 4], new Random(1)));
    const y = tf.variable(randomTensor([4], new Random(2)));
    const good = checkGradients(() => ({ a: tf.square(x), b: tf.mul(tf.sin(x), y) }), { x, y });
    expect(good.passed, good.summary).toBe(true);
    expect(good.entries.map((e) => [e.name, e.checked])).toEqual([
      ['x', 12],
      ['y', 4],
    ]);
    // y does not reach the outputs: its zero gradient is confirmed by the finite differences
    const unused = checkGradients(() => tf.square(x), { x, y });
    expect(unused.passed, unused.summary).toBe(true);
    expect(unused.entries[1]?.worst.analytic).toBe(0);
    const bad = checkGradients(() => [wrongSquare(x) as tf.Tensor, tf.mul(x, y)], { x, y });
    expect(bad.passed).toBe(false);
    expect(bad.entries.map((e) => [e.name, e.passed])).toEqual([
      ['x', false],
      ['y', true],
    ]);
    expect(bad.summary).toMatch(/^FAIL x: 12 elements/);
    tf.dispose([x, y]);
  });

  it('restores the variables exactly, samples large tensors and leaks nothing', () => {
    const x = tf.variable(randomTensor([40, 10], new Random(3)));
    const original = Array.from(x.dataSync());
    const before = tf.memory().numTensors;
    const report = checkGradients(() => tf.tanh(x), { x }, { maxElementsPerTensor: 5, seed: 4 });
    expect(report.passed, report.summary).toBe(true);
    expect(report.entries[0]?.checked).toBe(5);
    expect(Array.from(x.dataSync())).toEqual(original);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../random';
import { Dropout } from './dropout';
import { checkGradients } from './gradient-check';
import { randomTensor, readyBackend } from './test-helpers';

describe('Dropout', () => {
  beforeAll(readyBackend);

  it('zeroes about `rate` of the elements and scales the rest by 1/(1 - rate) in training mode', () => {
    const drop = new Dropout({ rate: 0.3 }, { rng: new Random(1) });
    const x = tf.ones([100, 100]);
    const y = drop.apply(x);
    const values = y.dataSync();
    const zeros = values.filter((v) => v === 0).length;
    expect(Math.abs(zeros / values.length - 0.3)).toBeLessThan(0.02);
    expect(values.filter((v) => v !== 0).every((v) => Math.abs(v - 1 / 0.7) < 1e-6)).toBe(true);
    tf.dispose([x, y]);
  });

  it('returns its input in eval mode and with rate 0', () => {
    const x = tf.ones([3]);
    expect(new Dropout({ rate: 0.5 }).eval().apply(x)).toBe(x);
    expect(new Dropout({ rate: 0 }).apply(x)).toBe(x);
    x.dispose();
  });

  it('draws reproducible masks from its generator and resumes from a saved state', () => {
    const x = tf.ones([64]);
    const masks = (drop: Dropout, n: number) =>
      Array.from({ length: n }, () => tf.tidy(() => Array.from(drop.apply(x).dataSync())));
    const a = masks(new Dropout({ rate: 0.5 }, { rng: new Random(9) }), 3);
    const b = masks(new Dropout({ rate: 0.5 }, { rng: new Random(9) }), 3);
    expect(a).toEqual(b);
    expect(a[0]).not.toEqual(a[1]);
    const rng = new Random(9);
    const drop = new Dropout({ rate: 0.5 }, { rng });
    masks(drop, 1);
    const resumed = new Dropout({ rate: 0.5 }).useRandom(Random.fromState(rng.getState()));
    expect(masks(resumed, 2)).toEqual(a.slice(1));
    x.dispose();
  });

  it('keeps element i exactly when the i-th uniform of its generator is below 1 - rate', () => {
    const x = tf.ones([1000]);
    const mask = tf.tidy(() => Array.from(new Dropout({ rate: 0.25 }, { rng: new Random(12) }).apply(x).dataSync()));
    const reference = new Random(12);
    expect(mask).toEqual(mask.map(() => (reference.next() < 0.75 ? Math.fround(1 / 0.75) : 0)));
    // fillUint32 continues the very stream of nextUint32
    const a = new Random(3);
    const b = new Random(3);
    const bulk = a.fillUint32(new Uint32Array(5));
    expect(Array.from(bulk)).toEqual([0, 1, 2, 3, 4].map(() => b.nextUint32()));
    expect(a.nextUint32()).toBe(b.nextUint32());
    expect(a.getState()).toEqual(b.getState());
    x.dispose();
  });

  it('passes the gradient through the kept elements only (finite differences, fixed mask)', () => {
    const drop = new Dropout({ rate: 0.4 });
    const x = tf.variable(randomTensor([4, 5], new Random(2)));
    const report = checkGradients(
      () => {
        drop.useRandom(new Random(5)); // the same mask on every call
        return drop.apply(x);
      },
      { x },
    );
    expect(report.passed, report.summary).toBe(true);
    expect(() => new Dropout({ rate: 1 })).toThrow(/rate must be a number in \[0, 1\)/);
    x.dispose();
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../random';
import { checkGradients } from './gradient-check';
import { Linear } from './linear';
import { SublayerConnection } from './sublayer-connection';
import { maxAbsDiff } from '@caption/test-support';
import { randomTensor, readyBackend } from './test-helpers';

describe('SublayerConnection', () => {
  beforeAll(readyBackend);

  it('is x + sublayer(norm(x)) in eval mode, with norm.a_2 / norm.b_2', () => {
    const residual = new SublayerConnection({ size: 4 }).eval();
    const inner = new Linear({ inFeatures: 4, outFeatures: 4 }, { rng: new Random(1) });
    expect(residual.namedParameters().map(([n]) => n)).toEqual(['norm.a_2', 'norm.b_2']);
    const x = randomTensor([2, 4], new Random(2));
    const y = residual.apply(x, (n) => inner.apply(n));
    const expected = tf.tidy(() => tf.add(x, inner.apply(residual.norm.apply(x))));
    expect(maxAbsDiff(y.dataSync(), expected.dataSync())).toBe(0);
    expect(() => residual.apply(x, () => tf.ones([3]))).toThrow(/sub-layer returned shape \[3\] for input \[2, 4\]/);
    tf.dispose([x, y, expected]);
    residual.dispose();
    inner.dispose();
  });

  it('gradients match finite differences, with its dropout active on a fixed mask', () => {
    const residual = new SublayerConnection({ size: 4, dropout: 0.25 });
    const inner = new Linear({ inFeatures: 4, outFeatures: 4 }, { rng: new Random(3) });
    const x = tf.variable(randomTensor([3, 4], new Random(4)));
    const report = checkGradients(() => {
      residual.useRandom(new Random(11));
      return residual.apply(x, (n) => tf.tanh(inner.apply(n)));
    }, [
      ...residual.namedParameters(),
      ...inner.namedParameters().map(([n, v]) => [`inner.${n}`, v] as const),
      ['x', x],
    ]);
    expect(report.passed, report.summary).toBe(true);
    x.dispose();
    residual.dispose();
    inner.dispose();
  });
});

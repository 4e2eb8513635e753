import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../random';
import { checkGradients } from './gradient-check';
import { LayerNorm } from './layer-norm';
import { maxAbsDiff } from '@caption/test-support';
import { randomTensor, readyBackend } from './test-helpers';

/** Independent float64 computation of both variants, row by row. */
function referenceLayerNorm(
  x: Float32Array,
  n: number,
  gain: Float32Array,
  bias: Float32Array,
  variant: 'standard' | 'annotated',
  eps: number,
): number[] {
  const out: number[] = [];
  for (let r = 0; r < x.length / n; r++) {
    const row = Array.from(x.slice(r * n, (r + 1) * n));
    const mean = row.reduce((a, b) => a + b, 0) / n;
    const ss = row.reduce((a, b) => a + (b - mean) ** 2, 0);
    const denom = variant === 'standard' ? Math.sqrt(ss / n + eps) : Math.sqrt(ss / (n - 1)) + eps;
    row.forEach((v, i) => out.push(((gain[i] as number) * (v - mean)) / denom + (bias[i] as number)));
  }
  return out;
}

describe('LayerNorm', () => {
  beforeAll(readyBackend);

  for (const variant of ['standard', 'annotated'] as const) {
    it(`${variant}: names, defaults and values match a float64 computation`, () => {
      const norm = new LayerNorm({ features: 6, variant });
      expect(norm.config.eps).toBe(variant === 'standard' ? 1e-5 : 1e-6);
      expect(norm.namedParameters().map(([n]) => n)).toEqual(
        variant === 'standard' ? ['weight', 'bias'] : ['a_2', 'b_2'],
      );
      const rng = new Random(7);
      tf.tidy(() => {
        norm.loadStateDict(
          new Map(norm.namedParameters().map(([n, v]) => [n, tf.add(randomTensor(v.shape, rng, 0.3), 1)])),
        );
      });
      const x = randomTensor([2, 3, 6], rng, 2);
      const y = norm.apply(x);
      const expected = referenceLayerNorm(
        x.dataSync() as Float32Array,
        6,
        norm.gain.dataSync() as Float32Array,
        norm.shift.dataSync() as Float32Array,
        variant,
        norm.config.eps,
      );
      expect(maxAbsDiff(y.dataSync(), expected)).toBeLessThan(2e-6);
      tf.dispose([x, y]);
      norm.dispose();
    });

    it(`${variant}: gradients (gain, bias, input) match finite differences`, () => {
      const norm = new LayerNorm({ features: 5, variant });
      const rng = new Random(8);
      tf.tidy(() => {
        norm.loadStateDict(new Map(norm.namedParameters().map(([n, v]) => [n, randomTensor(v.shape, rng)])));
      });
      const x = tf.variable(randomTensor([3, 5], rng, 2));
      const before = tf.memory().numTensors;
      const report = checkGradients(() => norm.apply(x), [...norm.namedParameters(), ['x', x]]);
      expect(report.passed, report.summary).toBe(true);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      norm.dispose();
    });
  }

  it('annotated: a constant (zero-variance) row gives finite outputs and gradients, as PyTorch (README item 18)', () => {
    const norm = new LayerNorm({ features: 4, variant: 'annotated' });
    const x = tf.variable(
      tf.tensor2d([
        [0, 0, 0, 0],
        [1, -2, 0.5, 3],
      ]),
    );
    const r = tf.tensor2d([
      [0.3, -1, 2, 0.1],
      [1, 1, -1, 0.5],
    ]);
    const grads = tf.tidy(() => {
      const { grads: g } = tf.variableGrads(
        () => tf.sum(tf.mul(norm.apply(x), r)) as tf.Scalar,
        [x, norm.gain, norm.shift],
      );
      return [x, norm.gain, norm.shift].map((v) => Array.from((g[v.name] as tf.Tensor).dataSync()));
    });
    for (const g of grads) expect(g.every(Number.isFinite)).toBe(true);
    // The constant row normalises to 0 (its output is b_2), and with std' := 0 its input gradient is
    // a_2·r/eps minus its mean, exactly what PyTorch computes for this row.
    const xGrad = grads[0] as number[];
    const row = [0.3, -1, 2, 0.1].map((v) => v / 1e-6);
    const rowMean = row.reduce((a, b) => a + b, 0) / 4;
    expect(
      maxAbsDiff(
        xGrad.slice(0, 4),
        row.map((v) => v - rowMean),
      ),
    ).toBeLessThan(1);
    tf.dispose([x, r]);
    norm.dispose();
  });
});

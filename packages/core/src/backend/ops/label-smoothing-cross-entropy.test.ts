import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Random } from '../../random';
import { BackendError } from '../errors';
import { LABEL_SMOOTHING_GRAD, LABEL_SMOOTHING_LOSS } from '../kernels/label-smoothing';
import { registerCaptionKernels } from '../kernels/register';
import { hostTidy, maxAbsDiff, runWithStockKernels, type HostTensor } from '../kernels/reference';
import { labelSmoothingCrossEntropy } from './label-smoothing-cross-entropy';
import { sparseSoftmaxCrossEntropy } from './sparse-softmax-cross-entropy';

const rng = new Random(5);
function host(shape: number[], scale: number): HostTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, dtype: 'float32', values: Float32Array.from({ length: size }, () => (rng.next() * 2 - 1) * scale) };
}
function targetsHost(rows: number, classes: number): HostTensor {
  return {
    shape: [rows],
    dtype: 'int32',
    values: Int32Array.from({ length: rows }, () => Math.floor(rng.next() * classes)),
  };
}

/** loss per row and d(sum(loss · w))/dlogits */
function ours(smoothing: number) {
  return (l: tfc.Tensor, t: tfc.Tensor, w: tfc.Tensor): tfc.Tensor[] => {
    const f = (x: tfc.Tensor) => labelSmoothingCrossEntropy(x as tfc.Tensor2D, t as tfc.Tensor1D, smoothing);
    return [f(l), tfc.grad((x: tfc.Tensor) => tfc.sum(tfc.mul(f(x), w)))(l)];
  };
}

/**
 * The reference's definition in stock ops, with a dense target distribution: KLDivLoss(log_softmax(x), q)
 * summed over classes = Σ_v q_v (log q_v − log_softmax(x)_v).
 */
function reference(smoothing: number) {
  return (l: tfc.Tensor, t: tfc.Tensor, w: tfc.Tensor): tfc.Tensor[] => {
    const classes = l.shape[1]!;
    const off = smoothing / (classes - 1);
    const onehot = tfc.cast(tfc.oneHot(t as tfc.Tensor1D, classes), 'float32');
    const q = tfc.add(tfc.mul(onehot, 1 - smoothing - off), off);
    const qlogq = tfc.where(tfc.greater(q, 0), tfc.mul(q, tfc.log(q)), tfc.zerosLike(q));
    const f = (x: tfc.Tensor) => tfc.sum(tfc.sub(qlogq, tfc.mul(q, tfc.logSoftmax(x))), 1);
    return [f(l), tfc.grad((x: tfc.Tensor) => tfc.sum(tfc.mul(f(x), w)))(l)];
  };
}

describe('labelSmoothingCrossEntropy', () => {
  const cases: Array<[string, number, number, number, number]> = [
    ['small logits', 7, 11, 3, 0.2],
    ['a captioner-like vocabulary', 12, 9488, 4, 0.2],
    ['extreme logits (probabilities underflow float32)', 6, 50, 120, 0.1],
    ['no smoothing', 5, 13, 2, 0],
  ];
  for (const [label, rows, classes, scale, smoothing] of cases) {
    it(`${label}: loss and gradient equal the dense KL form on cpu, on wasm and cpu`, async () => {
      const inputs = [host([rows, classes], scale), targetsHost(rows, classes), host([rows], 1)];
      const expected = await runWithStockKernels('cpu', inputs, (l, t, w) => reference(smoothing)(l!, t!, w!));
      for (const backend of ['wasm', 'cpu']) {
        await tfc.setBackend(backend);
        try {
          const got = hostTidy(() =>
            ours(smoothing)(
              ...(inputs.map((h) => tfc.tensor(h.values, h.shape, h.dtype)) as [tfc.Tensor, tfc.Tensor, tfc.Tensor]),
            ),
          );
          expect(maxAbsDiff(got[0]!, expected[0]!)).toBeLessThan(2e-5 * Math.max(1, scale));
          expect(maxAbsDiff(got[1]!, expected[1]!)).toBeLessThan(2e-5);
          expect(Array.from(got[0]!.values).every(Number.isFinite)).toBe(true);
        } finally {
          await tfc.setBackend('wasm');
        }
      }
    });
  }

  it('with smoothing 0 is the cross-entropy of sparseSoftmaxCrossEntropy', () => {
    const [l, t] = [host([4, 9], 3), targetsHost(4, 9)];
    const [a, b] = hostTidy(() => {
      const logits = tfc.tensor2d(l.values as Float32Array, [4, 9]);
      const targets = tfc.tensor1d(t.values as Int32Array, 'int32');
      return [labelSmoothingCrossEntropy(logits, targets, 0), sparseSoftmaxCrossEntropy(logits, targets)];
    });
    expect(maxAbsDiff(a!, b!)).toBeLessThan(1e-5);
  });

  it('falls back to stock ops on a backend without its kernels, with the same result', () => {
    const inputs = [host([5, 9], 2), targetsHost(5, 9), host([5], 1)];
    const make = () =>
      inputs.map((h) => tfc.tensor(h.values, h.shape, h.dtype)) as [tfc.Tensor, tfc.Tensor, tfc.Tensor];
    const fusedResult = hostTidy(() => ours(0.2)(...make()));
    const configs = [LABEL_SMOOTHING_LOSS, LABEL_SMOOTHING_GRAD].map((name) => tfc.getKernel(name, 'wasm'));
    for (const name of [LABEL_SMOOTHING_LOSS, LABEL_SMOOTHING_GRAD]) tfc.unregisterKernel(name, 'wasm');
    try {
      const fallback = hostTidy(() => ours(0.2)(...make()));
      expect(maxAbsDiff(fallback[0]!, fusedResult[0]!)).toBeLessThan(2e-5);
      expect(maxAbsDiff(fallback[1]!, fusedResult[1]!)).toBeLessThan(2e-5);
    } finally {
      for (const config of configs) tfc.registerKernel(config);
      registerCaptionKernels('wasm');
    }
  });

  it('rejects targets outside the classes (naming the row) and a smoothing outside [0, 1)', () => {
    const logits = tfc.zeros([3, 4]) as tfc.Tensor2D;
    const targets = tfc.tensor1d([0, 4, 1], 'int32');
    expect(() => labelSmoothingCrossEntropy(logits, targets, 0.1)).toThrow(/target 4 of row 1 is outside \[0, 4\)/);
    expect(() => labelSmoothingCrossEntropy(logits, tfc.tensor1d([0, 1, 2], 'int32'), 1)).toThrow(BackendError);
    expect(() => labelSmoothingCrossEntropy(logits, tfc.tensor1d([0, 1], 'int32'), 0.1)).toThrow(BackendError);
    tfc.dispose([logits, targets]);
  });

  it('leaves no tensor behind', () => {
    const before = tfc.memory().numTensors;
    tfc.tidy(() => {
      const l = tfc.randomNormal([4, 6]);
      const t = tfc.tensor1d([1, 2, 3, 0], 'int32');
      tfc
        .grad((x: tfc.Tensor) => tfc.sum(labelSmoothingCrossEntropy(x as tfc.Tensor2D, t, 0.2)))(l)
        .dataSync();
    });
    expect(tfc.memory().numTensors).toBe(before);
  });
});

import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Random } from '../../random';
import { BackendError } from '../errors';
import { SPARSE_SOFTMAX_CE_LOSS } from '../kernels/sparse-softmax-cross-entropy';
import { registerCaptionKernels } from '../kernels/register';
import { hostTidy, maxAbsDiff, runWithStockKernels, type HostTensor } from '../kernels/reference';
import { sparseSoftmaxCrossEntropy } from './sparse-softmax-cross-entropy';

const rng = new Random(3);
function logitsHost(rows: number, classes: number, scale: number): HostTensor {
  const values = new Float32Array(rows * classes).map(() => (rng.next() * 2 - 1) * scale);
  return { shape: [rows, classes], dtype: 'float32', values };
}
function targetsHost(rows: number, classes: number): HostTensor {
  return {
    shape: [rows],
    dtype: 'int32',
    values: Int32Array.from({ length: rows }, () => Math.floor(rng.next() * classes)),
  };
}

/** loss per row and d(sum(loss · w))/dlogits */
function ours(l: tfc.Tensor, t: tfc.Tensor, w: tfc.Tensor): tfc.Tensor[] {
  const f = (x: tfc.Tensor) => sparseSoftmaxCrossEntropy(x as tfc.Tensor2D, t as tfc.Tensor1D);
  return [f(l), tfc.grad((x: tfc.Tensor) => tfc.sum(tfc.mul(f(x), w)))(l)];
}

/** the same through tfjs's own loss on one-hot labels */
function stock(l: tfc.Tensor, t: tfc.Tensor, w: tfc.Tensor): tfc.Tensor[] {
  const labels = tfc.oneHot(t as tfc.Tensor1D, l.shape[1]!);
  const f = (x: tfc.Tensor) => tfc.losses.softmaxCrossEntropy(labels, x, undefined, undefined, tfc.Reduction.NONE);
  return [f(l), tfc.grad((x: tfc.Tensor) => tfc.sum(tfc.mul(f(x), w)))(l)];
}

describe('sparseSoftmaxCrossEntropy', () => {
  const cases: Array<[string, number, number, number]> = [
    ['small logits', 7, 11, 3],
    ['a captioner-like vocabulary', 12, 9487, 4],
    ['extreme logits (target probabilities underflow float32)', 6, 50, 120],
  ];
  for (const [label, rows, classes, scale] of cases) {
    it(`${label}: loss and gradient equal tfjs's one-hot loss on cpu, on wasm and cpu`, async () => {
      const inputs = [logitsHost(rows, classes, scale), targetsHost(rows, classes), logitsHost(rows, 1, 1)];
      inputs[2] = { ...inputs[2]!, shape: [rows] };
      const reference = await runWithStockKernels('cpu', inputs, (l, t, w) => stock(l!, t!, w!));
      for (const backend of ['wasm', 'cpu']) {
        await tfc.setBackend(backend);
        try {
          const got = hostTidy(() =>
            ours(
              ...(inputs.map((h) => tfc.tensor(h.values, h.shape, h.dtype)) as [tfc.Tensor, tfc.Tensor, tfc.Tensor]),
            ),
          );
          // the loss grows with the logit scale; compare relative to it
          expect(maxAbsDiff(got[0]!, reference[0]!)).toBeLessThan(2e-5 * Math.max(1, scale));
          expect(maxAbsDiff(got[1]!, reference[1]!)).toBeLessThan(2e-5);
          expect(Array.from(got[0]!.values).every(Number.isFinite)).toBe(true);
        } finally {
          await tfc.setBackend('wasm');
        }
      }
    });
  }

  it('falls back to stock ops on a backend without its kernels, with the same result', async () => {
    const inputs = [
      logitsHost(5, 9, 2),
      targetsHost(5, 9),
      { shape: [5], dtype: 'float32' as const, values: new Float32Array(5).fill(1) },
    ];
    const make = () =>
      inputs.map((h) => tfc.tensor(h.values, h.shape, h.dtype)) as [tfc.Tensor, tfc.Tensor, tfc.Tensor];
    const fusedResult = hostTidy(() => ours(...make()));
    const config = tfc.getKernel(SPARSE_SOFTMAX_CE_LOSS, 'wasm');
    tfc.unregisterKernel(SPARSE_SOFTMAX_CE_LOSS, 'wasm');
    try {
      const fallback = hostTidy(() => ours(...make()));
      expect(maxAbsDiff(fallback[0]!, fusedResult[0]!)).toBeLessThan(2e-5);
      expect(maxAbsDiff(fallback[1]!, fusedResult[1]!)).toBeLessThan(2e-5);
    } finally {
      tfc.registerKernel(config);
      registerCaptionKernels('wasm');
    }
  });

  it('rejects targets outside the classes, naming the row', () => {
    const logits = tfc.zeros([3, 4]) as tfc.Tensor2D;
    const targets = tfc.tensor1d([0, 4, 1], 'int32');
    expect(() => sparseSoftmaxCrossEntropy(logits, targets)).toThrow(/target 4 of row 1 is outside \[0, 4\)/);
    expect(() => sparseSoftmaxCrossEntropy(logits, tfc.tensor1d([0, 1], 'int32'))).toThrow(BackendError);
    tfc.dispose([logits, targets]);
  });

  it('leaves no tensor behind', () => {
    const before = tfc.memory().numTensors;
    tfc.tidy(() => {
      const l = tfc.randomNormal([4, 6]);
      const t = tfc.tensor1d([1, 2, 3, 0], 'int32');
      tfc
        .grad((x: tfc.Tensor) => tfc.sum(sparseSoftmaxCrossEntropy(x as tfc.Tensor2D, t)))(l)
        .dataSync();
    });
    expect(tfc.memory().numTensors).toBe(before);
  });
});

import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Random } from '../../random';
import { isCaptionKernel, stockKernel } from './register';
import { hostTidy, maxAbsDiff, runWithStockKernels, type HostTensor } from './reference';

const rng = new Random(11);
function floats(shape: number[]): HostTensor {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => rng.next() * 2 - 1);
  return { shape, dtype: 'float32', values };
}
function ints(shape: number[], low: number, high: number): HostTensor {
  const values = new Int32Array(shape.reduce((a, b) => a * b, 1)).map(
    () => low + Math.floor(rng.next() * (high - low)),
  );
  return { shape, dtype: 'int32', values };
}

describe('UnsortedSegmentSum', () => {
  it('is ours on wasm and on cpu, and the stock cpu kernel is kept for reference', () => {
    expect(isCaptionKernel('UnsortedSegmentSum', 'wasm')).toBe(true);
    expect(isCaptionKernel('UnsortedSegmentSum', 'cpu')).toBe(true);
    expect(stockKernel('UnsortedSegmentSum', 'cpu')).toBeDefined();
  });

  const cases: Array<[string, HostTensor, HostTensor, number]> = [
    ['rank-1 ids, repeats and out-of-range ids', floats([37, 5, 3]), ints([37], -2, 13), 11],
    ['int32 values', ints([20, 4], -5, 5), ints([20], 0, 6), 6],
    ['empty segments', floats([3, 2]), { shape: [3], dtype: 'int32', values: new Int32Array([4, 4, 0]) }, 7],
  ];
  const run = (x: tfc.Tensor, ids: tfc.Tensor, n: number) => [tfc.unsortedSegmentSum(x, ids as tfc.Tensor1D, n)];
  for (const [label, x, ids, n] of cases) {
    it(`${label}: wasm and our cpu kernel equal tfjs's cpu kernel`, async () => {
      const reference = await runWithStockKernels('cpu', [x, ids], (a, b) => run(a!, b!, n));
      const onWasm = hostTidy(() =>
        run(tfc.tensor(x.values, x.shape, x.dtype), tfc.tensor(ids.values, ids.shape, 'int32'), n),
      );
      expect(maxAbsDiff(onWasm[0]!, reference[0]!)).toBeLessThan(2e-5);
      await tfc.setBackend('cpu');
      try {
        const onCpu = hostTidy(() =>
          run(tfc.tensor(x.values, x.shape, x.dtype), tfc.tensor(ids.values, ids.shape, 'int32'), n),
        );
        expect(maxAbsDiff(onCpu[0]!, reference[0]!)).toBeLessThan(2e-5);
      } finally {
        await tfc.setBackend('wasm');
      }
    });
  }

  it('rank-2 ids (which the stock cpu kernel cannot do) equal the flattened stock computation', async () => {
    const x = floats([4, 6, 7]);
    const ids = ints([4, 6], 0, 9);
    const flatX: HostTensor = { ...x, shape: [24, 7] };
    const flatIds: HostTensor = { ...ids, shape: [24] };
    const reference = await runWithStockKernels('cpu', [flatX, flatIds], (a, b) => run(a!, b!, 9));
    const ours = hostTidy(() => run(tfc.tensor(x.values, x.shape), tfc.tensor(ids.values, ids.shape, 'int32'), 9));
    expect(maxAbsDiff(ours[0]!, reference[0]!)).toBeLessThan(2e-5);
  });

  it('trains an embedding: the gradient of gather equals the cpu one, on wasm and cpu', async () => {
    const table = floats([50, 8]);
    const ids = ints([6, 7], 0, 50);
    const weights = floats([6, 7, 8]);
    const embeddingGrad = (e: tfc.Tensor, i: tfc.Tensor, w: tfc.Tensor) => [
      tfc.grad((t: tfc.Tensor) => tfc.sum(tfc.mul(tfc.gather(t, i), w)))(e),
    ];
    const reference = await runWithStockKernels('cpu', [table, ids, weights], (e, i, w) => embeddingGrad(e!, i!, w!));
    for (const backend of ['wasm', 'cpu']) {
      await tfc.setBackend(backend);
      try {
        const ours = hostTidy(() =>
          embeddingGrad(
            tfc.tensor(table.values, table.shape),
            tfc.tensor(ids.values, ids.shape, 'int32'),
            tfc.tensor(weights.values, weights.shape),
          ),
        );
        expect(maxAbsDiff(ours[0]!, reference[0]!)).toBeLessThan(2e-5);
      } finally {
        await tfc.setBackend('wasm');
      }
    }
  });

  it('differentiates through unsortedSegmentSum itself (its gradient gathers)', async () => {
    const x = floats([12, 3]);
    const ids = ints([12], 0, 4);
    const w = floats([4, 3]);
    const f = (a: tfc.Tensor, i: tfc.Tensor, v: tfc.Tensor) => [
      tfc.grad((t: tfc.Tensor) => tfc.sum(tfc.mul(tfc.unsortedSegmentSum(t, i as tfc.Tensor1D, 4), v)))(a),
    ];
    const reference = await runWithStockKernels('cpu', [x, ids, w], (a, i, v) => f(a!, i!, v!));
    const ours = hostTidy(() =>
      f(tfc.tensor(x.values, x.shape), tfc.tensor(ids.values, ids.shape, 'int32'), tfc.tensor(w.values, w.shape)),
    );
    expect(maxAbsDiff(ours[0]!, reference[0]!)).toBeLessThan(2e-5);
  });
});

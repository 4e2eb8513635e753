import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Random } from '../../random';
import { isCaptionKernel } from './register';
import { hostTidy, maxAbsDiff, runWithStockKernels, type HostTensor } from './reference';

const rng = new Random(7);
function randomHost(shape: number[]): HostTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.next() * 2 - 1;
  return { shape, dtype: 'float32', values };
}

type Product = (x: tfc.Tensor, y: tfc.Tensor) => tfc.Tensor;

/** forward product and the gradients of sum(product · w) with respect to both operands */
function productAndGrads(product: Product) {
  return (a: tfc.Tensor, b: tfc.Tensor, w: tfc.Tensor): tfc.Tensor[] => {
    const grads = tfc.grads((x: tfc.Tensor, y: tfc.Tensor) => tfc.sum(tfc.mul(product(x, y), w)))([a, b]);
    return [product(a, b), ...grads];
  };
}

/**
 * The reference product: both operands explicitly broadcast to the full batch shape first (tfjs's
 * cpu kernel and its stock gradient only handle equal batches; broadcastTo's gradient sums).
 */
function broadcastFirst(outBatch: number[], m: number, k: number, n: number, tA: boolean, tB: boolean): Product {
  return (x, y) =>
    tfc.matMul(
      tfc.broadcastTo(x, operandShape(outBatch, m, k, tA)),
      tfc.broadcastTo(y, operandShape(outBatch, k, n, tB)),
      tA,
      tB,
    );
}

function operandShape(batch: number[], rows: number, cols: number, transposed: boolean): number[] {
  return [...batch, ...(transposed ? [cols, rows] : [rows, cols])];
}

async function compare(aBatch: number[], bBatch: number[], m: number, k: number, n: number, tA: boolean, tB: boolean) {
  const a = randomHost(operandShape(aBatch, m, k, tA));
  const b = randomHost(operandShape(bBatch, k, n, tB));
  const outBatch = tfc.broadcast_util.assertAndGetBroadcastShape(aBatch, bBatch);
  const w = randomHost([...outBatch, m, n]);
  const fn = productAndGrads((x, y) => tfc.matMul(x, y, tA, tB));
  const ours = hostTidy(() => fn(tfc.tensor(a.values, a.shape), tfc.tensor(b.values, b.shape), tfc.tensor(w.values, w.shape)));
  const reference = await runWithStockKernels('cpu', [a, b, w], productAndGrads(broadcastFirst(outBatch, m, k, n, tA, tB)));
  // tolerance relative to the size of the sums involved
  const tolerance = 2e-5 * Math.max(1, Math.sqrt(Math.max(k, m, n)) / 4);
  for (let i = 0; i < 3; i++) expect(maxAbsDiff(ours[i]!, reference[i]!)).toBeLessThan(tolerance);
}

describe('wasm BatchMatMul', () => {
  it('is ours on wasm', () => {
    expect(tfc.getBackend()).toBe('wasm');
    expect(isCaptionKernel('BatchMatMul', 'wasm')).toBe(true);
  });

  const flags = [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const;
  const layouts: Array<[string, number[], number[]]> = [
    ['2-D × 2-D', [], []],
    ['batched × batched', [3], [3]],
    ['batched × shared 2-D', [4], []],
    ['shared 2-D × batched', [], [4]],
    ['rank-4 broadcast', [2, 1], [1, 3]],
    ['rank-4 × rank-3 broadcast', [2, 3], [3]],
  ];
  for (const [label, aBatch, bBatch] of layouts) {
    for (const [tA, tB] of flags) {
      it(`${label}, transposeA=${tA}, transposeB=${tB}: equals cpu, with gradients (small, large, m=1, k=1)`, async () => {
        await compare(aBatch, bBatch, 3, 5, 4, tA, tB);
        await compare(aBatch, bBatch, 37, 64, 29, tA, tB);
        await compare(aBatch, bBatch, 1, 64, 36, tA, tB); // one query against regions
        await compare(aBatch, bBatch, 36, 1, 64, tA, tB); // outer products (its gradients)
      });
    }
  }
});

import * as tfc from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../random';
import {
  DEFAULT_PACK_BUDGET,
  setGemmEngine,
  setPackBudget,
  transposedCopyCount,
  type GemmEngine,
} from './batch-mat-mul';
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
  const ours = hostTidy(() =>
    fn(tfc.tensor(a.values, a.shape), tfc.tensor(b.values, b.shape), tfc.tensor(w.values, w.shape)),
  );
  const reference = await runWithStockKernels(
    'cpu',
    [a, b, w],
    productAndGrads(broadcastFirst(outBatch, m, k, n, tA, tB)),
  );
  // tolerance relative to the size of the sums involved
  const tolerance = 2e-5 * Math.max(1, Math.sqrt(Math.max(k, m, n)) / 4);
  for (let i = 0; i < 3; i++) expect(maxAbsDiff(ours[i]!, reference[i]!)).toBeLessThan(tolerance);
}

/** Runs the enclosing describe's tests with products on one engine (the kernel's choice is restored after). */
function onEngine(engine: GemmEngine): void {
  beforeAll(() => setGemmEngine(engine));
  afterAll(() => setGemmEngine('auto'));
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
  for (const engine of ['ours', 'xnnpack'] as const) {
    describe(`products on ${engine === 'ours' ? 'our GEMM' : 'XNNPACK'}`, () => {
      onEngine(engine);
      for (const [label, aBatch, bBatch] of layouts) {
        for (const [tA, tB] of flags) {
          it(`${label}, transposeA=${tA}, transposeB=${tB}: equals cpu, with gradients (small, large, m=1, k=1, tails)`, async () => {
            await compare(aBatch, bBatch, 3, 5, 4, tA, tB);
            await compare(aBatch, bBatch, 37, 64, 29, tA, tB);
            await compare(aBatch, bBatch, 1, 64, 36, tA, tB); // one query against regions
            await compare(aBatch, bBatch, 36, 1, 64, tA, tB); // outer products (its gradients)
            await compare(aBatch, bBatch, 2, 9, 7, tA, tB); // SIMD loop tails
            if (aBatch.length > 0 && bBatch.length > 0) {
              await compare(aBatch, bBatch, 160, 180, 150, tA, tB); // slices above the SIMD-loop size: XNNPACK per slice
            }
          });
        }
      }
    });
  }
});

describe("wasm BatchMatMul caches (XNNPACK's)", () => {
  onEngine('xnnpack');
  it('keeps one transposed copy of a b used transposed, and frees it with b', () => {
    const backend = tfc.engine().backend;
    // tall enough that transposing and packing w beats the transposed form of the product
    const w = tfc.tensor2d(randomHost([6, 5]).values, [6, 5]);
    const x = tfc.tensor2d(randomHost([40, 5]).values, [40, 5]);
    const before = transposedCopyCount(backend);
    const first = tfc.matMul(x, w, false, true);
    const second = tfc.matMul(x, w, false, true);
    expect(transposedCopyCount(backend)).toBe(before + 1);
    expect(Array.from(second.dataSync())).toEqual(Array.from(first.dataSync()));
    const buffers = backend.numDataIds();
    w.dispose();
    expect(transposedCopyCount(backend)).toBe(before);
    expect(backend.numDataIds()).toBe(buffers - 2); // w and its transposed copy
    tfc.dispose([x, first, second]);
  });

  it("does not confuse two shapes of one buffer in XNNPACK's operator cache (keyed by tensor id)", async () => {
    const b = randomHost([4, 6]);
    const x1 = randomHost([2, 4]);
    const x2 = randomHost([2, 6]);
    const fn = (bt: tfc.Tensor, a1: tfc.Tensor, a2: tfc.Tensor) => [
      tfc.matMul(a1, bt),
      tfc.matMul(a2, tfc.reshape(bt, [6, 4])),
      tfc.matMul(a1, bt),
    ];
    const ours = hostTidy(() =>
      fn(tfc.tensor(b.values, b.shape), tfc.tensor(x1.values, x1.shape), tfc.tensor(x2.values, x2.shape)),
    );
    const reference = await runWithStockKernels('cpu', [b, x1, x2], (bt, a1, a2) => fn(bt!, a1!, a2!));
    for (let i = 0; i < 3; i++) expect(maxAbsDiff(ours[i]!, reference[i]!)).toBeLessThan(2e-5);
  });

  it('releases every temporary buffer and every cached copy', () => {
    const backend = tfc.engine().backend;
    const buffers = backend.numDataIds();
    const tensors = [
      randomHost([5, 7, 9]),
      randomHost([5, 9, 7]),
      randomHost([9, 7]),
      randomHost([40, 64]),
      randomHost([64, 48]),
    ].map((h) => tfc.tensor(h.values, h.shape)) as [tfc.Tensor, tfc.Tensor, tfc.Tensor, tfc.Tensor, tfc.Tensor];
    const [a, b, w, x, y] = tensors;
    tfc.tidy(() => {
      tfc.matMul(a, b, true, true);
      tfc.matMul(a, w, false, false);
      tfc.matMul(w, a, true, true);
      tfc.matMul(x, x, false, true);
      tfc.matMul(y, x, true, true);
      tfc.matMul(x, x, true, false);
      tfc.matMul(y, y, false, true);
    });
    tfc.dispose(tensors);
    expect(backend.numDataIds()).toBe(buffers);
  });
});

describe('wasm BatchMatMul blocking (b larger than the L2 budget)', () => {
  onEngine('xnnpack');
  const cases: Array<[string, number, number, number]> = [
    ['column blocks of a wide b', 300, 8, 500],
    ['row blocks of a tall, narrow b', 300, 70, 20],
  ];
  for (const [label, m, k, n] of cases) {
    it(`${label} equals cpu, forward and gradients`, async () => {
      setPackBudget(4096); // tiny, so that small shapes take the blocked paths
      try {
        await compare([], [], m, k, n, false, false);
        await compare([], [], m, k, n, true, false);
        await compare([4], [], m / 4, k, n, false, false);
      } finally {
        setPackBudget(DEFAULT_PACK_BUDGET);
      }
    });
  }
});

describe('wasm BatchMatMul row-padded copies (b rows of a multiple of 256 floats)', () => {
  onEngine('xnnpack');
  it('gives the cpu result for x·W and x·Wᵀ, reuses the copies, and frees them with W', async () => {
    const backend = tfc.engine().backend;
    const buffers = backend.numDataIds();
    const w = randomHost([300, 256]);
    const wt = randomHost([256, 300]);
    const x = randomHost([10, 300]);
    const fn = (wv: tfc.Tensor, wtv: tfc.Tensor, xv: tfc.Tensor) => [
      tfc.matMul(xv, wv), // padded copy of W
      tfc.matMul(xv, wv), // reused
      tfc.matMul(xv, wtv, false, true), // transposed copy, padded
      tfc.matMul(xv, wtv, false, true),
      tfc.matMul(tfc.reshape(xv, [20, 150]), tfc.reshape(wv, [150, 512])), // same buffer, another shape
    ];
    const tensors = [w, wt, x].map((h) => tfc.tensor(h.values, h.shape)) as [tfc.Tensor, tfc.Tensor, tfc.Tensor];
    const ours = hostTidy(() => fn(...tensors));
    const reference = await runWithStockKernels('cpu', [w, wt, x], (a, b, c) => fn(a!, b!, c!));
    for (let i = 0; i < ours.length; i++) expect(maxAbsDiff(ours[i]!, reference[i]!)).toBeLessThan(5e-5);
    tfc.dispose(tensors);
    expect(backend.numDataIds()).toBe(buffers);
  });
});

describe('wasm BatchMatMul untransposed products with few rows (x·W through Wᵀ)', () => {
  onEngine('xnnpack');
  it('gives the cpu result through a kept Wᵀ (made here, or a row-padded one kept from x·Wᵀ), freed with W', async () => {
    const backend = tfc.engine().backend;
    const buffers = backend.numDataIds();
    const w = randomHost([256, 320]); // W [out, in], rows of 320 floats
    const v = randomHost([256, 320]); // its transposed copy has rows of 256 floats: kept row-padded
    const tall = randomHost([255, 320]);
    const dy = randomHost([5, 256]);
    const x = randomHost([3, 256]);
    const fn = (wv: tfc.Tensor, vv: tfc.Tensor, tallv: tfc.Tensor, dyv: tfc.Tensor, xv: tfc.Tensor) => [
      tfc.matMul(dyv, wv), // dy·W: Wᵀ made and kept, Cᵀ = Wᵀ·dyᵀ
      tfc.matMul(dyv, wv), // reuses it
      tfc.matMul(tallv, vv, false, true), // direct form: keeps vᵀ row-padded to 272 floats
      tfc.matMul(xv, vv), // x·v through the padded vᵀ, x padded with zero columns
      tfc.matMul(tfc.reshape(dyv, [2, 640]), tfc.reshape(wv, [640, 128])), // same buffer, another shape
    ];
    const tensors = [w, v, tall, dy, x].map((h) => tfc.tensor(h.values, h.shape));
    const copiesBefore = transposedCopyCount(backend);
    const ours = hostTidy(() => fn(...(tensors as [tfc.Tensor, tfc.Tensor, tfc.Tensor, tfc.Tensor, tfc.Tensor])));
    expect(transposedCopyCount(backend)).toBe(copiesBefore + 2);
    const reference = await runWithStockKernels('cpu', [w, v, tall, dy, x], (a, b, c, d, e) => fn(a!, b!, c!, d!, e!));
    for (let i = 0; i < ours.length; i++) expect(maxAbsDiff(ours[i]!, reference[i]!)).toBeLessThan(5e-5);
    tfc.dispose(tensors);
    expect(transposedCopyCount(backend)).toBe(copiesBefore);
    expect(backend.numDataIds()).toBe(buffers);
  });
});

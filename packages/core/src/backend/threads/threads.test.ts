import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tfc from '@tensorflow/tfjs-core';
import { expectSameBits } from '@caption/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../../random';
import { BackendError } from '../errors';
import { initBackend } from '../init-backend';
import { adamUpdate } from '../ops/adam-update';
import { DEFAULT_PACK_BUDGET, setGemmEngine, setPackBudget } from '../kernels/batch-mat-mul';
import { asWasmBackend } from '../kernels/wasm-internals';
import { isSharedMemory, simdKernels, simdKernelsModule } from '../simd/simd-module';
import { threadPool } from './backend-threads';
import { withSharedMemory } from './shared-memory';

const require = createRequire(import.meta.url);

/** The WebAssembly JS API used here (the package compiles without DOM typings). */
const wasmApi = (
  globalThis as unknown as {
    WebAssembly: {
      validate(bytes: Uint8Array): boolean;
      Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => object;
      Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => object;
      LinkError: new () => Error;
    };
  }
).WebAssembly;

describe('withSharedMemory', () => {
  it("flips only the shared bit of tfjs-backend-wasm's memory, and the result still validates", () => {
    const file = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm');
    const bytes = new Uint8Array(readFileSync(file));
    const shared = withSharedMemory(bytes);
    const changed = [...shared.keys()].filter((i) => shared[i] !== bytes[i]);
    expect(changed).toHaveLength(1);
    expect(bytes[changed[0]!]).toBe(0x01);
    expect(shared[changed[0]!]).toBe(0x03);
    expect(wasmApi.validate(shared)).toBe(true);
  });

  it('makes our kernels module importable with a shared memory (and only then)', () => {
    const memory = new wasmApi.Memory({ initial: 1, maximum: 65536, shared: true });
    const sharedModule = simdKernelsModule(true)!;
    expect(() => new wasmApi.Instance(sharedModule, { env: { memory } })).not.toThrow();
    const plain = simdKernelsModule(false)!;
    expect(() => new wasmApi.Instance(plain, { env: { memory } })).toThrow(wasmApi.LinkError);
  });

  it('refuses a module without a memory, or one without a maximum', () => {
    const empty = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    expect(() => withSharedMemory(empty)).toThrow(BackendError);
    // (module (memory 1)): memory section with limits flags 0, min 1
    const unbounded = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 0, 1]);
    expect(() => withSharedMemory(unbounded)).toThrow(/maximum/);
  });
});

/** A product case: shapes of a and b, transposes. */
interface ProductCase {
  a: number[];
  b: number[];
  transposeA?: boolean;
  transposeB?: boolean;
}

// Large enough to be split (≥ 2 × 256 K multiply-adds), with tails in every dimension, column and row
// splits, batched, broadcast and attention-sized batched products, transposes, depth-blocked products.
const CASES: ProductCase[] = [
  { a: [37, 301], b: [301, 203] },
  { a: [64, 128], b: [128, 96] },
  { a: [10, 1024], b: [1024, 1001] },
  { a: [600, 300], b: [300, 5] },
  { a: [3, 2048], b: [2048, 517] },
  { a: [50, 256], b: [300, 256], transposeB: true },
  { a: [256, 50], b: [256, 300], transposeA: true },
  { a: [300, 70], b: [90, 300], transposeA: true, transposeB: true },
  { a: [4, 60, 90], b: [90, 120] },
  { a: [60, 90], b: [4, 90, 120] },
  { a: [4, 60, 90], b: [4, 90, 120] },
  { a: [2, 1, 70, 300], b: [3, 300, 80] },
  { a: [400, 1, 64], b: [400, 64, 36] },
  { a: [400, 1, 36], b: [400, 64, 36], transposeB: true },
  { a: [400, 36, 1], b: [400, 36, 64], transposeA: true },
  // few rows (gemm_rows, b read in place; a transposed b kept transposed): tails in k and n
  { a: [1, 770], b: [1003, 770], transposeB: true },
  { a: [15, 301], b: [301, 203] },
  { a: [2, 3], b: [3, 2] },
];

function randomTensor(rng: Random, shape: number[]): tfc.Tensor {
  const size = shape.reduce((x, y) => x * y, 1);
  return tfc.tensor(
    Float32Array.from({ length: size }, () => rng.next() * 2 - 1),
    shape,
  );
}

/** Every case's product and its gradients, then depth-blocked and cache-dependent products, as host arrays. */
function battery(): Float32Array[] {
  const rng = new Random(11);
  const out: Float32Array[] = [];
  for (const c of CASES) {
    tfc.tidy(() => {
      const a = randomTensor(rng, c.a);
      const b = randomTensor(rng, c.b);
      const f = (x: tfc.Tensor, y: tfc.Tensor) => tfc.matMul(x, y, c.transposeA, c.transposeB);
      const product = f(a, b);
      const w = randomTensor(rng, product.shape);
      const grads = tfc.grads((x: tfc.Tensor, y: tfc.Tensor) => tfc.sum(tfc.mul(f(x, y), w)))([a, b]);
      for (const t of [product, ...grads]) out.push(t.dataSync() as Float32Array);
    });
  }
  // A tiny L2 budget: tall products run in column blocks and, for a narrow b, in depth blocks whose
  // partial sums differ from a whole product; b used first by a small product (packed), then by a tall one.
  setPackBudget(8192);
  try {
    tfc.tidy(() => {
      const wide = randomTensor(rng, [300, 500]);
      const narrow = randomTensor(rng, [3000, 20]);
      out.push(tfc.matMul(randomTensor(rng, [300, 300]), wide).dataSync() as Float32Array);
      out.push(tfc.matMul(randomTensor(rng, [300, 3000]), narrow).dataSync() as Float32Array);
      const reused = randomTensor(rng, [3000, 20]);
      out.push(tfc.matMul(randomTensor(rng, [30, 3000]), reused).dataSync() as Float32Array);
      out.push(tfc.matMul(randomTensor(rng, [300, 3000]), reused).dataSync() as Float32Array);
    });
  } finally {
    setPackBudget(DEFAULT_PACK_BUDGET);
  }
  // the fused Adam update (elementwise, split by ranges), 100,003 parameters
  tfc.tidy(() => {
    const shape = [100_003];
    const [p, g, m, v] = [0, 1, 2, 3].map(() => randomTensor(rng, shape)) as [
      tfc.Tensor,
      tfc.Tensor,
      tfc.Tensor,
      tfc.Tensor,
    ];
    const updated = adamUpdate(p, g, m, tfc.abs(v), {
      learningRate: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      step: 3,
      weightDecay: 0.01,
    });
    for (const t of [updated.param, updated.expAvg, updated.expAvgSq]) out.push(t.dataSync() as Float32Array);
  });
  return out;
}

describe('wasm threads', () => {
  afterAll(async () => {
    await initBackend('wasm', { quiet: true });
  });

  it("give XNNPACK's bits: products and gradients on 1, 2 (every product split or not) and 3 threads equal XNNPACK's on one", async () => {
    const info1 = await initBackend('wasm', { quiet: true, threads: 1 });
    expect(info1.threads).toBe(1);
    expect(threadPool(tfc.engine().backend)).toBeNull();
    expect(isSharedMemory(asWasmBackend(tfc.engine().backend).wasm.asm?.memory)).toBe(false); // tfjs's binary
    setGemmEngine('xnnpack');
    let xnnpack: Float32Array[];
    try {
      xnnpack = battery();
    } finally {
      setGemmEngine('auto');
    }
    const single = battery();
    const info2 = await initBackend('wasm', { quiet: true, threads: 2 });
    expect(info2.threads).toBe(2);
    expect(info2.description).toBe('wasm (XNNPACK, SIMD, 2 threads)');
    expect(isSharedMemory(asWasmBackend(tfc.engine().backend).wasm.asm?.memory)).toBe(true);
    const pool = threadPool(tfc.engine().backend)!;
    expect(pool.size).toBe(2);
    const two = battery();
    expect(pool.sharedRuns).toBeGreaterThanOrEqual(3 * CASES.length);
    await initBackend('wasm', { quiet: true, threads: 2, splitAll: true });
    const splitAll = battery();
    await initBackend('wasm', { quiet: true, threads: 3 });
    const three = battery();
    expect(single).toHaveLength(xnnpack.length);
    xnnpack.forEach((values, i) => {
      expectSameBits(single[i]!, values, `result ${i} on 1 thread`);
      expectSameBits(two[i]!, values, `result ${i} on 2 threads`);
      expectSameBits(splitAll[i]!, values, `result ${i} on 2 threads, every product split`);
      expectSameBits(three[i]!, values, `result ${i} on 3 threads`);
    });
  });

  it('go from 1 to several threads only with no tensor alive, and back to 1 keeping them', async () => {
    await initBackend('wasm', { quiet: true, threads: 1 });
    const alive = tfc.ones([2]);
    try {
      await expect(initBackend('wasm', { quiet: true, threads: 2 })).rejects.toThrow(/dispose them first/);
      alive.dispose();
      await initBackend('wasm', { quiet: true, threads: 2 });
      const kept = tfc.ones([2]);
      const info = await initBackend('wasm', { quiet: true, threads: 1 });
      expect(info.threads).toBe(1);
      expect(threadPool(tfc.engine().backend)).toBeNull();
      expect(Array.from(kept.dataSync())).toEqual([1, 1]);
      kept.dispose();
    } finally {
      if (!alive.isDisposed) alive.dispose();
    }
  });

  it('reject a thread count that is not a positive integer', async () => {
    await expect(initBackend('wasm', { quiet: true, threads: 0 })).rejects.toThrow(BackendError);
    await expect(initBackend('wasm', { quiet: true, threads: 1.5 })).rejects.toThrow(/positive integer/);
  });

  it("report a worker's failure as a BackendError naming the kernel", async () => {
    await initBackend('wasm', { quiet: true, threads: 2 });
    const backend = asWasmBackend(tfc.engine().backend);
    const pool = threadPool(backend)!;
    const simd = simdKernels(backend)!;
    const beyond = 0xfffffff0; // a byte offset past the end of the heap: the worker's access traps
    const ok = { fn: 'gemm' as const, args: [0, 0, 0, 0, 1, 1, 1, 1, 1, 8, 0] };
    const trap = { fn: 'gemm' as const, args: [beyond, beyond, beyond, 4, 4, 4, 4, 4, 4, 8, beyond] };
    expect(() => pool.run([ok, trap], simd)).toThrow(/kernel gemm failed on worker 1: .*out of bounds/);
    // the pool keeps working
    expect(() => pool.run([ok, ok], simd)).not.toThrow();
  });
});

/**
 * A `BatchMatMul` for the wasm backend that keeps every product on a fast path, on one thread or several.
 *
 * tfjs-backend-wasm 4.22 sends a product to XNNPACK's fully-connected operator (~30 GFLOP/s on one
 * SIMD thread here) only when neither operand is transposed and neither is batched. Everything else,
 * i.e. every matmul of a backward pass and every attention product, runs in a naive blocked triple
 * loop at ~2.4 GFLOP/s. XNNPACK also treats `b` as weights: it packs `b` into its own layout when it
 * first sees `b`'s tensor id and caches the packed operator on that id until the tensor is disposed.
 * Packing a fresh `b` costs a few ns per element, which matters when `a` has few rows.
 *
 * This kernel rewrites every product into non-transposed, non-batched products (the forms and blockings
 * are chosen in matmul/cost-model.ts; the heap helpers are in matmul/heap.ts):
 * - a transposed operand is transposed on the heap (SIMD, cache-blocked);
 * - of the two equivalent forms `C = op(A)·op(B)` and `Cᵀ = op(B)ᵀ·op(A)ᵀ` it picks the one that
 *   moves and packs fewer elements;
 * - the transposed copy of a 2-D `b` is kept until `b` is disposed, so that a weight used transposed
 *   many times (PyTorch-layout `x·Wᵀ` layers, the backward pass of a recurrent network) is transposed
 *   and packed once;
 * - a batched `a` against a shared `b` is folded into one tall product; a shared `a` against a batched
 *   `b` is folded through the transposed form; truly batched products loop over the batch with views
 *   into the heap (no copies), except small ones (attention), which run in SIMD loops.
 * Each resulting 2-D product runs as one XNNPACK call, or, when the backend has worker threads and the
 * product is large enough, as our GEMM split over the threads (matmul/gemm.ts), which gives XNNPACK's
 * bits: results do not depend on the thread count. They equal the cpu backend's within float32 rounding
 * (tested).
 */
import {
  BatchMatMul,
  broadcast_util,
  getKernel,
  type BatchMatMulAttrs,
  type DataId,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { BackendError } from '../errors';
import { simdKernels } from '../simd/simd-module';
import { threadPool } from '../threads/backend-threads';
import type { KernelCall } from '../threads/worker-pool';
import {
  gemmThreads,
  productLayout,
  threadsFor,
  ROW_PAD,
  SMALL_SLICE_MACS,
  transposedForm,
  untransposedForm,
  useOurGemm,
  useRowsKernel,
  worthPadding,
} from './matmul/cost-model';
import { parallelGemm, parallelGemmRows } from './matmul/gemm';
import {
  addRows,
  copyRows,
  heap,
  idOf,
  offsetOf,
  padRows,
  Scratch,
  shapeBytes,
  transposedCopy,
  transposeOnHeap,
  whole,
  type CachedCopy,
  type HeapMatrix,
} from './matmul/heap';
import { asWasmBackend, sizeOf, type WasmBackendInternals } from './wasm-internals';

export {
  DEFAULT_PACK_BUDGET,
  setGemmEngine,
  setPackBudget,
  setProductForm,
  type GemmEngine,
  type ProductForm,
} from './matmul/cost-model';

type CBatchMatMul = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  transposeA: boolean,
  transposeB: boolean,
  outId: number,
) => void;

/** Per-backend state of the kernel. */
interface MatMulState {
  call: CBatchMatMul;
  /** transposed copies of 2-D `b` operands (maybe row-padded), by the source's dataId */
  transposed: Map<DataId, CachedCopy>;
  /**
   * transposed copies of 2-D `b` operands used transposed by `gemm_rows` (few rows), by the source's dataId:
   * apart from `transposed`, so that these copies change no decision of taller products
   */
  rowsTransposed: Map<DataId, CachedCopy>;
  /** row-padded copies of 2-D `b` operands whose rows are a multiple of 256 floats, by the source's dataId */
  padded: Map<DataId, CachedCopy>;
  /**
   * `K,N` under which each tensor id was handed to XNNPACK as `b` (its operator cache ignores shape).
   * Products run by our GEMM record their `b` here too, so that the decisions that read it (and with
   * them the bits of depth-blocked products) are the same on any number of threads.
   */
  packedAs: Map<number, string>;
}

const states = new WeakMap<WasmBackendInternals, MatMulState>();

function stateOf(backend: WasmBackendInternals): MatMulState {
  let state = states.get(backend);
  if (state != null) return state;
  const raw = backend.wasm.cwrap('BatchMatMul', null, [
    'number',
    'array',
    'number',
    'number',
    'array',
    'number',
    'number',
    'number',
    'number',
  ]);
  state = {
    call: raw as unknown as CBatchMatMul,
    transposed: new Map(),
    rowsTransposed: new Map(),
    padded: new Map(),
    packedAs: new Map(),
  };
  states.set(backend, state);
  installDisposeHook(backend, state);
  return state;
}

/**
 * Frees our transposed copy of a tensor, and forgets the shape it was packed under, when the backend
 * releases that tensor. Installed once per backend instance by wrapping its `disposeData`.
 */
function installDisposeHook(backend: WasmBackendInternals, state: MatMulState): void {
  const original = backend.disposeData.bind(backend);
  backend.disposeData = (dataId: DataId, force?: boolean): boolean => {
    const id = backend.dataIdMap.has(dataId) ? backend.dataIdMap.get(dataId).id : undefined;
    const released = original(dataId, force);
    if (released) {
      if (id !== undefined) state.packedAs.delete(id);
      for (const cache of [state.transposed, state.rowsTransposed, state.padded]) {
        const copy = cache.get(dataId);
        if (copy == null) continue;
        cache.delete(dataId);
        state.packedAs.delete(copy.matrix.id);
        original(copy.info.dataId, true);
      }
    }
    return released;
  };
}

/** Number of transposed weight copies currently held by the kernel (for tests and diagnostics). */
export function transposedCopyCount(backend: unknown): number {
  const state = states.get(asWasmBackend(backend));
  return state == null ? 0 : state.transposed.size + state.rowsTransposed.size;
}

/**
 * Makes sure XNNPACK's operator cache cannot confuse two interpretations of one tensor id: if `m.id`
 * was packed before under another `K,N`, a fresh view id over the same memory is used instead.
 */
function packableId(state: MatMulState, scratch: Scratch, m: HeapMatrix): number {
  const key = `${m.rows},${m.cols}`;
  const previous = state.packedAs.get(m.id);
  if (previous === undefined) {
    state.packedAs.set(m.id, key);
    return m.id;
  }
  if (previous === key) return m.id;
  return scratch.view(m.offset, m.rows * m.cols);
}

/** Whether XNNPACK holds `m` packed (as a `b` of its current shape) from an earlier call. */
function isPacked(state: MatMulState, m: HeapMatrix): boolean {
  return m.ephemeral !== true && state.packedAs.get(m.id) === `${m.rows},${m.cols}`;
}

/** One XNNPACK call `out = a · b`. */
function xnnProduct(state: MatMulState, scratch: Scratch, a: HeapMatrix, b: HeapMatrix, outId: number): void {
  const bId = b.ephemeral === true ? b.id : packableId(state, scratch, b);
  state.call(a.id, shapeBytes(1, a.rows, a.cols), 3, bId, shapeBytes(1, b.rows, b.cols), 3, false, false, outId);
}

/**
 * Which engine runs `[m,k]·[k,n]` with this `b`, and on how many threads: `gemm_rows` (few rows, `b` read in
 * place), our packing GEMM, or XNNPACK. `ours` is true for both of our kernels (neither keeps `b` packed).
 */
function engineFor(
  backend: WasmBackendInternals,
  m: number,
  k: number,
  n: number,
): { ours: boolean; rows: boolean; threads: number } {
  const pool = threadPool(backend);
  const simd = simdKernels(backend) != null;
  if (simd && useRowsKernel(m)) {
    return { ours: true, rows: true, threads: pool == null ? 1 : threadsFor(m * k * n, Math.ceil(n / 4), pool.size) };
  }
  const threads = pool == null ? 1 : gemmThreads(m, k, n, pool.size);
  const ours = simd && useOurGemm();
  return { ours, rows: false, threads: ours ? threads : 1 };
}

/**
 * `out[M,N] = a[M,K] · b[K,N]` (no transposes, no batch; `b` maybe row-padded), as one XNNPACK call or
 * our GEMM on the backend's threads. For XNNPACK, a tall
 * product whose packed `b` would not fit the L2 budget (and is not already packed) runs in column blocks
 * of `b`; when `b` is narrow, in row blocks of `b` with the partial products summed in order, whichever
 * engine runs them (so the bits do not depend on the engine).
 */
function fastProduct(
  backend: WasmBackendInternals,
  state: MatMulState,
  scratch: Scratch,
  a: HeapMatrix,
  b: HeapMatrix,
  out: HeapMatrix,
): void {
  const m = a.rows;
  const k = a.cols;
  const n = b.validCols ?? b.cols;
  const { ours, rows, threads } = engineFor(backend, m, k, n);
  if (rows) {
    // few rows: b read in place (no packing, so nothing to record for XNNPACK's bookkeeping)
    const g = { a: a.offset, lda: k, b: b.offset, ldb: b.cols, c: out.offset, ldc: n, m, k, n };
    parallelGemmRows(backend, threadPool(backend), g, threads);
    return;
  }
  const gemm = (aOffset: number, right: HeapMatrix, target: number, depth: number): void =>
    parallelGemm(
      backend,
      threadPool(backend),
      { a: aOffset, lda: k, b: right.offset, ldb: right.cols, c: target, ldc: n, m, k: depth, n },
      threads,
    );
  if (b.validCols !== undefined && b.validCols < b.cols) {
    // A row-padded b: the XNNPACK product has b.cols columns; keep the first validCols.
    if (ours) {
      packableId(state, scratch, b);
      gemm(a.offset, b, out.offset, k);
      return;
    }
    const wide = scratch.alloc(m * b.cols);
    xnnProduct(state, scratch, a, b, idOf(backend, wide));
    copyRows(backend, offsetOf(backend, wide) >>> 2, b.cols, out.offset >>> 2, b.validCols, m, b.validCols);
    return;
  }
  const layout = productLayout(m, k, n, isPacked(state, b));
  if (layout.kind === 'depth') {
    // Row blocks of b (a narrow, tall b): out = Σ a[:, k0:k1] · b[k0:k1, :], partial sums added in order.
    const { depth } = layout;
    const partial = scratch.alloc(m * n);
    const partialOffset = offsetOf(backend, partial);
    const aBlock = ours ? null : scratch.alloc(m * depth);
    for (let k0 = 0; k0 < k; k0 += depth) {
      const d = Math.min(depth, k - k0);
      const rowsOffset = b.offset + k0 * n * 4;
      const right: HeapMatrix = { id: -1, offset: rowsOffset, rows: d, cols: n, ephemeral: true };
      if (aBlock == null) {
        gemm(a.offset + 4 * k0, right, k0 === 0 ? out.offset : partialOffset, d);
      } else {
        const aOffset = offsetOf(backend, aBlock);
        copyRows(backend, (a.offset >>> 2) + k0, k, aOffset >>> 2, d, m, d);
        const left: HeapMatrix = {
          id: scratch.view(aOffset, m * d),
          offset: aOffset,
          rows: m,
          cols: d,
          ephemeral: true,
        };
        right.id = scratch.view(rowsOffset, d * n);
        xnnProduct(state, scratch, left, right, k0 === 0 ? out.id : scratch.view(partialOffset, m * n));
      }
      if (k0 > 0) addRows(backend, partialOffset >>> 2, out.offset >>> 2, m * n);
    }
    return;
  }
  if (ours) {
    // keep XNNPACK's bookkeeping as if it had packed b: later decisions read it
    if (layout.kind === 'whole' && b.ephemeral !== true) packableId(state, scratch, b);
    gemm(a.offset, b, out.offset, k);
    return;
  }
  if (layout.kind === 'whole') {
    xnnProduct(state, scratch, a, b, out.id);
    return;
  }
  // Column blocks: out[:, j0:j1] = a · b[:, j0:j1], each block packed on its own.
  const width = layout.width;
  const bBlock = scratch.alloc(k * width);
  const outBlock = scratch.alloc(m * width);
  const bOffset = offsetOf(backend, bBlock);
  const outOffset = offsetOf(backend, outBlock);
  for (let j0 = 0; j0 < n; j0 += width) {
    const w = Math.min(width, n - j0);
    copyRows(backend, (b.offset >>> 2) + j0, n, bOffset >>> 2, w, k, w);
    const right: HeapMatrix = { id: scratch.view(bOffset, k * w), offset: bOffset, rows: k, cols: w, ephemeral: true };
    xnnProduct(state, scratch, a, right, scratch.view(outOffset, m * w));
    copyRows(backend, outOffset >>> 2, w, (out.offset >>> 2) + j0, n, m, w);
  }
}

/**
 * `b` itself, or (when it is a tensor whose rows are a multiple of 256 floats, multiplied by few rows)
 * its row-padded copy, made once and kept until `b` is disposed.
 */
function paddedCopy(
  backend: WasmBackendInternals,
  state: MatMulState,
  b: HeapMatrix,
  bDataId: DataId | null,
  m: number,
): HeapMatrix {
  if (bDataId == null || !worthPadding(m, b.rows, b.cols)) return b;
  const known = state.padded.get(bDataId);
  if (known != null) return known.matrix.rows === b.rows && known.matrix.validCols === b.cols ? known.matrix : b;
  // the whole tensor must be this matrix (not a reinterpretation of part of it)
  if (backend.dataIdMap.get(bDataId).memoryOffset !== b.offset) return b;
  const copy = padRows(backend, b, ROW_PAD);
  state.padded.set(bDataId, copy);
  return copy.matrix;
}

/**
 * `out[M,N] = a[M,K] · b[K,N]`, neither transposed. The direct form packs `b` (XNNPACK's packing of a
 * fresh `b` costs more than the product when `a` has few rows: `dy·W` of a `[out, in]` weight, the input
 * gradient of every `Linear`, ran at 7–9 GFLOP/s for 50 rows); the swapped form `Cᵀ = bᵀ·aᵀ` needs `bᵀ`
 * as the unpacked left operand (kept until `b` is disposed, like the transposed copies of `b` operands
 * used transposed, so a weight's every per-step input gradient reuses it) and packs only `aᵀ` (25 GFLOP/s
 * for the same product). The cost model picks the form; a `b` that XNNPACK already holds packed stays direct.
 */
function untransposedProduct(
  backend: WasmBackendInternals,
  state: MatMulState,
  scratch: Scratch,
  a: HeapMatrix,
  b: HeapMatrix,
  bDataId: DataId | null,
  cachedB: CachedCopy | undefined,
  out: HeapMatrix,
): void {
  const [m, k, n] = [a.rows, a.cols, b.cols];
  const padded = bDataId != null ? state.padded.get(bDataId) : undefined;
  const packed = isPacked(state, b) || (padded != null && isPacked(state, padded.matrix));
  const ours = engineFor(backend, m, k, n).ours;
  if (untransposedForm(m, k, n, ours, packed, cachedB != null) === 'direct') {
    fastProduct(backend, state, scratch, a, ours ? b : paddedCopy(backend, state, b, bDataId, m), out);
    return;
  }
  let left: HeapMatrix;
  if (cachedB != null) {
    left = cachedB.matrix;
  } else if (bDataId != null && backend.dataIdMap.get(bDataId).memoryOffset === b.offset) {
    const copy = transposedCopy(backend, null, b);
    state.transposed.set(bDataId, copy);
    left = copy.matrix;
  } else {
    left = transposedCopy(backend, scratch, b).matrix;
  }
  // A row-padded bᵀ (kept for products that pack it as their b) has zeros after its K columns: aᵀ gets
  // as many zero rows.
  const depth = left.cols;
  const right = scratch.alloc(depth * m);
  const rightOffset = offsetOf(backend, right);
  transposeOnHeap(backend, a.offset, rightOffset, 1, m, k);
  if (depth > k) heap(backend).fill(0, (rightOffset >>> 2) + k * m, (rightOffset >>> 2) + depth * m);
  const tmp = scratch.alloc(n * m);
  const tmpMatrix: HeapMatrix = { id: idOf(backend, tmp), offset: offsetOf(backend, tmp), rows: n, cols: m };
  fastProduct(
    backend,
    state,
    scratch,
    { id: left.id, offset: left.offset, rows: n, cols: depth },
    whole(backend, right, depth, m),
    tmpMatrix,
  );
  transposeOnHeap(backend, tmpMatrix.offset, out.offset, 1, n, m);
}

/**
 * `out = op(a) · op(b)` for 2-D operands stored as `a` (`aRows × aCols`) and `b`, where `op` transposes
 * when the flag is set. Chooses between the direct and the transposed form by estimated data movement.
 */
function product2d(
  backend: WasmBackendInternals,
  state: MatMulState,
  scratch: Scratch,
  a: HeapMatrix,
  transposeA: boolean,
  b: HeapMatrix,
  transposeB: boolean,
  bDataId: DataId | null,
  out: HeapMatrix,
): void {
  const m = transposeA ? a.cols : a.rows;
  const k = transposeA ? a.rows : a.cols;
  const n = transposeB ? b.rows : b.cols;
  const engine = engineFor(backend, m, k, n);
  const copies = engine.rows ? state.rowsTransposed : state.transposed;
  let cachedB = bDataId != null ? copies.get(bDataId) : undefined;
  // the cache is keyed by buffer: a reshaped view of the same buffer must not reuse another shape's copy
  if (
    cachedB != null &&
    !(cachedB.matrix.rows === b.cols && (cachedB.matrix.validCols ?? cachedB.matrix.cols) === b.rows)
  ) {
    cachedB = undefined;
    bDataId = null;
  }
  if (!transposeA && !transposeB) {
    untransposedProduct(backend, state, scratch, a, b, bDataId, cachedB, out);
    return;
  }
  // For few rows, the swapped form would be a product only m columns wide, which our GEMM pads to 8 (a
  // [1,768]·[50257,768]ᵀ logit layer: 8× the work); gemm_rows on a kept bᵀ streams it once per call instead,
  // after one transpose.
  const keepTransposed = engine.rows && transposeB && bDataId != null;
  if (keepTransposed || transposedForm(m, k, n, engine.ours, transposeA, transposeB, cachedB != null) === 'direct') {
    const left = transposeA ? transposedCopy(backend, scratch, a).matrix : a;
    let right = b;
    if (transposeB) {
      if (cachedB != null) {
        right = cachedB.matrix;
      } else if (bDataId != null) {
        const copy = transposedCopy(backend, null, b);
        if (!engine.rows && worthPadding(m, copy.matrix.rows, copy.matrix.cols)) {
          const padded = padRows(backend, copy.matrix, ROW_PAD);
          backend.disposeData(copy.info.dataId, true);
          state.transposed.set(bDataId, padded);
          right = padded.matrix;
        } else {
          copies.set(bDataId, copy);
          right = copy.matrix;
        }
      } else {
        right = transposedCopy(backend, scratch, b).matrix;
      }
    }
    fastProduct(backend, state, scratch, left, right, out);
    return;
  }
  // Cᵀ[N,M] = op(b)ᵀ[N,K] · op(a)ᵀ[K,M], then transpose into out.
  const left = transposeB ? b : transposedCopy(backend, scratch, b).matrix;
  const right = transposeA ? a : transposedCopy(backend, scratch, a).matrix;
  const tmp = scratch.alloc(n * m);
  const tmpMatrix: HeapMatrix = { id: idOf(backend, tmp), offset: offsetOf(backend, tmp), rows: n, cols: m };
  fastProduct(backend, state, scratch, left, right, tmpMatrix);
  transposeOnHeap(backend, tmpMatrix.offset, out.offset, 1, n, m);
}

const batchMatMul: KernelFunc = ({ inputs, backend: anyBackend, attrs }) => {
  const backend = asWasmBackend(anyBackend);
  const state = stateOf(backend);
  const a = inputs['a'] as TensorInfo;
  const b = inputs['b'] as TensorInfo;
  const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw new BackendError(`BatchMatMul: only float32 is supported, got ${a.dtype} and ${b.dtype}`);
  }
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  if (aRank < 2 || bRank < 2) throw new BackendError('BatchMatMul: operands must have rank >= 2');
  const aRows = a.shape[aRank - 2]!;
  const aCols = a.shape[aRank - 1]!;
  const bRows = b.shape[bRank - 2]!;
  const bCols = b.shape[bRank - 1]!;
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const kB = transposeB ? bCols : bRows;
  const n = transposeB ? bRows : bCols;
  if (k !== kB) {
    throw new BackendError(
      `Error in matMul: inner shapes (${k}) and (${kB}) of Tensors with shapes ${a.shape} and ${b.shape} ` +
        `and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const aBatchShape = a.shape.slice(0, -2);
  const bBatchShape = b.shape.slice(0, -2);
  const outBatchShape = broadcast_util.assertAndGetBroadcastShape(aBatchShape, bBatchShape);
  const batchA = sizeOf(aBatchShape);
  const batchB = sizeOf(bBatchShape);
  const batch = sizeOf(outBatchShape);
  const out = backend.makeOutput([...outBatchShape, m, n], 'float32');
  if (batch === 0 || m === 0 || n === 0) return out;
  if (k === 0) {
    heap(backend).fill(0, offsetOf(backend, out) >>> 2, (offsetOf(backend, out) >>> 2) + batch * m * n);
    return out;
  }
  const scratch = new Scratch(backend);
  try {
    const outMatrix = whole(backend, out, batch * m, n);
    if (batchA === 1 && batchB === 1) {
      product2d(
        backend,
        state,
        scratch,
        whole(backend, a, aRows, aCols),
        transposeA,
        whole(backend, b, bRows, bCols),
        transposeB,
        b.dataId,
        outMatrix,
      );
    } else if (batchB === 1) {
      // A shared b: stack the batch of a into one tall [batch·M, K] product.
      let left = whole(backend, a, batchA * aRows, aCols);
      if (transposeA) {
        const t = transposedCopy(backend, scratch, { ...left, rows: aRows, cols: aCols }, batchA);
        left = { ...t.matrix, rows: batchA * m, cols: k };
      }
      product2d(backend, state, scratch, left, false, whole(backend, b, bRows, bCols), transposeB, b.dataId, outMatrix);
    } else if (batchA === 1) {
      // A shared a: Cᵢᵀ[N,M] = op(bᵢ)ᵀ · op(a)ᵀ, stacked into [batch·N, M], then transposed per slice.
      let left = whole(backend, b, batchB * bRows, bCols);
      if (!transposeB) {
        const t = transposedCopy(backend, scratch, { ...left, rows: bRows, cols: bCols }, batchB);
        left = t.matrix;
      }
      left = { ...left, rows: batchB * n, cols: k };
      const right = transposeA
        ? whole(backend, a, aRows, aCols)
        : transposedCopy(backend, scratch, whole(backend, a, aRows, aCols)).matrix;
      const tmp = scratch.alloc(batchB * n * m);
      fastProduct(backend, state, scratch, left, right, whole(backend, tmp, batchB * n, m));
      transposeOnHeap(backend, offsetOf(backend, tmp), offsetOf(backend, out), batchB, n, m);
    } else {
      batchedProducts(backend, state, scratch, a, transposeA, b, transposeB, outBatchShape, m, k, n, out);
    }
  } finally {
    scratch.release();
  }
  return out;
};

/** Index of output batch `o` in an operand whose batch shape broadcasts to `outBatch`. */
function broadcastIndex(o: number, outBatch: number[], operandBatch: number[]): number {
  const offset = outBatch.length - operandBatch.length;
  let index = 0;
  let stride = 1;
  let rest = o;
  const coords: number[] = new Array<number>(outBatch.length);
  for (let d = outBatch.length - 1; d >= 0; d--) {
    coords[d] = rest % outBatch[d]!;
    rest = Math.floor(rest / outBatch[d]!);
  }
  for (let d = operandBatch.length - 1; d >= 0; d--) {
    const size = operandBatch[d]!;
    const c = size === 1 ? 0 : coords[d + offset]!;
    index += c * stride;
    stride *= size;
  }
  return index;
}

/**
 * `out[o] = op(a[aIndex(o)]) · op(b[bIndex(o)])` for `batch` small products, in JS on the heap (float
 * indices), for small broadcast products the backend's loop cannot do. The loops run along contiguous
 * memory: `i, p, j` when `b` is not transposed, dot products along `p` when it is.
 */
export function smallBatchedProducts(
  h: Float32Array,
  aBase: number,
  bBase: number,
  outBase: number,
  aIndex: (o: number) => number,
  bIndex: (o: number) => number,
  batch: number,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
): void {
  const aRowStride = transposeA ? 1 : k;
  const aColStride = transposeA ? m : 1;
  for (let o = 0; o < batch; o++) {
    const a0 = aBase + aIndex(o) * m * k;
    const b0 = bBase + bIndex(o) * k * n;
    const o0 = outBase + o * m * n;
    if (!transposeB) {
      h.fill(0, o0, o0 + m * n);
      for (let i = 0; i < m; i++) {
        const row = o0 + i * n;
        for (let p = 0; p < k; p++) {
          const av = h[a0 + i * aRowStride + p * aColStride]!;
          const bRow = b0 + p * n;
          for (let j = 0; j < n; j++) h[row + j]! += av * h[bRow + j]!;
        }
      }
    } else {
      for (let i = 0; i < m; i++) {
        const aRow = a0 + i * aRowStride;
        for (let j = 0; j < n; j++) {
          const bRow = b0 + j * k;
          let sum = 0;
          for (let p = 0; p < k; p++) sum += h[aRow + p * aColStride]! * h[bRow + p]!;
          h[o0 + i * n + j] = sum;
        }
      }
    }
  }
}

/** Products where both operands are batched: one XNNPACK call per slice, through heap views. */
function batchedProducts(
  backend: WasmBackendInternals,
  state: MatMulState,
  scratch: Scratch,
  a: TensorInfo,
  transposeA: boolean,
  b: TensorInfo,
  transposeB: boolean,
  outBatchShape: number[],
  m: number,
  k: number,
  n: number,
  out: TensorInfo,
): void {
  const aBatchShape = a.shape.slice(0, -2);
  const bBatchShape = b.shape.slice(0, -2);
  const batch = sizeOf(outBatchShape);
  if (k === 1) {
    // Outer products (the gradients of attention over a single query): a broadcast multiply. With an
    // inner size of 1, a transposed operand has the same memory layout as an untransposed one.
    const multiply = getKernel('Multiply', 'wasm');
    if (multiply == null) throw new BackendError('The wasm backend has no Multiply kernel.');
    const product = multiply.kernelFunc({
      inputs: {
        a: { dataId: a.dataId, shape: [...aBatchShape, m, 1], dtype: 'float32' },
        b: { dataId: b.dataId, shape: [...bBatchShape, 1, n], dtype: 'float32' },
      },
      backend,
    }) as TensorInfo;
    heap(backend).copyWithin(
      offsetOf(backend, out) >>> 2,
      offsetOf(backend, product) >>> 2,
      (offsetOf(backend, product) >>> 2) + batch * m * n,
    );
    backend.disposeData(product.dataId, true);
    return;
  }
  const sameBatch = aBatchShape.length === bBatchShape.length && aBatchShape.every((d, i) => d === bBatchShape[i]);
  if (m * k * n < SMALL_SLICE_MACS) {
    const simd = simdKernels(backend);
    if (sameBatch && simd != null && !(transposeA && transposeB)) {
      // Small slices (attention over a few dozen regions): SIMD loops, 3-4x the backend's own loop and
      // up to 3x per-slice XNNPACK calls, whose operator setup costs more than these products. With
      // threads, each takes a range of slices (each slice computed as on one thread).
      const [aAt, bAt, outAt] = [offsetOf(backend, a), offsetOf(backend, b), offsetOf(backend, out)];
      const pool = threadPool(backend);
      const threads = pool == null ? 1 : threadsFor(batch * m * k * n, batch, pool.size);
      const slices = (o0: number, count: number): KernelCall => {
        const [aSlice, bSlice, outSlice] = [aAt + 4 * o0 * m * k, bAt + 4 * o0 * k * n, outAt + 4 * o0 * m * n];
        return transposeB
          ? { fn: 'bmm_nt', args: [aSlice, bSlice, outSlice, count, m, k, n] }
          : { fn: 'bmm_nn', args: [aSlice, bSlice, outSlice, count, m, k, n, transposeA ? 1 : k, transposeA ? m : 1] };
      };
      if (pool != null && threads > 1) {
        const calls: KernelCall[] = [];
        for (let t = 0; t < threads; t++) {
          const o0 = Math.floor((t * batch) / threads);
          calls.push(slices(o0, Math.floor(((t + 1) * batch) / threads) - o0));
        }
        pool.run(calls, simd);
      } else if (transposeB) {
        simd.bmm_nt(aAt, bAt, outAt, batch, m, k, n);
      } else {
        simd.bmm_nn(aAt, bAt, outAt, batch, m, k, n, transposeA ? 1 : k, transposeA ? m : 1);
      }
    } else if (sameBatch) {
      // The backend's own loop (~1 ns per multiply-add here).
      state.call(
        idOf(backend, a),
        shapeBytes(batch, a.shape[a.shape.length - 2]!, a.shape[a.shape.length - 1]!),
        3,
        idOf(backend, b),
        shapeBytes(batch, b.shape[b.shape.length - 2]!, b.shape[b.shape.length - 1]!),
        3,
        transposeA,
        transposeB,
        idOf(backend, out),
      );
    } else {
      smallBatchedProducts(
        heap(backend),
        offsetOf(backend, a) >>> 2,
        offsetOf(backend, b) >>> 2,
        offsetOf(backend, out) >>> 2,
        (o) => broadcastIndex(o, outBatchShape, aBatchShape),
        (o) => broadcastIndex(o, outBatchShape, bBatchShape),
        batch,
        m,
        k,
        n,
        transposeA,
        transposeB,
      );
    }
    return;
  }
  const batchA = sizeOf(aBatchShape);
  const batchB = sizeOf(bBatchShape);
  let aOffset = offsetOf(backend, a);
  let bOffset = offsetOf(backend, b);
  if (transposeA) {
    const t = transposedCopy(backend, scratch, whole(backend, a, k, m), batchA);
    aOffset = t.matrix.offset;
  }
  if (transposeB) {
    const t = transposedCopy(backend, scratch, whole(backend, b, n, k), batchB);
    bOffset = t.matrix.offset;
  }
  const outOffset = offsetOf(backend, out);
  for (let o = 0; o < batch; o++) {
    const ia = broadcastIndex(o, outBatchShape, aBatchShape);
    const ib = broadcastIndex(o, outBatchShape, bBatchShape);
    const aSlice = aOffset + ia * m * k * 4;
    const bSlice = bOffset + ib * k * n * 4;
    const left: HeapMatrix = { id: scratch.view(aSlice, m * k), offset: aSlice, rows: m, cols: k, ephemeral: true };
    const right: HeapMatrix = { id: scratch.view(bSlice, k * n), offset: bSlice, rows: k, cols: n, ephemeral: true };
    const outSlice = outOffset + o * m * n * 4;
    const outMatrix: HeapMatrix = {
      id: scratch.view(outSlice, m * n),
      offset: outSlice,
      rows: m,
      cols: n,
      ephemeral: true,
    };
    fastProduct(backend, state, scratch, left, right, outMatrix);
  }
}

/** Our `BatchMatMul` for the wasm backend. */
export const wasmBatchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMul,
};

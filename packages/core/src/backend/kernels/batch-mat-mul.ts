/**
 * A `BatchMatMul` for the wasm backend that keeps every product on XNNPACK's fast path.
 *
 * tfjs-backend-wasm 4.22 sends a product to XNNPACK's fully-connected operator (~30 GFLOP/s on one
 * SIMD thread here) only when neither operand is transposed and neither is batched. Everything else,
 * i.e. every matmul of a backward pass and every attention product, runs in a naive blocked triple
 * loop at ~2.4 GFLOP/s. XNNPACK also treats `b` as weights: it packs `b` into its own layout when it
 * first sees `b`'s tensor id and caches the packed operator on that id until the tensor is disposed.
 * Packing a fresh `b` costs a few ns per element, which matters when `a` has few rows.
 *
 * This kernel rewrites every product into non-transposed, non-batched XNNPACK calls:
 * - a transposed operand is transposed in JS (cache-blocked, 2-4x faster than the backend's
 *   `Transpose` on power-of-two shapes);
 * - of the two equivalent forms `C = op(A)·op(B)` and `Cᵀ = op(B)ᵀ·op(A)ᵀ` it picks the one that
 *   moves and packs fewer elements;
 * - the transposed copy of a 2-D `b` is kept until `b` is disposed, so that a weight used transposed
 *   many times (PyTorch-layout `x·Wᵀ` layers, the backward pass of a recurrent network) is transposed
 *   and packed once;
 * - a batched `a` against a shared `b` is folded into one tall product; a shared `a` against a batched
 *   `b` is folded through the transposed form; truly batched products loop over the batch with views
 *   into the heap (no copies), except small ones (attention), which run in SIMD loops.
 * The result equals the cpu backend's within float32 rounding (tested).
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
import { asWasmBackend, sizeOf, type WasmBackendInternals } from './wasm-internals';

/**
 * Cost weights, in units of one element transposed in JS (~2.5 ns here): XNNPACK's packing of a fresh
 * `b` (a strided gather, as it asks for transposed weights) measured 1.5-3x a JS transpose.
 */
const PACK_COST = 2.5;
const TRANSPOSE_COST = 1;
/**
 * Up to this many multiply-adds per batch slice, batched products run in our SIMD loops (measured: 2–4x
 * faster than per-slice XNNPACK calls up to ~1 M per slice, slower at 16 M).
 */
const SMALL_SLICE_MACS = 4 * 1024 * 1024;
/** Block edge of the JS transpose. */
const BLOCK = 16;

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
  /** row-padded copies of 2-D `b` operands whose rows are a multiple of 256 floats, by the source's dataId */
  padded: Map<DataId, CachedCopy>;
  /** `K,N` under which each tensor id was handed to XNNPACK as `b` (its operator cache ignores shape) */
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
      for (const cache of [state.transposed, state.padded]) {
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

/** How 2-D transposed products choose their form: by the cost model, or forced (for benchmarks). */
export type ProductForm = 'auto' | 'direct' | 'swapped';
let forcedForm: ProductForm = 'auto';

/** Forces the form of transposed 2-D products (benchmarks only; `'auto'` restores the cost model). */
export function setProductForm(form: ProductForm): void {
  forcedForm = form;
}

/** Number of transposed weight copies currently held by the kernel (for tests and diagnostics). */
export function transposedCopyCount(backend: unknown): number {
  return states.get(asWasmBackend(backend))?.transposed.size ?? 0;
}

/** A row-major matrix (or a stack of them) somewhere in the wasm heap. */
interface HeapMatrix {
  /** C-side tensor id (a real tensor or a registered view) */
  id: number;
  /** byte offset in the heap */
  offset: number;
  rows: number;
  /** floats per row as stored */
  cols: number;
  /** the meaningful columns of a row-padded `b` (the rest is padding); default `cols` */
  validCols?: number;
  /** a view registered for this call only (never in XNNPACK's cache after the call) */
  ephemeral?: boolean;
}

/** A copy of an operand that the kernel keeps until the operand is disposed. */
interface CachedCopy {
  info: TensorInfo;
  matrix: HeapMatrix;
}

/**
 * Floats added to each row of a `b` whose rows are a multiple of 256 floats: XNNPACK packs such a `b`
 * 2–2.5x slower (its column walk hits the same cache sets); from a padded copy it packs at the normal
 * rate, and the product's extra columns are dropped.
 */
const ROW_PAD = 16;

/** Whether a `b` of `cols` columns, multiplied with `m` rows of `a`, is worth a row-padded copy. */
function worthPadding(m: number, rows: number, cols: number): boolean {
  return m < BLOCK_MIN_ROWS && cols % 256 === 0 && rows * cols >= 64 * 1024;
}

/** Temporaries and views created during one kernel call, released at its end. */
class Scratch {
  private readonly temps: TensorInfo[] = [];
  private readonly views: number[] = [];

  constructor(private readonly backend: WasmBackendInternals) {}

  /** Allocates a float32 buffer of `size` elements. Heap views taken before this may be detached. */
  alloc(size: number): TensorInfo {
    const info = this.backend.makeOutput([size], 'float32');
    this.temps.push(info);
    return info;
  }

  /** Registers a C-side tensor id over `size` floats at `offset` bytes, without owning the memory. */
  view(offset: number, size: number): number {
    const id = this.backend.dataIdNextNumber++;
    this.backend.wasm.tfjs.registerTensor(id, size, offset);
    this.views.push(id);
    return id;
  }

  release(): void {
    for (const id of this.views) this.backend.wasm.tfjs.disposeData(id);
    for (const info of this.temps) this.backend.disposeData(info.dataId, true);
  }
}

function offsetOf(backend: WasmBackendInternals, info: TensorInfo): number {
  return backend.dataIdMap.get(info.dataId).memoryOffset;
}

function idOf(backend: WasmBackendInternals, info: TensorInfo): number {
  return backend.dataIdMap.get(info.dataId).id;
}

function heap(backend: WasmBackendInternals): Float32Array {
  const u8 = backend.wasm.HEAPU8;
  return new Float32Array(u8.buffer, 0, u8.byteLength >>> 2);
}

/**
 * Transposes `batch` row-major `rows × cols` matrices at float index `src` into `dst` (cache-blocked).
 */
export function transposeBatched(
  h: Float32Array,
  src: number,
  dst: number,
  batch: number,
  rows: number,
  cols: number,
): void {
  const size = rows * cols;
  for (let b = 0; b < batch; b++) {
    const s = src + b * size;
    const d = dst + b * size;
    if (rows === 1 || cols === 1) {
      h.copyWithin(d, s, s + size);
      continue;
    }
    for (let i0 = 0; i0 < rows; i0 += BLOCK) {
      const i1 = Math.min(rows, i0 + BLOCK);
      for (let j0 = 0; j0 < cols; j0 += BLOCK) {
        const j1 = Math.min(cols, j0 + BLOCK);
        for (let i = i0; i < i1; i++) {
          const row = s + i * cols;
          for (let j = j0; j < j1; j++) h[d + j * rows + i] = h[row + j]!;
        }
      }
    }
  }
}

/**
 * Transposes `batch` stacked `rows × cols` float32 matrices from byte offset `src` to `dst`: with the
 * SIMD kernel (kernels.wat) when available, else in JS.
 */
function transposeOnHeap(
  backend: WasmBackendInternals,
  src: number,
  dst: number,
  batch: number,
  rows: number,
  cols: number,
): void {
  const simd = simdKernels(backend);
  if (simd == null) {
    transposeBatched(heap(backend), src >>> 2, dst >>> 2, batch, rows, cols);
    return;
  }
  const bytes = rows * cols * 4;
  for (let b = 0; b < batch; b++) simd.transpose(src + b * bytes, dst + b * bytes, rows, cols);
}

function shapeBytes(batch: number, rows: number, cols: number): Uint8Array {
  return new Uint8Array(new Int32Array([batch, rows, cols]).buffer);
}

/**
 * Makes sure XNNPACK's operator cache cannot confuse two interpretations of one tensor id: if `m.id`
 * was packed before under another `K,N`, a fresh view id over the same memory is used instead.
 */
function packableId(backend: WasmBackendInternals, state: MatMulState, scratch: Scratch, m: HeapMatrix): number {
  const key = `${m.rows},${m.cols}`;
  const previous = state.packedAs.get(m.id);
  if (previous === undefined) {
    state.packedAs.set(m.id, key);
    return m.id;
  }
  if (previous === key) return m.id;
  return scratch.view(m.offset, m.rows * m.cols);
}

/**
 * Packed size of `b` (bytes) above which a tall product is cut into blocks. XNNPACK's fully-connected
 * operator streams all of packed `b` once per few rows of `a`; when that is larger than the core's L2
 * cache, the product becomes memory-bound (a [800,512]·[512,9487] logit layer ran at ~79% of the
 * 1024³ rate, at ~105% in column blocks of 2048).
 */
export const DEFAULT_PACK_BUDGET = 2 * 1024 * 1024;
let packBudgetBytes = DEFAULT_PACK_BUDGET;
/** Products with fewer rows than this are not blocked (the copies would not pay off). */
const BLOCK_MIN_ROWS = 256;

/**
 * Sets the packed-size threshold of blocking (benchmarks and tests only; `Infinity` disables blocking,
 * {@link DEFAULT_PACK_BUDGET} restores it).
 */
export function setPackBudget(bytes: number): void {
  packBudgetBytes = bytes;
}

/** Copies `rows` rows of `width` floats between row strides (all in floats) of the heap. */
function copyRows(
  backend: WasmBackendInternals,
  src: number,
  srcStride: number,
  dst: number,
  dstStride: number,
  rows: number,
  width: number,
): void {
  const simd = simdKernels(backend);
  if (simd != null) {
    simd.copy2d(src * 4, srcStride * 4, dst * 4, dstStride * 4, rows, width * 4);
    return;
  }
  const h = heap(backend);
  for (let r = 0; r < rows; r++) h.copyWithin(dst + r * dstStride, src + r * srcStride, src + r * srcStride + width);
}

/** `heap[dst + i] += heap[src + i]` for `count` floats (float indices). */
function addRows(backend: WasmBackendInternals, src: number, dst: number, count: number): void {
  const simd = simdKernels(backend);
  if (simd != null) {
    simd.add_into(src * 4, dst * 4, count);
    return;
  }
  const h = heap(backend);
  for (let i = 0; i < count; i++) h[dst + i]! += h[src + i]!;
}

/** One XNNPACK call `out = a · b`. */
function xnnProduct(
  backend: WasmBackendInternals,
  state: MatMulState,
  scratch: Scratch,
  a: HeapMatrix,
  b: HeapMatrix,
  outId: number,
): void {
  const bId = b.ephemeral === true ? b.id : packableId(backend, state, scratch, b);
  state.call(a.id, shapeBytes(1, a.rows, a.cols), 3, bId, shapeBytes(1, b.rows, b.cols), 3, false, false, outId);
}

/**
 * `out[M,N] = a[M,K] · b[K,N]` on XNNPACK (no transposes, no batch). A tall product whose packed `b`
 * would not fit the L2 budget (and is not already packed) runs in column blocks of `b` (or, when `b` is
 * narrow, in row blocks of `b` with the partial products summed), each block packed on its own.
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
  const n = b.cols;
  if (b.validCols !== undefined && b.validCols < b.cols) {
    // A row-padded b: the product has b.cols columns; keep the first validCols.
    const wide = scratch.alloc(m * b.cols);
    xnnProduct(backend, state, scratch, a, b, idOf(backend, wide));
    copyRows(backend, offsetOf(backend, wide) >>> 2, b.cols, out.offset >>> 2, b.validCols, m, b.validCols);
    return;
  }
  const alreadyPacked = b.ephemeral !== true && state.packedAs.get(b.id) === `${b.rows},${b.cols}`;
  if (m < BLOCK_MIN_ROWS || k * n * 4 <= packBudgetBytes || alreadyPacked) {
    xnnProduct(backend, state, scratch, a, b, out.id);
    return;
  }
  let wide = Math.floor(packBudgetBytes / (4 * k) / 16) * 16;
  // A row stride of a multiple of 256 floats makes XNNPACK's packing 2-2.5x slower (cache-set aliasing).
  if (wide % 256 === 0) wide -= 16;
  if (wide >= 64) {
    // Column blocks: out[:, j0:j1] = a · b[:, j0:j1].
    const width = Math.min(wide, n);
    const bBlock = scratch.alloc(k * width);
    const outBlock = scratch.alloc(m * width);
    const bOffset = offsetOf(backend, bBlock);
    const outOffset = offsetOf(backend, outBlock);
    for (let j0 = 0; j0 < n; j0 += width) {
      const w = Math.min(width, n - j0);
      copyRows(backend, (b.offset >>> 2) + j0, n, bOffset >>> 2, w, k, w);
      const right: HeapMatrix = {
        id: scratch.view(bOffset, k * w),
        offset: bOffset,
        rows: k,
        cols: w,
        ephemeral: true,
      };
      xnnProduct(backend, state, scratch, a, right, scratch.view(outOffset, m * w));
      copyRows(backend, outOffset >>> 2, w, (out.offset >>> 2) + j0, n, m, w);
    }
    return;
  }
  // Row blocks of b (a narrow, tall b): out = Σ a[:, k0:k1] · b[k0:k1, :].
  const depth = Math.max(16, Math.floor(packBudgetBytes / (4 * n) / 16) * 16);
  const aBlock = scratch.alloc(m * depth);
  const partial = scratch.alloc(m * n);
  const aOffset = offsetOf(backend, aBlock);
  const partialOffset = offsetOf(backend, partial);
  for (let k0 = 0; k0 < k; k0 += depth) {
    const d = Math.min(depth, k - k0);
    copyRows(backend, (a.offset >>> 2) + k0, k, aOffset >>> 2, d, m, d);
    const left: HeapMatrix = { id: scratch.view(aOffset, m * d), offset: aOffset, rows: m, cols: d, ephemeral: true };
    const rowsOffset = b.offset + k0 * n * 4;
    const right: HeapMatrix = {
      id: scratch.view(rowsOffset, d * n),
      offset: rowsOffset,
      rows: d,
      cols: n,
      ephemeral: true,
    };
    if (k0 === 0) {
      xnnProduct(backend, state, scratch, left, right, out.id);
    } else {
      xnnProduct(backend, state, scratch, left, right, scratch.view(partialOffset, m * n));
      addRows(backend, partialOffset >>> 2, out.offset >>> 2, m * n);
    }
  }
}

/** A new tensor holding `m` with every row followed by {@link ROW_PAD} unused floats. */
function padRows(backend: WasmBackendInternals, m: HeapMatrix): CachedCopy {
  const cols = m.cols + ROW_PAD;
  const info = backend.makeOutput([m.rows, cols], 'float32');
  const offset = offsetOf(backend, info);
  heap(backend).fill(0, offset >>> 2, (offset >>> 2) + m.rows * cols);
  copyRows(backend, m.offset >>> 2, m.cols, offset >>> 2, cols, m.rows, m.cols);
  return { info, matrix: { id: idOf(backend, info), offset, rows: m.rows, cols, validCols: m.cols } };
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
  const copy = padRows(backend, b);
  state.padded.set(bDataId, copy);
  return copy.matrix;
}

/** A heap matrix for the whole of a tensor viewed as `rows × cols`. */
function whole(backend: WasmBackendInternals, info: TensorInfo, rows: number, cols: number): HeapMatrix {
  return { id: idOf(backend, info), offset: offsetOf(backend, info), rows, cols };
}

/** A fresh heap matrix holding the transpose of `m` (`batch` stacked matrices). */
function transposedCopy(
  backend: WasmBackendInternals,
  scratch: Scratch | null,
  m: HeapMatrix,
  batch = 1,
): { matrix: HeapMatrix; info: TensorInfo } {
  const size = batch * m.rows * m.cols;
  const info = scratch != null ? scratch.alloc(size) : backend.makeOutput([m.cols, m.rows], 'float32');
  const offset = offsetOf(backend, info);
  transposeOnHeap(backend, m.offset, offset, batch, m.rows, m.cols);
  return { matrix: { id: idOf(backend, info), offset, rows: m.cols, cols: m.rows }, info };
}

/** Whether XNNPACK holds `m` packed (as a `b` of its current shape) from an earlier call. */
function isPacked(state: MatMulState, m: HeapMatrix): boolean {
  return m.ephemeral !== true && state.packedAs.get(m.id) === `${m.rows},${m.cols}`;
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
  const direct = packed ? 0 : k * n * PACK_COST + (worthPadding(m, k, n) ? k * n * TRANSPOSE_COST : 0);
  const swapped =
    (cachedB != null ? 0 : k * n * TRANSPOSE_COST) + k * m * (TRANSPOSE_COST + PACK_COST) + n * m * TRANSPOSE_COST;
  if (forcedForm === 'direct' || (forcedForm === 'auto' && direct <= swapped)) {
    fastProduct(backend, state, scratch, a, paddedCopy(backend, state, b, bDataId, m), out);
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
  let cachedB = bDataId != null ? state.transposed.get(bDataId) : undefined;
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
  const direct =
    (transposeA ? m * k * TRANSPOSE_COST : 0) +
    (transposeB ? (cachedB != null ? 0 : k * n * (TRANSPOSE_COST + PACK_COST)) : k * n * PACK_COST);
  const swapped =
    (transposeB ? 0 : n * k * TRANSPOSE_COST) +
    (transposeA ? k * m * PACK_COST : k * m * (TRANSPOSE_COST + PACK_COST)) +
    n * m * TRANSPOSE_COST;
  if (forcedForm === 'direct' || (forcedForm === 'auto' && direct <= swapped)) {
    const left = transposeA ? transposedCopy(backend, scratch, a).matrix : a;
    let right = b;
    if (transposeB) {
      if (cachedB != null) {
        right = cachedB.matrix;
      } else if (bDataId != null) {
        const copy = transposedCopy(backend, null, b);
        if (worthPadding(m, copy.matrix.rows, copy.matrix.cols)) {
          const padded = padRows(backend, copy.matrix);
          backend.disposeData(copy.info.dataId, true);
          state.transposed.set(bDataId, padded);
          right = padded.matrix;
        } else {
          state.transposed.set(bDataId, copy);
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
      // up to 3x per-slice XNNPACK calls, whose operator setup costs more than these products.
      const [aAt, bAt, outAt] = [offsetOf(backend, a), offsetOf(backend, b), offsetOf(backend, out)];
      if (transposeB) simd.bmm_nt(aAt, bAt, outAt, batch, m, k, n);
      else simd.bmm_nn(aAt, bAt, outAt, batch, m, k, n, transposeA ? 1 : k, transposeA ? m : 1);
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

/**
 * Matrices in the wasm heap and the data movement around products: views, scratch buffers, transposes,
 * strided copies. Used by the `BatchMatMul` kernel (../batch-mat-mul.ts); no policy here.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { simdKernels } from '../../simd/simd-module';
import { threadPool } from '../../threads/backend-threads';
import type { KernelCall } from '../../threads/worker-pool';
import type { WasmBackendInternals } from '../wasm-internals';
import { copyThreads } from './cost-model';

/** A row-major matrix (or a stack of them) somewhere in the wasm heap. */
export interface HeapMatrix {
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
export interface CachedCopy {
  info: TensorInfo;
  matrix: HeapMatrix;
}

/** Temporaries and views created during one kernel call, released at its end. */
export class Scratch {
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

/** Byte offset of a tensor's data in the heap. */
export function offsetOf(backend: WasmBackendInternals, info: TensorInfo): number {
  return backend.dataIdMap.get(info.dataId).memoryOffset;
}

/** The C-side tensor id of a tensor. */
export function idOf(backend: WasmBackendInternals, info: TensorInfo): number {
  return backend.dataIdMap.get(info.dataId).id;
}

/** The whole heap as floats (valid until the heap grows). */
export function heap(backend: WasmBackendInternals): Float32Array {
  const u8 = backend.wasm.HEAPU8;
  return new Float32Array(u8.buffer, 0, u8.byteLength >>> 2);
}

/** A heap matrix for the whole of a tensor viewed as `rows × cols`. */
export function whole(backend: WasmBackendInternals, info: TensorInfo, rows: number, cols: number): HeapMatrix {
  return { id: idOf(backend, info), offset: offsetOf(backend, info), rows, cols };
}

/** A `[batch, rows, cols]` shape as the bytes of an int32 array (the C `BatchMatMul`'s argument). */
export function shapeBytes(batch: number, rows: number, cols: number): Uint8Array {
  return new Uint8Array(new Int32Array([batch, rows, cols]).buffer);
}

/** Block edge of the JS transpose. */
const BLOCK = 16;

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
 * SIMD kernel (kernels.wat) when available (split by matrices, or by rows of one, over the backend's
 * threads when large), else in JS.
 */
export function transposeOnHeap(
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
  const pool = threadPool(backend);
  const parts = batch > 1 ? batch : Math.ceil(rows / 32);
  const threads = pool == null ? 1 : copyThreads(batch * rows * cols, parts, pool.size);
  if (pool == null || threads <= 1) {
    simd.transpose_batch(src, dst, batch, rows, cols);
    return;
  }
  const calls: KernelCall[] = [];
  for (let t = 0; t < threads; t++) {
    const p0 = Math.floor((t * parts) / threads);
    const p1 = Math.floor(((t + 1) * parts) / threads);
    if (batch > 1) {
      calls.push({ fn: 'transpose_batch', args: [src + p0 * bytes, dst + p0 * bytes, p1 - p0, rows, cols] });
    } else {
      const [r0, r1] = [p0 * 32, Math.min(rows, p1 * 32)];
      calls.push({ fn: 'transpose', args: [src + 4 * r0 * cols, dst + 4 * r0, r1 - r0, cols, cols, rows] });
    }
  }
  pool.run(calls, simd);
}

/** A fresh heap matrix holding the transpose of `m` (`batch` stacked matrices). */
export function transposedCopy(
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

/** Copies `rows` rows of `width` floats between row strides (all in floats) of the heap. */
export function copyRows(
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
export function addRows(backend: WasmBackendInternals, src: number, dst: number, count: number): void {
  const simd = simdKernels(backend);
  if (simd != null) {
    simd.add_into(src * 4, dst * 4, count);
    return;
  }
  const h = heap(backend);
  for (let i = 0; i < count; i++) h[dst + i]! += h[src + i]!;
}

/** A new tensor holding `m` with every row followed by `pad` zero floats (`validCols` = `m.cols`). */
export function padRows(backend: WasmBackendInternals, m: HeapMatrix, pad: number): CachedCopy {
  const cols = m.cols + pad;
  const info = backend.makeOutput([m.rows, cols], 'float32');
  const offset = offsetOf(backend, info);
  heap(backend).fill(0, offset >>> 2, (offset >>> 2) + m.rows * cols);
  copyRows(backend, m.offset >>> 2, m.cols, offset >>> 2, cols, m.rows, m.cols);
  return { info, matrix: { id: idOf(backend, info), offset, rows: m.rows, cols, validCols: m.cols } };
}
